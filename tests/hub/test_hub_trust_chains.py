"""The hub's trust list holds root CAs; a certificate issued by an intermediate CA under one of
them is accepted with its ``chain`` for single sign-on and for a subject's own registration."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hub_support import Platform
from identity_support import ADMIN, Holder, admin, subject_body, uscc

from tenderhub.crypto import keys, signing, x509
from tenderhub.hub.context import Hub
from tenderhub.hub.protocol import canonical


@pytest.fixture
def admin_token() -> str:
    return ADMIN


def under_intermediate(hub: Hub, client: TestClient, suite: str, cn: str, kind: str, n: int) -> tuple[Holder, bytes]:
    """A root on the hub's trust list, an intermediate under it, and a holder certificate of it."""
    start = hub.clock.now() - timedelta(hours=1)
    root = x509.init_ca(f"{suite} 互认根CA", suite, days=3650, now=start)
    assert client.post("/hub/trust-list", json={"certificate_pem": root[0].decode()}, headers=admin()).status_code == 201
    sub = x509.issue_ca(*root, f"{suite} 中级CA", days=1825, now=start)
    pair = keys.generate(suite)
    cert = x509.issue(*sub, subject_cn=cn, kind=kind, uscc=uscc(n), public_pem=pair.public_pem, days=365, now=start)
    return Holder(cert, pair.private_pem), sub[0]


def signed(holder: Holder, suite: str, data: bytes) -> str:
    return base64.b64encode(signing.sign(suite, holder.key, data)).decode()


def sso_body(client: TestClient, holder: Holder, suite: str, **extra: Any) -> dict[str, Any]:
    issued = client.post("/hub/sso/challenge", json={"audience": "TH110000002", "nonce": "n-7"}).json()
    return {"certificate": holder.cert.decode(), "challenge": issued["challenge"], "audience": "TH110000002",
            "nonce": "n-7", "signature": signed(holder, suite, issued["signed_text"].encode()), **extra}


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_single_sign_on_accepts_a_person_certified_by_an_intermediate_under_a_listed_root(client: TestClient, hub: Hub, suite: str) -> None:
    Platform(TestClient(client.app, headers=admin()), "TH110000002")
    client.post("/hub/subjects", json={"subject": subject_body(31)}, headers=admin())
    person, sub = under_intermediate(hub, client, suite, "李小红", "person", 31)
    refused = client.post("/hub/sso/assertion", json=sso_body(client, person, suite))
    assert refused.status_code in (401, 403) and "neither on the trust list nor in the chain" in refused.text
    answer = client.post("/hub/sso/assertion", json=sso_body(client, person, suite, chain=[sub.decode()]))
    assert answer.status_code == 200, answer.text


def test_a_subject_registers_itself_with_a_certificate_of_an_intermediate_ca(client: TestClient, hub: Hub) -> None:
    company, sub = under_intermediate(hub, client, "gm", "北京第32建设有限公司", "company", 32)
    record = subject_body(32, signed_at=hub.clock.now().isoformat())
    body = {"certificate": company.cert.decode(), "subject": record, "signature": signed(company, "gm", canonical(record))}
    assert client.post("/hub/subjects", json=body).status_code in (401, 403)
    made = client.post("/hub/subjects", json={**body, "chain": sub.decode()})
    assert made.status_code == 201, made.text
    assert made.json()["registered_by"].startswith("certificate:")


def broken_intermediate(hub: Hub) -> bytes:
    """A certificate whose basicConstraints value is not DER: it loads, its extensions do not."""
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtensionOID, NameOID

    start, pair = hub.clock.now() - timedelta(hours=1), keys.generate("intl")
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "intl 中级CA")])
    return (cx509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(keys.load_ec_public(pair.public_pem)).serial_number(3)
            .not_valid_before(start).not_valid_after(start + timedelta(days=3))
            .add_extension(cx509.UnrecognizedExtension(ExtensionOID.BASIC_CONSTRAINTS, b"\x01\x02"), critical=True)
            .sign(keys.load_ec_private(pair.private_pem), hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


def test_a_certificate_whose_extensions_do_not_parse_is_a_clear_refusal_at_the_hub_not_a_500(client: TestClient, hub: Hub) -> None:
    Platform(TestClient(client.app, headers=admin()), "TH110000002")
    person, _sub = under_intermediate(hub, client, "intl", "李小红", "person", 33)
    broken = broken_intermediate(hub).decode()
    for body in (sso_body(client, person, "intl", chain=[broken]), sso_body(client, person, "intl", certificate=broken)):
        answer = client.post("/hub/sso/assertion", json=body)
        assert answer.status_code in (401, 403, 422), answer.text
        assert "unreadable extension" in answer.text
    record = subject_body(33, signed_at=hub.clock.now().isoformat())
    made = client.post("/hub/subjects", json={"certificate": broken, "subject": record, "signature": "AAAA"})
    assert made.status_code in (401, 403, 422) and "unreadable extension" in made.text, made.text

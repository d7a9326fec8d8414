"""The hub's trust list has CRLs: the administrator publishes a CA's CRL (checked against that CA,
the newest kept), the hub refuses revoked holders and intermediates at single sign-on and
self-registration, fails closed past a CRL's nextUpdate, and serves the CRLs with the trust list,
whence the platforms take them (CA 互认 of revocations; 电子签名法 第13条)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hub_support import Platform
from identity_support import (
    ADMIN,
    Ca,
    Holder,
    admin,
    certificate_sign_in,
    register_platform_subject,
    subject_body,
    uscc,
)
from test_hub_trust_chains import signed, sso_body, under_intermediate

from tenderhub.core.shared.clock import FixedClock
from tenderhub.core.shared.errors import Forbidden
from tenderhub.crypto import crl, x509
from tenderhub.embedded import Embedded
from tenderhub.hub.context import Hub
from tenderhub.hub.protocol import canonical
from tenderhub.services.identity import HttpTrustList


@pytest.fixture
def admin_token() -> str:
    return ADMIN


def serial(pem: bytes) -> int:
    return int(x509.load(pem).serial_number)


def a_crl(ca: tuple[bytes, bytes], revoked: list[bytes], now: datetime, *, number: int = 1, days: int = 7) -> str:
    entries = [crl.Revoked(serial(c), now - timedelta(minutes=5), "keyCompromise") for c in revoked]
    return crl.make(*ca, entries, number=number, now=now, days=days).decode()


def publish(client: TestClient, crl_pem: str, issuer: bytes | None = None, token: str = ADMIN) -> object:
    body = {"crl_pem": crl_pem, **({"issuer_pem": issuer.decode()} if issuer else {})}
    return client.post("/hub/trust-list/crls", json=body, headers=admin(token))


def self_registration(hub: Hub, company: Holder, n: int, chain: bytes | None = None) -> dict[str, object]:
    record = subject_body(n, signed_at=hub.clock.now().isoformat())
    body = {"certificate": company.cert.decode(), "subject": record, "signature": signed(company, "intl", canonical(record))}
    return {**body, "chain": chain.decode()} if chain else body


def test_single_sign_on_refuses_a_revoked_intermediate_and_a_revoked_holder(client: TestClient, hub: Hub) -> None:
    Platform(TestClient(client.app, headers=admin()), "TH110000002")
    client.post("/hub/subjects", json={"subject": subject_body(41)}, headers=admin())
    start = hub.clock.now() - timedelta(hours=1)
    root = x509.init_ca("intl 互认根CA", "intl", days=3650, now=start)
    assert client.post("/hub/trust-list", json={"certificate_pem": root[0].decode()}, headers=admin()).status_code == 201
    sub = x509.issue_ca(*root, "intl 中级CA", days=1825, now=start)
    person = Ca(*sub).issue("李小红", "person", uscc(41), start)
    assert client.post("/hub/sso/assertion", json=sso_body(client, person, "intl", chain=[sub[0].decode()])).status_code == 200
    made = publish(client, a_crl(sub, [person.cert], hub.clock.now()), sub[0])  # the intermediate revokes the holder
    assert made.status_code == 201, made.text
    refused = client.post("/hub/sso/assertion", json=sso_body(client, person, "intl", chain=[sub[0].decode()]))
    assert refused.status_code in (401, 403) and "revoked" in refused.text and "keyCompromise" in refused.text
    other = Ca(*sub).issue("王建国", "person", uscc(41), start)
    client.post("/hub/subjects", json={"subject": subject_body(41, people=[{"name": "王建国", "roles": ["contact"], "phone": "13812345678"}])},
                headers=admin())
    assert publish(client, a_crl(root, [sub[0]], hub.clock.now()), None).status_code == 201  # the root revokes the intermediate
    refused = client.post("/hub/sso/assertion", json=sso_body(client, other, "intl", chain=[sub[0].decode()]))
    assert refused.status_code in (401, 403) and "中级CA" in refused.text and "revoked" in refused.text


def test_self_registration_refuses_a_revoked_certificate(client: TestClient, hub: Hub) -> None:
    company, sub = under_intermediate(hub, client, "intl", "北京第42建设有限公司", "company", 42)
    ca = Ca.make("互认CA", hub.clock.now() - timedelta(hours=1))
    client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin())
    holder = ca.issue("北京第43建设有限公司", "company", uscc(43), hub.clock.now() - timedelta(hours=1))
    assert publish(client, a_crl((ca.cert, ca.key), [holder.cert], hub.clock.now())).status_code == 201
    refused = client.post("/hub/subjects", json=self_registration(hub, holder, 43))
    assert refused.status_code in (401, 403, 422) and "revoked" in refused.text
    assert client.get(f"/hub/subjects/{uscc(43)}").status_code == 404
    assert client.post("/hub/subjects", json=self_registration(hub, company, 42, sub)).status_code == 201  # not revoked


def test_a_crl_is_checked_against_its_ca_and_only_a_newer_one_replaces_it(client: TestClient, hub: Hub) -> None:
    now = hub.clock.now()
    ca, stranger = Ca.make("互认CA", now - timedelta(hours=1)), Ca.make("陌生CA", now - timedelta(hours=1))
    client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin())
    first = a_crl((ca.cert, ca.key), [], now - timedelta(minutes=30))
    assert publish(client, first, token="wrong").status_code in (401, 403)
    unlisted = publish(client, a_crl((stranger.cert, stranger.key), [], now))
    assert (unlisted.status_code, unlisted.json()["field"]) == (422, "crl_pem")
    assert publish(client, "not a CRL").json()["field"] == "crl_pem"
    not_under = publish(client, a_crl((stranger.cert, stranger.key), [], now), stranger.cert)  # signed by it, but not under a listed CA
    assert (not_under.status_code, not_under.json()["field"]) == (422, "issuer_pem")
    foreign = publish(client, a_crl((stranger.cert, stranger.key), [], now), ca.cert)  # the issuer given did not sign it
    assert (foreign.status_code, foreign.json()["field"]) == (422, "crl_pem")
    expired = publish(client, a_crl((ca.cert, ca.key), [], now - timedelta(days=3), days=1))
    assert expired.status_code == 422 and "nextUpdate" in expired.text
    assert publish(client, first).status_code == 201
    assert publish(client, first).status_code == 200  # the same again: a repeat
    newer = a_crl((ca.cert, ca.key), [], now, number=2)
    assert publish(client, newer).status_code == 201
    older = publish(client, a_crl((ca.cert, ca.key), [], now - timedelta(minutes=10), number=3))
    assert (older.status_code, older.json()["code"]) == (409, "crl_not_newer")
    listed = client.get("/hub/trust-list").json()["crls"]
    assert [c["crl_pem"] for c in listed] == [newer.strip() + "\n"] == [c["crl_pem"] for c in client.get("/hub/trust-list/crls").json()["crls"]]
    assert listed[0]["issuer_name"].endswith("CN=互认CA") or "互认CA" in listed[0]["issuer_name"]


def test_the_hub_fails_closed_past_the_crls_next_update(client: TestClient, hub: Hub) -> None:
    Platform(TestClient(client.app, headers=admin()), "TH110000002")
    client.post("/hub/subjects", json={"subject": subject_body(44)}, headers=admin())
    ca = Ca.make("互认CA", hub.clock.now() - timedelta(hours=1))
    client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin())
    person = ca.issue("李小红", "person", uscc(44), hub.clock.now() - timedelta(hours=1))
    assert publish(client, a_crl((ca.cert, ca.key), [], hub.clock.now(), days=1)).status_code == 201
    assert client.post("/hub/sso/assertion", json=sso_body(client, person, "intl")).status_code == 200
    assert isinstance(hub.clock, FixedClock)
    hub.clock.advance(days=2)
    stale = client.post("/hub/sso/assertion", json=sso_body(client, person, "intl"))
    assert stale.status_code in (401, 403) and "nextUpdate" in stale.text


def test_a_platform_takes_the_hubs_crls_with_its_trust_list(system: Embedded, tmp_path: Path) -> None:
    _a, b = system.members
    clock = b.platform.services.clock
    assert isinstance(clock, FixedClock)
    ca = Ca.make("互认CA", clock.now() - timedelta(hours=1))
    register_platform_subject(b, 45, "bidder-b")
    company = ca.issue("北京第45建设有限公司", "company", uscc(45), clock.now() - timedelta(hours=1))
    system.client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin(system.admin_token))
    clock.advance(minutes=1)
    assert certificate_sign_in(b.platform.services, company)["user_id"] == "bidder-b"
    revoked = a_crl((ca.cert, ca.key), [company.cert], clock.now())
    made = system.client.post("/hub/trust-list/crls", json={"crl_pem": revoked}, headers=admin(system.admin_token))
    assert made.status_code == 201, made.text
    clock.advance(minutes=1)  # past B's short cache of the hub's list
    with pytest.raises(Forbidden) as refused:
        certificate_sign_in(b.platform.services, company)
    assert "revoked" in refused.value.message_en


def test_the_platform_client_keeps_the_crls_with_the_cas(client: TestClient, hub: Hub) -> None:
    ca = Ca.make("CA", hub.clock.now() - timedelta(hours=1))
    client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin())
    published = a_crl((ca.cert, ca.key), [], hub.clock.now())
    publish(client, published)
    port = HttpTrustList(client, FixedClock(hub.clock.now()))
    assert port.crl_pems() == [published.strip().encode() + b"\n"]

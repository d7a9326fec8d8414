"""``POST /api/auth/certificate`` with a certificate of an intermediate CA: the ``chain`` field
carries the intermediate, the root is in the platform's ``trust/`` directory."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path

from web_builders import PARTIES, Api

from tenderhub.crypto import keys, signing, x509


def test_a_bidder_signs_in_over_http_through_an_intermediate_ca(parties: Api) -> None:
    start = parties.clock.now() - timedelta(hours=1)
    root = x509.init_ca("根CA", "gm", days=3650, now=start)
    sub = x509.issue_ca(*root, "中级CA", days=1825, now=start)
    pair = keys.generate("gm")
    cert = x509.issue(*sub, subject_cn="北京路桥建设有限公司", kind="company", uscc=PARTIES["bidder_a"]["uscc"],
                      public_pem=pair.public_pem, days=365, now=start)
    trust = Path(parties.platform.settings.data_dir) / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    (trust / "root.pem").write_bytes(root[0])

    def attempt(**extra: object) -> object:
        issued = parties.post("/api/auth/challenge").json()["challenge"]
        signature = base64.b64encode(signing.sign("gm", pair.private_pem, issued.encode())).decode()
        return parties.post("/api/auth/certificate", {"certificate": cert.decode(), "challenge": issued,
                                                      "signature": signature, **extra})

    refused = attempt()
    assert refused.status_code in (401, 403) and "neither on the trust list nor in the chain" in refused.text
    signed_in = attempt(chain=[sub[0].decode()])
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["role"] == "bidder"
    assert attempt(chain=7).status_code == 422



def broken_ca(now: datetime) -> bytes:
    """A CA certificate whose basicConstraints value is not DER (it loads; its extensions do not)."""
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtensionOID, NameOID

    start, pair = now - timedelta(hours=1), keys.generate("intl")
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "中级CA")])
    return (cx509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(keys.load_ec_public(pair.public_pem)).serial_number(3)
            .not_valid_before(start).not_valid_after(start + timedelta(days=3))
            .add_extension(cx509.UnrecognizedExtension(ExtensionOID.BASIC_CONSTRAINTS, b"\x01\x02"), critical=True)
            .sign(keys.load_ec_private(pair.private_pem), hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


def test_a_chain_certificate_whose_extensions_do_not_parse_is_refused_as_a_certificate(parties: Api) -> None:
    """Before the review the sign-in answered "unreadable sign-in response: error parsing asn1 value"."""
    broken = broken_ca(parties.clock.now())
    issued = parties.post("/api/auth/challenge").json()["challenge"]
    answer = parties.post("/api/auth/certificate", {"certificate": broken.decode(), "challenge": issued,
                                                    "signature": "AAAA", "chain": [broken.decode()]})
    assert answer.status_code == 422, answer.text
    assert "unreadable extension" in answer.text and answer.json()["field"] == "chain"

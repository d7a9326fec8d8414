"""A signature's certificate path is checked at a trusted time, never at the signer's claimed
``signed_at`` (ADR 0019; 电子签名法 第13条): a holder whose intermediate has expired, or whose
certificate was revoked (any reason), cannot back-date a signature; an honest signature the
platform received and sealed before the expiry or revocation still verifies later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crypto_builders import NOW, uscc

from tenderhub.crypto import crl, documents, keys, x509
from tenderhub.crypto.errors import CertificateError, SignatureError

SUITE = pytest.mark.parametrize("suite", ["intl", "gm"])
T0 = NOW - timedelta(days=400)
CONTENT = "开标记录".encode()


def pki(suite: str, *, sub_days: int = 3000) -> dict[str, tuple[bytes, bytes]]:
    """A root; a sub CA (``sub_days``) issuing a company; a platform under its own CA (intl)."""
    root = x509.init_ca(f"{suite} Root", suite, days=3650, now=T0)
    sub = x509.issue_ca(*root, f"{suite} Sub", days=sub_days, now=T0)
    pair = keys.generate(suite)
    company = x509.issue(*sub, subject_cn="北京路桥", kind="company", uscc=uscc(), public_pem=pair.public_pem, days=1000, now=T0)
    platform_ca = x509.init_ca("平台CA", days=3650, now=T0)
    platform_pair = keys.generate("intl")
    platform = x509.issue(*platform_ca, subject_cn="某交易平台", kind="platform", uscc=None,
                          public_pem=platform_pair.public_pem, days=3000, now=T0)
    return {"root": root, "sub": sub, "company": (company, pair.private_pem),
            "platform_ca": platform_ca, "platform": (platform, platform_pair.private_pem)}


def sign(suite: str, p: dict[str, tuple[bytes, bytes]], at) -> dict:
    return documents.sign_document(suite, p["company"][0], p["company"][1], CONTENT, kind="opening_record",
                                   signed_at=at, chain=[p["sub"][0]])


def received(p: dict[str, tuple[bytes, bytes]], sig: dict, at) -> dict:
    return documents.seal_receipt(sig, *p["platform"], suite="intl", received_at=at)


def trust(p: dict[str, tuple[bytes, bytes]], *crls: bytes) -> x509.TrustList:
    return x509.TrustList([p["root"][0], p["platform_ca"][0]], list(crls))


def revoking(suite: str, p: dict[str, tuple[bytes, bytes]], when, reason: str) -> bytes:
    serial = int(x509.cert_info(p["company"][0]).serial, 16)
    return crl.make(*p["sub"], [crl.Revoked(serial, when, reason)], number=1, now=NOW - timedelta(days=1))


@SUITE
def test_an_expired_intermediate_with_a_back_dated_claim_is_refused(suite):
    p = pki(suite, sub_days=100)  # the sub CA expired some 300 days ago, the company certificate not
    sig = sign(suite, p, T0 + timedelta(days=50))  # signed today, claiming a time the sub CA was valid
    with pytest.raises(CertificateError, match=r"Sub.*has expired"):
        documents.verify_document(sig, CONTENT, trust(p), now=NOW)


@SUITE
def test_a_superseded_certificate_with_a_back_dated_claim_is_refused(suite):
    p = pki(suite)
    listed = revoking(suite, p, NOW - timedelta(days=10), "superseded")
    sig = sign(suite, p, NOW - timedelta(days=20))  # before the revocation, but nobody attests it
    with pytest.raises(CertificateError, match=r"revoked.*superseded"):
        documents.verify_document(sig, CONTENT, trust(p, listed), now=NOW)


@SUITE
def test_the_platforms_receipt_time_is_refused_after_expiry_whatever_the_claim(suite):
    p = pki(suite, sub_days=100)
    sig = sign(suite, p, T0 + timedelta(days=50))
    with pytest.raises(CertificateError, match="has expired"):
        documents.verify_document(sig, CONTENT, trust(p), now=NOW, at=NOW)  # what the platform does on receipt


@SUITE
def test_an_honest_signature_received_before_the_expiry_still_verifies_later(suite):
    p = pki(suite, sub_days=100)
    when = T0 + timedelta(days=50)
    kept = received(p, sign(suite, p, when - timedelta(minutes=1)), when)
    doc = documents.verify_document(kept, CONTENT, trust(p), now=NOW)
    assert doc.checked_at == when and "某交易平台" in doc.time_source and "receipt" in doc.time_source
    assert doc.signed_at == when - timedelta(minutes=1) and doc.signer.subject_cn == "北京路桥"


@SUITE
def test_a_revocation_after_the_receipt_passes_and_is_shown_one_before_is_refused(suite):
    p = pki(suite)
    when = NOW - timedelta(days=20)
    kept = received(p, sign(suite, p, when), when)
    for reason in ("superseded", "keyCompromise"):
        later = revoking(suite, p, NOW - timedelta(days=10), reason)
        doc = documents.verify_document(kept, CONTENT, trust(p, later), now=NOW)
        assert doc.checked_at == when and reason in doc.signer.revoked_later[0] and "北京路桥" in doc.signer.revoked_later[0]
        earlier = revoking(suite, p, NOW - timedelta(days=30), reason)
        with pytest.raises(CertificateError, match=f"revoked.*{reason}"):
            documents.verify_document(kept, CONTENT, trust(p, earlier), now=NOW)


def test_an_invalidity_date_before_the_receipt_refuses_a_later_revocation():
    p = pki("intl")
    when = NOW - timedelta(days=20)
    kept = received(p, sign("intl", p, when), when)
    ca, serial = x509.load(p["sub"][0]), int(x509.cert_info(p["company"][0]).serial, 16)
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization

    entry = (cx509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - timedelta(days=10))
             .add_extension(cx509.InvalidityDate(NOW - timedelta(days=40)), critical=False).build())
    made = (cx509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(NOW - timedelta(days=1))
            .next_update(NOW + timedelta(days=6)).add_revoked_certificate(entry)
            .sign(keys.load_ec_private(p["sub"][1]), hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    with pytest.raises(CertificateError, match="revoked"):
        documents.verify_document(kept, CONTENT, trust(p, made), now=NOW)


def test_a_claim_later_than_the_trusted_time_is_refused():
    p = pki("intl")
    when = NOW - timedelta(days=20)
    kept = received(p, sign("intl", p, when + timedelta(hours=1)), when)
    with pytest.raises(SignatureError, match="later than the trusted time") as refused:
        documents.verify_document(kept, CONTENT, trust(p), now=NOW)
    assert refused.value.field == "signed_at"
    with pytest.raises(SignatureError, match="later than the trusted time"):
        documents.verify_document(sign("intl", p, NOW + timedelta(hours=1)), CONTENT, trust(p), now=NOW)
    assert documents.verify_document(sign("intl", p, NOW + timedelta(minutes=4)), CONTENT, trust(p), now=NOW).checked_at == NOW


def test_without_a_receipt_the_verification_time_is_used_and_said():
    p = pki("intl")
    doc = documents.verify_document(sign("intl", p, NOW - timedelta(days=3)), CONTENT, trust(p), now=NOW)
    assert doc.checked_at == NOW and "verification time" in doc.time_source


def test_a_receipt_sealed_by_anyone_but_a_platform_is_refused():
    p = pki("intl")
    when = NOW - timedelta(days=20)
    sig = sign("intl", p, when)
    bundled = p["company"][0] + p["sub"][0]  # the company's certificate with its chain: its own seal checks out
    self_made = documents.seal_receipt(sig, bundled, p["company"][1], suite="intl", received_at=when)
    with pytest.raises(SignatureError, match="not a platform's signature receipt"):
        documents.verify_document(self_made, CONTENT, trust(p), now=NOW)


def test_a_receipt_whose_time_or_signature_was_changed_is_refused():
    p = pki("intl")
    when = NOW - timedelta(days=20)
    kept = received(p, sign("intl", p, when), when)
    moved = {**kept, "receipt": {**kept["receipt"], "received_at": (when - timedelta(days=300)).isoformat()}}
    with pytest.raises(SignatureError, match="content has changed"):
        documents.verify_document(moved, CONTENT, trust(p), now=NOW)
    other = received(p, sign("intl", p, when - timedelta(days=1)), when - timedelta(days=300))
    grafted = {**sign("intl", p, when), "receipt": other["receipt"]}  # another signature's receipt
    with pytest.raises(SignatureError, match="content has changed"):
        documents.verify_document(grafted, CONTENT, trust(p), now=NOW)
    with pytest.raises(SignatureError, match="receipt"):
        documents.verify_document({**kept, "receipt": "yesterday"}, CONTENT, trust(p), now=NOW)
    nested = {**kept, "receipt": {**kept["receipt"], "seal": received(p, kept["receipt"]["seal"], when)}}
    with pytest.raises(SignatureError, match="without a receipt of its own"):
        documents.verify_document(nested, CONTENT, trust(p), now=NOW)


def test_a_sealed_receipt_with_an_unreadable_received_time_is_refused_not_a_crash():
    p = pki("intl")
    when = NOW - timedelta(days=20)
    sig = sign("intl", p, when)
    seal = documents.sign_document("intl", *p["platform"], documents.receipt_content(sig, "yesterday"),
                                   kind=documents.RECEIPT_KIND, signed_at=when)
    with pytest.raises(SignatureError, match="malformed received_at"):
        documents.verify_document({**sig, "receipt": {"received_at": "yesterday", "seal": seal}}, CONTENT, trust(p), now=NOW)


def test_a_receipt_by_a_platform_the_verifier_does_not_trust_is_refused():
    p = pki("intl")
    when = NOW - timedelta(days=20)
    kept = received(p, sign("intl", p, when), when)
    with pytest.raises(CertificateError, match="trusted CA"):
        documents.verify_document(kept, CONTENT, x509.TrustList([p["root"][0]]), now=NOW)


def test_the_platforms_own_seal_is_checked_at_its_sealing_time():
    p = pki("intl")
    when = NOW - timedelta(days=20)
    seal = documents.sign_document("intl", *p["platform"], CONTENT, kind="notice", signed_at=when)
    doc = documents.verify_document(seal, CONTENT, trust(p), now=NOW)
    assert doc.checked_at == when and "sealed by the platform" in doc.time_source


def test_verify_on_the_command_line_says_which_time_it_checked_at(tmp_path, capsys):
    import base64
    import json

    from tenderhub.cli import main
    from tenderhub.core.shared.clock import SystemClock

    today = SystemClock().now()
    p = pki("intl", sub_days=100)  # expired long ago: only the platform's receipt makes the signature good
    when = T0 + timedelta(days=50)
    kept = received(p, sign("intl", p, when), when)
    for name, pem in (("root.pem", p["root"][0]), ("platform-ca.pem", p["platform_ca"][0])):
        (tmp_path / name).write_bytes(pem)
    trusted = ["--trust", str(tmp_path / "root.pem"), "--trust", str(tmp_path / "platform-ca.pem")]
    bundle = tmp_path / "record.json"
    bundle.write_text(json.dumps({"content_b64": base64.b64encode(CONTENT).decode(), "signature": kept}), encoding="utf-8")
    assert today > when + timedelta(days=100) and main(["verify", str(bundle), *trusted]) == 0
    out = capsys.readouterr().out
    assert "checked at: 2026-03-16 10:00:00 Beijing time, received by the platform '某交易平台'" in out
    bundle.write_text(json.dumps({"content_b64": base64.b64encode(CONTENT).decode(), "signature": sign("intl", p, when)}))
    assert main(["verify", str(bundle), *trusted]) == 1
    assert "has expired" in capsys.readouterr().err

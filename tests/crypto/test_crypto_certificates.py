"""Certificates, the trust list (several CAs), sign-in challenges and signed documents."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from crypto_builders import NOW, holder, new_ca, uscc

from tenderhub.core.shared.errors import Invalid
from tenderhub.crypto import challenge, documents, keys, signing, x509
from tenderhub.crypto.errors import CertificateError, SignatureError

CA_A, CA_B = new_ca("CA A"), new_ca("CA B")
TRUST = x509.TrustList([CA_A[0], CA_B[0]])
NOTICE = "招标公告 No. 1".encode()


def test_a_company_certificate_carries_its_name_kind_and_uscc():
    info = TRUST.validate(holder(CA_A).cert_pem, NOW)
    assert (info.subject_cn, info.kind, info.uscc, info.issuer_cn) == ("北京某建设有限公司", "company", uscc(), "CA A")


def test_certificates_from_either_recognised_ca_are_accepted():
    assert TRUST.validate(holder(CA_A, kind="person", cn="张三").cert_pem, NOW).issuer_cn == "CA A"
    assert TRUST.validate(holder(CA_B, kind="platform", cn="平台").cert_pem, NOW).issuer_cn == "CA B"


def test_a_certificate_from_an_unknown_ca_is_refused():
    with pytest.raises(CertificateError, match="trusted CA"):
        TRUST.validate(holder(new_ca("CA A")).cert_pem, NOW)  # same name, other key


def test_an_expired_certificate_is_refused():
    with pytest.raises(CertificateError, match="expired"):
        TRUST.validate(holder(CA_A, days=30).cert_pem, NOW + timedelta(days=31))


def test_a_certificate_used_before_its_validity_is_refused():
    with pytest.raises(CertificateError, match="not valid yet"):
        TRUST.validate(holder(CA_A).cert_pem, NOW - timedelta(days=2))


def test_a_ca_certificate_cannot_act_as_a_signer():
    with pytest.raises(CertificateError):
        TRUST.validate(CA_A[0], NOW)


def test_a_company_certificate_needs_a_valid_uscc():
    with pytest.raises(CertificateError):
        holder(CA_A, code=None)
    with pytest.raises(Invalid):
        holder(CA_A, code="91110105MA00000010")


def test_a_trust_list_entry_must_be_a_ca():
    with pytest.raises(CertificateError):
        x509.TrustList([holder(CA_A).cert_pem])


def test_an_intl_ca_does_not_certify_an_sm2_key():
    with pytest.raises(CertificateError, match="intl CA issues intl certificates only"):
        x509.issue(*CA_A, subject_cn="x", kind="person", uscc=None, public_pem=keys.generate("gm").public_pem, days=1)


def test_a_signed_challenge_signs_the_holder_in():
    person = holder(CA_A, kind="person", cn="李四")
    text = challenge.new_challenge(NOW)
    signature = signing.sign("intl", person.pair.private_pem, text.encode())
    info = challenge.verify_response(TRUST, person.cert_pem, text, signature, NOW + timedelta(seconds=10))
    assert info.subject_cn == "李四"


def test_an_old_challenge_is_refused():
    person = holder(CA_A)
    text = challenge.new_challenge(NOW)
    signature = signing.sign("intl", person.pair.private_pem, text.encode())
    with pytest.raises(SignatureError, match="expired"):
        challenge.verify_response(TRUST, person.cert_pem, text, signature, NOW + timedelta(seconds=301))


def test_a_challenge_signed_with_another_key_is_refused():
    person, other = holder(CA_A), holder(CA_A)
    text = challenge.new_challenge(NOW)
    signature = signing.sign("intl", other.pair.private_pem, text.encode())
    with pytest.raises(SignatureError):
        challenge.verify_response(TRUST, person.cert_pem, text, signature, NOW)


def test_two_challenges_differ():
    assert challenge.new_challenge(NOW) != challenge.new_challenge(NOW)


def signed(content: bytes = NOTICE, kind: str = "notice"):
    signer = holder(CA_B, kind="company")
    sig = documents.sign_document("intl", signer.cert_pem, signer.pair.private_pem, content, kind=kind, signed_at=NOW)
    return signer, sig


def test_a_signed_document_verifies_with_signer_kind_and_time():
    _, sig = signed()
    doc = documents.verify_document(sig, NOTICE, TRUST, now=NOW)
    assert (doc.kind, doc.signed_at, doc.signer.uscc, doc.trusted) == ("notice", NOW, uscc(), True)


def test_a_changed_document_is_refused():
    _, sig = signed()
    with pytest.raises(SignatureError, match="content has changed"):
        documents.verify_document(sig, NOTICE + b"!", TRUST, now=NOW)


@pytest.mark.parametrize(("key", "value"), [("kind", "contract"), ("signed_at", "2020-01-01T00:00:00+00:00")])
def test_a_changed_signed_attribute_is_refused(key, value):
    _, sig = signed()
    with pytest.raises(SignatureError):
        documents.verify_document({**sig, key: value}, NOTICE, TRUST, now=NOW)


def test_a_document_signed_under_an_untrusted_ca_is_refused():
    _, sig = signed()
    with pytest.raises(CertificateError):
        documents.verify_document(sig, NOTICE, x509.TrustList([CA_A[0]]), now=NOW)


def test_without_a_trust_list_the_signature_is_checked_but_marked_untrusted():
    _, sig = signed()
    assert documents.verify_document(sig, NOTICE, None, now=NOW).trusted is False


def test_signing_with_a_key_that_is_not_the_certificates_is_refused():
    signer = holder(CA_A)
    with pytest.raises(Invalid):
        documents.sign_document("intl", signer.cert_pem, keys.generate("intl").private_pem, b"x", kind="bid", signed_at=NOW)


def test_a_forged_signature_value_is_refused():
    _, sig = signed()
    forged = {**sig, "signature": base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()}
    with pytest.raises(SignatureError):
        documents.verify_document(forged, NOTICE, TRUST, now=NOW)

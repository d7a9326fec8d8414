"""SM2 certificates (gm suite): built with our DER code, validated in a trust list that mixes
intl and gm CAs, used for sign-in challenges and signed documents, and exchanged with OpenSSL."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from crypto_builders import NOW, new_ca, openssl, openssl_supports_sm2, uscc
from cryptography import x509 as cx509
from cryptography.hazmat.primitives.serialization import Encoding

from tenderhub.core.shared.clock import SystemClock
from tenderhub.crypto import challenge, documents, gmcert, keys, signing, sm2, x509
from tenderhub.crypto.errors import CertificateError, SignatureError

GM_CA = x509.init_ca("国密测试CA", "gm", days=3650, now=NOW - timedelta(days=1))
INTL_CA = new_ca("Intl CA")
TRUST = x509.TrustList([INTL_CA[0], GM_CA[0]])
DISTID = "distid:1234567812345678"
needs_sm2 = pytest.mark.skipif(shutil.which("openssl") is None or not openssl_supports_sm2(),
                               reason="no openssl command with SM2 (genpkey -algorithm SM2 fails)")


def gm_holder(ca=GM_CA, *, kind: str = "company", cn: str = "北京某建设有限公司", days: int = 365):
    pair = keys.generate("gm")
    cert = x509.issue(*ca, subject_cn=cn, kind=kind, uscc=uscc() if kind == "company" else None,
                      public_pem=pair.public_pem, days=days, now=NOW - timedelta(days=1))
    return pair, cert


def test_a_gm_company_certificate_validates_with_its_name_kind_uscc_and_suite():
    pair, cert = gm_holder()
    info = TRUST.validate(cert, NOW)
    assert (info.subject_cn, info.kind, info.uscc, info.issuer_cn, info.suite) == (
        "北京某建设有限公司", "company", uscc(), "国密测试CA", "gm")
    assert info.public_pem == pair.public_pem


def test_a_gm_certificate_has_the_sm2_algorithms_and_the_extensions():
    pair, cert = gm_holder(kind="person", cn="张三")
    parsed, ca = x509.load(cert), x509.load(GM_CA[0])
    assert parsed.signature_algorithm_oid.dotted_string == "1.2.156.10197.1.501"
    assert parsed.extensions.get_extension_for_class(cx509.BasicConstraints).value.ca is False
    usage = parsed.extensions.get_extension_for_class(cx509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    ski = parsed.extensions.get_extension_for_class(cx509.SubjectKeyIdentifier).value.digest
    aki = parsed.extensions.get_extension_for_class(cx509.AuthorityKeyIdentifier).value.key_identifier
    assert ski == gmcert.key_id(pair.public_pem)
    assert aki == ca.extensions.get_extension_for_class(cx509.SubjectKeyIdentifier).value.digest
    assert ca.extensions.get_extension_for_class(cx509.KeyUsage).value.crl_sign


def test_intl_and_gm_certificates_are_accepted_by_one_trust_list():
    intl = x509.issue(*INTL_CA, subject_cn="Li", kind="person", uscc=None,
                      public_pem=keys.generate("intl").public_pem, days=30, now=NOW - timedelta(days=1))
    assert TRUST.validate(intl, NOW).suite == "intl"
    assert TRUST.validate(gm_holder()[1], NOW).suite == "gm"


def test_a_gm_certificate_from_an_unknown_ca_is_refused():
    other = x509.init_ca("国密测试CA", "gm", days=30, now=NOW - timedelta(days=1))  # same name, other key
    with pytest.raises(CertificateError, match="trusted CA"):
        TRUST.validate(gm_holder(other)[1], NOW)


def test_a_gm_certificate_with_a_changed_body_is_refused():
    _, cert = gm_holder(cn="王五")
    forged = x509.load(cert).public_bytes(Encoding.DER).replace("王五".encode(), "赵六".encode())
    with pytest.raises(CertificateError, match="trusted CA"):
        TRUST.validate(sm2.pem("CERTIFICATE", forged), NOW)


def test_a_gm_certificate_out_of_its_period_is_refused():
    _, cert = gm_holder(days=30)
    with pytest.raises(CertificateError, match="expired"):
        TRUST.validate(cert, NOW + timedelta(days=30))
    with pytest.raises(CertificateError, match="not valid yet"):
        TRUST.validate(cert, NOW - timedelta(days=2))


def test_a_gm_ca_cannot_sign_in_and_a_gm_leaf_cannot_be_a_trust_anchor():
    with pytest.raises(CertificateError, match="CA certificate cannot sign"):
        TRUST.validate(GM_CA[0], NOW)
    with pytest.raises(CertificateError, match="not a CA"):
        x509.TrustList([gm_holder()[1]])


def test_a_gm_platform_certificate_allows_signatures_and_key_encipherment():
    usage = x509.load(gm_holder(kind="platform", cn="平台")[1]).extensions.get_extension_for_class(cx509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment and not usage.content_commitment


def test_a_gm_ca_does_not_certify_a_p256_key():
    with pytest.raises(CertificateError, match="gm CA issues gm certificates only"):
        x509.issue(*GM_CA, subject_cn="x", kind="person", uscc=None, public_pem=keys.generate("intl").public_pem, days=1)


def test_a_gm_certificate_signs_its_holder_in():
    pair, cert = gm_holder(kind="person", cn="李四")
    text = challenge.new_challenge(NOW)
    info = challenge.verify_response(TRUST, cert, text, signing.sign("gm", pair.private_pem, text.encode()), NOW)
    assert (info.subject_cn, info.suite) == ("李四", "gm")
    with pytest.raises(SignatureError):
        challenge.verify_response(TRUST, cert, text, signing.sign("gm", keys.generate("gm").private_pem, text.encode()), NOW)


def test_a_document_signed_with_a_gm_certificate_verifies_and_changes_are_caught():
    pair, cert = gm_holder()
    sig = documents.sign_document("gm", cert, pair.private_pem, "评标报告".encode(), kind="evaluation_report", signed_at=NOW)
    doc = documents.verify_document(sig, "评标报告".encode(), TRUST, now=NOW)
    assert (doc.digest_alg, doc.signer.suite, doc.trusted) == ("sm3", "gm", True)
    with pytest.raises(SignatureError, match="content has changed"):
        documents.verify_document(sig, "评标报告!".encode(), TRUST, now=NOW)


@needs_sm2
def test_our_gm_certificates_parse_and_verify_in_openssl(tmp_path):
    _, cert = gm_holder()
    (tmp_path / "ca.pem").write_bytes(GM_CA[0])
    (tmp_path / "ee.pem").write_bytes(cert)
    text = openssl("x509", "-in", "ee.pem", "-text", "-noout", cwd=tmp_path).decode()
    assert "SM2-with-SM3" in text and "ASN1 OID: SM2" in text and "Digital Signature, Non Repudiation" in text
    out = openssl("verify", "-vfyopt", DISTID, "-attime", str(int(NOW.timestamp())), "-CAfile", "ca.pem", "ee.pem", cwd=tmp_path)
    assert b"ee.pem: OK" in out


def make_openssl_sm2_chain(d, *, distid: bool) -> None:
    sig = ["-sigopt", DISTID] if distid else []
    vfy = ["-vfyopt", DISTID] if distid else []
    openssl("genpkey", "-algorithm", "SM2", "-out", "ca.key", cwd=d)
    openssl("req", "-x509", "-new", "-key", "ca.key", "-sm3", *sig, "-days", "30", "-subj", "/CN=OpenSSL SM2 CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", "ca.pem", cwd=d)
    openssl("genpkey", "-algorithm", "SM2", "-out", "ee.key", cwd=d)
    openssl("req", "-new", "-key", "ee.key", "-sm3", *sig, "-utf8", "-subj",
            "/CN=王五/OU=person/serialNumber=91110105MA00000012", "-out", "ee.csr", cwd=d)
    (d / "ext.cnf").write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n")
    openssl("x509", "-req", "-in", "ee.csr", *vfy, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "10", "-sm3", *sig, "-extfile", "ext.cnf", "-out", "ee.pem", cwd=d)


@needs_sm2
@pytest.mark.parametrize("distid", [True, False], ids=["gmt0009-id", "openssl-default-id"])
def test_an_sm2_certificate_chain_made_by_openssl_is_accepted(tmp_path, distid):
    make_openssl_sm2_chain(tmp_path, distid=distid)
    trust = x509.TrustList([INTL_CA[0], (tmp_path / "ca.pem").read_bytes()])
    info = trust.validate((tmp_path / "ee.pem").read_bytes(), SystemClock().now() + timedelta(seconds=5))
    assert (info.subject_cn, info.kind, info.uscc, info.suite) == ("王五", "person", "91110105MA00000012", "gm")
    assert info.public_pem == keys.public_of("gm", (tmp_path / "ee.key").read_bytes())

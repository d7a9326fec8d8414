"""Keys, certificates and signatures made by the ``openssl`` command line are accepted, and
ours are accepted by it."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest
from crypto_builders import openssl, openssl_supports_sm2

from tenderhub.core.shared.clock import SystemClock
from tenderhub.crypto import keys, signing, x509

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
needs_sm2 = pytest.mark.skipif(not openssl_supports_sm2(), reason="this openssl has no SM2 (genpkey -algorithm SM2 fails)")


def now() -> datetime:
    return SystemClock().now() + timedelta(seconds=5)


def make_openssl_chain(d):
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=d)
    openssl("req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "30", "-subj", "/CN=OpenSSL CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", "ca.pem", cwd=d)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ee.key", cwd=d)
    openssl("req", "-new", "-key", "ee.key", "-subj", "/CN=王五/OU=person/serialNumber=91110105MA00000012",
            "-utf8", "-out", "ee.csr", cwd=d)
    (d / "ext.cnf").write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n")
    openssl("x509", "-req", "-in", "ee.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "10",
            "-sha256", "-extfile", "ext.cnf", "-out", "ee.pem", cwd=d)


def test_a_certificate_chain_made_by_openssl_is_accepted(tmp_path):
    make_openssl_chain(tmp_path)
    info = x509.TrustList([(tmp_path / "ca.pem").read_bytes()]).validate((tmp_path / "ee.pem").read_bytes(), now())
    assert (info.subject_cn, info.kind, info.issuer_cn) == ("王五", "person", "OpenSSL CA")


def test_an_openssl_certificate_is_refused_after_it_expires(tmp_path):
    make_openssl_chain(tmp_path)
    with pytest.raises(x509.CertificateError):
        x509.TrustList([(tmp_path / "ca.pem").read_bytes()]).validate((tmp_path / "ee.pem").read_bytes(), now() + timedelta(days=11))


def test_an_openssl_ecdsa_signature_verifies_here(tmp_path):
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "k.pem", cwd=tmp_path)
    openssl("pkey", "-in", "k.pem", "-pubout", "-out", "pub.pem", cwd=tmp_path)
    (tmp_path / "doc.txt").write_bytes(b"tender document")
    openssl("dgst", "-sha256", "-sign", "k.pem", "-out", "doc.sig", "doc.txt", cwd=tmp_path)
    public, signature = (tmp_path / "pub.pem").read_bytes(), (tmp_path / "doc.sig").read_bytes()
    assert signing.verify("intl", public, b"tender document", signature)


def test_our_ecdsa_signature_verifies_with_openssl(tmp_path):
    pair = keys.generate("intl")
    (tmp_path / "pub.pem").write_bytes(pair.public_pem)
    (tmp_path / "doc.sig").write_bytes(signing.sign("intl", pair.private_pem, b"bid"))
    (tmp_path / "doc.txt").write_bytes(b"bid")
    out = openssl("dgst", "-sha256", "-verify", "pub.pem", "-signature", "doc.sig", "doc.txt", cwd=tmp_path)
    assert b"Verified OK" in out


def test_a_certificate_issued_here_is_read_by_openssl(tmp_path):
    ca_cert, ca_key = x509.init_ca("Here CA", days=10)
    cert = x509.issue(ca_cert, ca_key, subject_cn="Co", kind="company", uscc="91110105MA00000012",
                      public_pem=keys.generate("intl").public_pem, days=5)
    (tmp_path / "ca.pem").write_bytes(ca_cert)
    (tmp_path / "ee.pem").write_bytes(cert)
    assert b"ee.pem: OK" in openssl("verify", "-CAfile", "ca.pem", "ee.pem", cwd=tmp_path)


@needs_sm2
def test_an_openssl_sm2_key_and_signature_work_here(tmp_path):
    openssl("genpkey", "-algorithm", "SM2", "-out", "sm2.key", cwd=tmp_path)
    openssl("pkey", "-in", "sm2.key", "-pubout", "-out", "sm2.pub", cwd=tmp_path)
    (tmp_path / "m").write_bytes(b"opening record")
    openssl("dgst", "-sm3", "-sign", "sm2.key", "-sigopt", "distid:1234567812345678", "-out", "m.sig", "m", cwd=tmp_path)
    private, public = (tmp_path / "sm2.key").read_bytes(), (tmp_path / "sm2.pub").read_bytes()
    assert keys.suite_of(public) == "gm" and keys.public_of("gm", private) == public
    assert signing.verify("gm", public, b"opening record", (tmp_path / "m.sig").read_bytes())


@needs_sm2
def test_our_sm2_key_and_signature_work_in_openssl(tmp_path):
    pair = keys.generate("gm")
    (tmp_path / "k.pem").write_bytes(pair.private_pem)
    (tmp_path / "pub.pem").write_bytes(pair.public_pem)
    (tmp_path / "m").write_bytes(b"evaluation report")
    (tmp_path / "m.sig").write_bytes(signing.sign("gm", pair.private_pem, b"evaluation report"))
    out = openssl("dgst", "-sm3", "-verify", "pub.pem", "-sigopt", "distid:1234567812345678",
                  "-signature", "m.sig", "m", cwd=tmp_path)
    assert b"Verified OK" in out
    assert openssl("pkey", "-in", "k.pem", "-pubout", cwd=tmp_path) == pair.public_pem

"""Certificate revocation lists of both suites: a revoked certificate is refused with which
certificate, when and why; a CRL must be signed by a trusted CA; OpenSSL CRLs are read and ours
are read by OpenSSL."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from crypto_builders import NOW, openssl, openssl_supports_sm2, uscc

from tenderhub.core.shared.clock import SystemClock
from tenderhub.crypto import crl, keys, sm2, x509
from tenderhub.crypto.errors import CertificateError

SUITE = pytest.mark.parametrize("suite", ["intl", "gm"])
CAS = {suite: x509.init_ca(f"{suite} CA", suite, days=3650, now=NOW - timedelta(days=10)) for suite in ("intl", "gm")}
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")


def holder(suite: str, cn: str = "某公司") -> tuple[bytes, int]:
    cert = x509.issue(*CAS[suite], subject_cn=cn, kind="company", uscc=uscc(), days=365,
                      public_pem=keys.generate(suite).public_pem, now=NOW - timedelta(days=10))
    return cert, int(x509.cert_info(cert).serial, 16)


def trust(suite: str, *revoked: crl.Revoked) -> x509.TrustList:
    made = crl.make(*CAS[suite], list(revoked), number=1, now=NOW - timedelta(days=1))
    return x509.TrustList([CAS["intl"][0], CAS["gm"][0]], [made])


@SUITE
def test_a_revoked_certificate_is_refused_naming_it_when_and_why(suite):
    cert, serial = holder(suite, "北京路桥")
    when = NOW - timedelta(days=2)
    with pytest.raises(CertificateError) as refused:
        trust(suite, crl.Revoked(serial, when, "keyCompromise")).validate(cert, NOW)
    message = refused.value.message_en
    assert "北京路桥" in message and f"{serial:x}" in message and "keyCompromise" in message
    assert "2027-02-27 10:00:00" in message and "电子签名法 第13、15条" in message
    assert "已于北京时间 2027-02-27 10:00:00 被吊销" in (refused.value.message_zh or "")


@SUITE
def test_certificates_the_crl_does_not_list_are_accepted(suite):
    cert, _ = holder(suite)
    _, other = holder(suite)
    assert trust(suite, crl.Revoked(other, NOW, "superseded")).validate(cert, NOW).subject_cn == "某公司"


@SUITE
def test_a_superseded_certificate_is_good_before_its_revocation_and_refused_after(suite):
    cert, serial = holder(suite)
    listed = trust(suite, crl.Revoked(serial, NOW - timedelta(days=2), "superseded"))
    assert listed.validate(cert, NOW - timedelta(days=3)).subject_cn == "某公司"
    with pytest.raises(CertificateError, match="superseded"):
        listed.validate(cert, NOW - timedelta(days=2))


@SUITE
def test_a_compromised_key_is_refused_even_for_a_time_before_its_revocation(suite):
    cert, serial = holder(suite)
    with pytest.raises(CertificateError, match="keyCompromise"):
        trust(suite, crl.Revoked(serial, NOW, "keyCompromise")).validate(cert, NOW - timedelta(days=5))


def test_a_crl_of_one_ca_does_not_revoke_the_same_serial_of_another():
    cert, serial = holder("gm")
    assert trust("intl", crl.Revoked(serial, NOW, "keyCompromise")).validate(cert, NOW).suite == "gm"


@SUITE
def test_a_crl_signed_by_an_untrusted_ca_is_refused(suite):
    stranger = x509.init_ca(f"{suite} CA", suite, days=30, now=NOW)  # same name, other key
    make = crl._make_gm if suite == "gm" else crl._make_intl  # claims the trusted CA's name and key id
    forged = make(x509.load(CAS[suite][0]), stranger[1], [], 1, NOW, NOW + timedelta(days=7))
    with pytest.raises(CertificateError, match="not signed by a trusted CA"):
        x509.TrustList([CAS[suite][0]], [forged])
    cert, serial = holder(suite)  # the stranger's own CRL names its own key: it is not the trusted CA's
    own = crl.make(*stranger, [crl.Revoked(serial, NOW, "keyCompromise")], number=1, now=NOW)
    assert x509.TrustList([CAS[suite][0]], [own]).validate(cert, NOW).subject_cn


def test_a_gm_crl_with_a_changed_entry_is_refused():
    _, serial = holder("gm")
    made = crl.make(*CAS["gm"], [crl.Revoked(serial, NOW, "keyCompromise")], number=1, now=NOW)
    body = sm2.unpem(made, "X509 CRL")
    forged = sm2.pem("X509 CRL", body.replace(serial.to_bytes(20, "big")[-8:], bytes(8)))
    assert forged != made
    with pytest.raises(CertificateError, match="not signed by a trusted CA"):
        x509.TrustList([CAS["gm"][0]], [forged])


def test_making_a_crl_with_another_key_or_an_unknown_reason_is_refused():
    with pytest.raises(CertificateError, match="does not belong"):
        crl.make(CAS["gm"][0], keys.generate("gm").private_pem, [], number=1, now=NOW)
    with pytest.raises(CertificateError, match="unknown revocation reason"):
        crl.make(*CAS["intl"], [crl.Revoked(1, NOW, "lost")], number=1, now=NOW)


def test_a_file_that_is_not_a_crl_is_refused():
    with pytest.raises(CertificateError, match="not a readable CRL"):
        x509.TrustList([CAS["intl"][0]], [b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"])


def openssl_key(d, name: str, suite: str) -> None:
    if suite == "gm":
        openssl("genpkey", "-algorithm", "SM2", "-out", name, cwd=d)
    else:
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name, cwd=d)


def openssl_chain_with_ca_database(d, suite: str) -> None:
    """An OpenSSL CA (stock options: for SM2 that is the empty signer id) and one certificate."""
    md = "-sm3" if suite == "gm" else "-sha256"
    openssl_key(d, "ca.key", suite)
    openssl("req", "-x509", "-new", "-key", "ca.key", md, "-days", "30", "-subj", "/CN=OpenSSL CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", "ca.pem", cwd=d)
    openssl_key(d, "ee.key", suite)
    openssl("req", "-new", "-key", "ee.key", md, "-subj", "/CN=ee/OU=person", "-out", "ee.csr", cwd=d)
    (d / "ext.cnf").write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n")
    openssl("x509", "-req", "-in", "ee.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "10",
            md, "-extfile", "ext.cnf", "-out", "ee.pem", cwd=d)
    (d / "index.txt").write_text("")
    (d / "crlnumber").write_text("01\n")
    (d / "ca.cnf").write_text("[ca]\ndefault_ca = here\n[here]\ndatabase = index.txt\ncrlnumber = crlnumber\n"
                              f"default_md = {md[1:]}\ndefault_crl_days = 7\n")


@needs_openssl
@SUITE
def test_a_crl_made_by_openssl_ca_revokes_here(tmp_path, suite):
    if suite == "gm" and not openssl_supports_sm2():
        pytest.skip("this openssl has no SM2")
    d = tmp_path
    openssl_chain_with_ca_database(d, suite)
    cert_pem, ca_pem = (d / "ee.pem").read_bytes(), (d / "ca.pem").read_bytes()
    now = SystemClock().now() + timedelta(seconds=5)
    assert x509.TrustList([ca_pem]).validate(cert_pem, now).suite == suite
    openssl("ca", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-revoke", "ee.pem",
            "-crl_reason", "keyCompromise", cwd=d)
    openssl("ca", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-gencrl", "-out", "ca.crl", cwd=d)
    with pytest.raises(CertificateError, match=r"'ee'.*revoked.*keyCompromise"):
        x509.TrustList([ca_pem], [(d / "ca.crl").read_bytes()]).validate(cert_pem, now)


@needs_openssl
@SUITE
def test_our_crls_are_read_by_openssl(tmp_path, suite):
    if suite == "gm" and not openssl_supports_sm2():
        pytest.skip("this openssl has no SM2")
    _, serial = holder(suite)
    (tmp_path / "ca.crl").write_bytes(crl.make(*CAS[suite], [crl.Revoked(serial, NOW, "superseded")], number=7, now=NOW))
    (tmp_path / "ca.pem").write_bytes(CAS[suite][0])
    text = openssl("crl", "-in", "ca.crl", "-text", "-noout", cwd=tmp_path).decode()
    assert f"{serial:X}" in text and "Superseded" in text and "CRL Number" in text
    if suite == "intl":  # OpenSSL 3.0 `crl` cannot be given the SM2 id 1234567812345678 to verify with
        assert b"verify OK" in openssl("crl", "-in", "ca.crl", "-CAfile", "ca.pem", "-noout", cwd=tmp_path, stderr=True)


@SUITE
def test_past_the_newest_crls_next_update_the_status_is_unknown_and_the_certificate_refused(suite):
    cert, _ = holder(suite, "北京路桥")
    made = crl.make(*CAS[suite], [], number=1, now=NOW - timedelta(days=10), days=7)
    listed = x509.TrustList([CAS["intl"][0], CAS["gm"][0]], [made])
    assert listed.validate(cert, NOW - timedelta(days=4)).subject_cn == "北京路桥"  # within the CRL's validity
    with pytest.raises(CertificateError) as refused:
        listed.validate(cert, NOW)
    assert refused.value.field == "crl" and "nextUpdate" in refused.value.message_en and "电子签名法 第13条" in refused.value.message_en


@SUITE
def test_the_newest_crl_of_a_ca_decides_when_an_older_one_has_expired(suite):
    cert, serial = holder(suite)
    old = crl.make(*CAS[suite], [], number=1, now=NOW - timedelta(days=20), days=7)
    new = crl.make(*CAS[suite], [crl.Revoked(serial, NOW - timedelta(days=1), "keyCompromise")], number=2,
                   now=NOW - timedelta(days=1), days=7)
    listed = x509.TrustList([CAS["intl"][0], CAS["gm"][0]], [old, new])
    with pytest.raises(CertificateError, match="revoked"):
        listed.validate(cert, NOW)
    fresh, _ = holder(suite, "另一公司")
    assert listed.validate(fresh, NOW).subject_cn == "另一公司"


@SUITE
def test_a_back_dated_signing_time_cannot_make_a_stale_crl_current(suite):
    cert, _ = holder(suite, "北京路桥")
    made = crl.make(*CAS[suite], [], number=1, now=NOW - timedelta(days=10), days=7)
    listed = x509.TrustList([CAS["intl"][0], CAS["gm"][0]], [made])
    claimed = NOW - timedelta(days=5)  # within the CRL's validity, but verified today
    assert listed.validate(cert, claimed).subject_cn == "北京路桥"
    with pytest.raises(CertificateError, match="nextUpdate"):
        listed.validate(cert, claimed, checked_at=NOW)

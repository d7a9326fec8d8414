"""Three-level certificate chains made by the ``openssl`` command line (intl P-256 and SM2) are
accepted, and ours verify in ``openssl verify -untrusted``."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from chain_builders import pki
from crypto_builders import NOW, openssl, openssl_supports_sm2

from tenderhub.core.shared.clock import SystemClock
from tenderhub.crypto import documents, keys, x509
from tenderhub.crypto.errors import CertificateError

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
needs_sm2 = pytest.mark.skipif(not openssl_supports_sm2(), reason="this openssl has no SM2 (genpkey -algorithm SM2 fails)")
DISTID = "distid:1234567812345678"
CA_EXT = "basicConstraints=critical,CA:TRUE{limit}\nkeyUsage=critical,keyCertSign,cRLSign\n"
KEY_IDS = "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n"
EE_EXT = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"


def soon():
    return SystemClock().now() + timedelta(seconds=5)


def make_openssl_three_levels(d: Path, suite: str, *, key_ids: bool = True, sub_limit: str = ",pathlen:0",
                              distid: bool = False) -> None:
    """root (self-signed, ``req -x509``) → "OpenSSL Sub CA" (``x509 -req``) → 王五 (``x509 -req``)."""
    digest = "-sm3" if suite == "gm" else "-sha256"
    sig = ["-sigopt", DISTID] if distid else []
    vfy = ["-vfyopt", DISTID] if distid else []
    for name in ("root", "sub", "ee"):
        if suite == "gm":
            openssl("genpkey", "-algorithm", "SM2", "-out", f"{name}.key", cwd=d)
        else:
            openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key", cwd=d)
    openssl("req", "-x509", "-new", "-key", "root.key", digest, *sig, "-days", "30", "-subj", "/CN=OpenSSL Root CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", "root.pem", cwd=d)
    (d / "sub.cnf").write_text(CA_EXT.format(limit=sub_limit) + (KEY_IDS if key_ids else ""))
    (d / "ee.cnf").write_text(EE_EXT + (KEY_IDS if key_ids else ""))
    for name, subj, issuer in (("sub", "/CN=OpenSSL Sub CA", "root"),
                               ("ee", "/CN=王五/OU=person/serialNumber=91110105MA00000012", "sub")):
        openssl("req", "-new", "-key", f"{name}.key", digest, *sig, "-utf8", "-subj", subj, "-out", f"{name}.csr", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", *vfy, "-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key",
                "-CAcreateserial", "-days", "10", digest, *sig, "-extfile", f"{name}.cnf", "-out", f"{name}.pem", cwd=d)


def validate(d: Path, **kw) -> x509.CertInfo:
    trust = x509.TrustList([(d / "root.pem").read_bytes()])
    return trust.validate((d / "ee.pem").read_bytes(), soon(), chain=[(d / "sub.pem").read_bytes()], **kw)


@pytest.mark.parametrize("key_ids", [True, False], ids=["with-key-ids", "names-only"])
def test_an_openssl_three_level_p256_chain_is_accepted(tmp_path, key_ids):
    make_openssl_three_levels(tmp_path, "intl", key_ids=key_ids)
    info = validate(tmp_path)
    assert (info.subject_cn, info.suite, info.path) == ("王五", "intl", ("OpenSSL Sub CA", "OpenSSL Root CA"))


@needs_sm2
@pytest.mark.parametrize("distid", [True, False], ids=["gmt0009-id", "openssl-default-id"])
def test_an_openssl_three_level_sm2_chain_is_accepted(tmp_path, distid):
    make_openssl_three_levels(tmp_path, "gm", distid=distid)
    info = validate(tmp_path)
    assert (info.subject_cn, info.uscc, info.suite, info.path) == (
        "王五", "91110105MA00000012", "gm", ("OpenSSL Sub CA", "OpenSSL Root CA"))
    assert info.public_pem == keys.public_of("gm", (tmp_path / "ee.key").read_bytes())


@pytest.mark.parametrize("suite", ["intl", pytest.param("gm", marks=needs_sm2)])
def test_an_openssl_intermediate_without_ca_true_is_refused(tmp_path, suite):
    make_openssl_three_levels(tmp_path, suite, sub_limit="")
    (tmp_path / "sub.cnf").write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n")
    digest = "-sm3" if suite == "gm" else "-sha256"
    openssl("x509", "-req", "-in", "sub.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-days", "10",
            digest, "-extfile", "sub.cnf", "-out", "sub.pem", cwd=tmp_path)
    openssl("x509", "-req", "-in", "ee.csr", "-CA", "sub.pem", "-CAkey", "sub.key", "-CAcreateserial", "-days", "10",
            digest, "-extfile", "ee.cnf", "-out", "ee.pem", cwd=tmp_path)
    with pytest.raises(CertificateError, match="intermediate CA 'OpenSSL Sub CA' is not a CA"):
        validate(tmp_path)


@pytest.mark.parametrize("suite", ["intl", pytest.param("gm", marks=needs_sm2)])
def test_an_openssl_intermediate_revoked_by_an_openssl_crl_of_the_root_is_refused(tmp_path, suite):
    make_openssl_three_levels(tmp_path, suite)
    d = tmp_path
    (d / "index.txt").write_text("")
    (d / "crlnumber").write_text("01\n")
    (d / "ca.cnf").write_text(f"[ca]\ndefault_ca=root\n[root]\ndatabase={d}/index.txt\ncrlnumber={d}/crlnumber\n"
                              f"default_md={'sm3' if suite == 'gm' else 'sha256'}\ndefault_crl_days=7\n")
    openssl("ca", "-config", "ca.cnf", "-keyfile", "root.key", "-cert", "root.pem", "-revoke", "sub.pem",
            "-crl_reason", "CACompromise", cwd=d)
    openssl("ca", "-config", "ca.cnf", "-keyfile", "root.key", "-cert", "root.pem", "-gencrl", "-out", "root.crl", cwd=d)
    trust = x509.TrustList([(d / "root.pem").read_bytes()], [(d / "root.crl").read_bytes()])
    with pytest.raises(CertificateError, match=r"'OpenSSL Sub CA'.*revoked.*cACompromise"):
        trust.validate((d / "ee.pem").read_bytes(), soon(), chain=[(d / "sub.pem").read_bytes()])


def test_our_three_level_p256_chain_verifies_in_openssl(tmp_path):
    p = pki("intl")
    for name, pem in (("root", p.root[0]), ("sub", p.sub[0]), ("ee", p.holder)):
        (tmp_path / f"{name}.pem").write_bytes(pem)
    out = openssl("verify", "-attime", str(int(NOW.timestamp())), "-CAfile", "root.pem", "-untrusted", "sub.pem",
                  "ee.pem", cwd=tmp_path)
    assert b"ee.pem: OK" in out


@needs_sm2
def test_each_link_of_our_three_level_sm2_chain_verifies_in_openssl(tmp_path):
    """OpenSSL 3.0's ``verify -vfyopt distid:…`` sets the SM2 id on the target certificate only
    (an ``-untrusted`` intermediate is checked with the empty id), so each link is its target once:
    root → sub, then sub → holder with sub as a partial-chain anchor."""
    p = pki("gm")
    for name, pem in (("root", p.root[0]), ("sub", p.sub[0]), ("ee", p.holder)):
        (tmp_path / f"{name}.pem").write_bytes(pem)
    at = ["-vfyopt", DISTID, "-attime", str(int(NOW.timestamp()))]
    assert b"sub.pem: OK" in openssl("verify", *at, "-CAfile", "root.pem", "sub.pem", cwd=tmp_path)
    assert b"ee.pem: OK" in openssl("verify", *at, "-partial_chain", "-CAfile", "sub.pem", "ee.pem", cwd=tmp_path)


@pytest.mark.parametrize("suite", ["intl", pytest.param("gm", marks=needs_sm2)])
def test_a_document_signed_with_an_openssl_chain_verifies_through_the_intermediate(tmp_path, suite):
    make_openssl_three_levels(tmp_path, suite)
    d = tmp_path
    sig = documents.sign_document(suite, (d / "ee.pem").read_bytes() + (d / "sub.pem").read_bytes(),
                                  (d / "ee.key").read_bytes(), b"tender", kind="bid", signed_at=soon())
    doc = documents.verify_document(sig, b"tender", x509.TrustList([(d / "root.pem").read_bytes()]), now=soon())
    assert doc.signer.path == ("OpenSSL Sub CA", "OpenSSL Root CA")


@pytest.mark.parametrize("suite", ["intl", pytest.param("gm", marks=needs_sm2)])
def test_our_intermediate_under_an_openssl_root_with_its_own_key_identifier_chains(tmp_path, suite):
    """The root's SKI is not the SHA-1 of its key: our AKI copies the root's SKI, so the path builds."""
    d, digest = tmp_path, ("-sm3" if suite == "gm" else "-sha256")
    if suite == "gm":
        openssl("genpkey", "-algorithm", "SM2", "-out", "root.key", cwd=d)
    else:
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "root.key", cwd=d)
    openssl("req", "-x509", "-new", "-key", "root.key", digest, "-days", "30", "-subj", "/CN=OpenSSL Root CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=00112233445566778899AABBCCDDEEFF00112233", "-out", "root.pem", cwd=d)
    root = ((d / "root.pem").read_bytes(), (d / "root.key").read_bytes())
    start = SystemClock().now() - timedelta(minutes=1)
    sub = x509.issue_ca(*root, "Our Sub CA", days=10, now=start)
    pair = keys.generate(suite)
    cert = x509.issue(*sub, subject_cn="李四", kind="person", uscc=None, public_pem=pair.public_pem, days=5, now=start)
    info = x509.TrustList([root[0]]).validate(cert, soon(), chain=[sub[0]])
    assert info.path == ("Our Sub CA", "OpenSSL Root CA")

"""The command line end to end: ca init/issue, bidder keygen → seal → decrypt (release) → the
platform opens the same files and the manifest verifies; tenderhub verify."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from crypto_builders import NOW, uscc

from tenderhub.cli import main
from tenderhub.core.shared.clock import SystemClock, beijing
from tenderhub.crypto import crl, documents, keys, package, sealing, x509
from tenderhub.crypto.errors import EnvelopeError


def bid_files(d: Path) -> list[Path]:
    d.mkdir()
    (d / "技术标.pdf").write_bytes(os.urandom(300_000))
    (d / "商务标.xlsx").write_bytes(b"price table")
    return [d / "技术标.pdf", d / "商务标.xlsx"]


def seal_bid(tmp_path: Path, suite: str) -> tuple[Path, list[Path]]:
    assert main(["bidder", "keygen", "--suite", suite, "--out", str(tmp_path / "key")]) == 0
    files = bid_files(tmp_path / "bid")
    out = tmp_path / "bid.sealed"
    argv = ["bidder", "seal", "--key", str(tmp_path / "key"), "--price", "1234567.89", "--period-days", "180",
            "--security", "20000", "--security-form", "银行保函", "--chunk-size", "65536", "--out", str(out)]
    assert main(argv + [str(p) for p in files]) == 0
    return out, files


def test_keygen_writes_a_private_key_only_its_owner_can_read(tmp_path):
    assert main(["bidder", "keygen", "--suite", "gm", "--out", str(tmp_path)]) == 0
    assert stat.S_IMODE((tmp_path / "bidder.key").stat().st_mode) == 0o600
    assert keys.suite_of((tmp_path / "bidder.pub.pem").read_bytes()) == "gm"
    assert main(["bidder", "keygen", "--out", str(tmp_path)]) == 1  # never replaces a key


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_a_sealed_bid_released_to_the_platform_opens_to_the_same_files(tmp_path, suite):
    sealed, files = seal_bid(tmp_path, suite)
    opening = keys.generate(suite)
    (tmp_path / "opening.pub").write_bytes(opening.public_pem)
    argv = ["bidder", "decrypt", "--key", str(tmp_path / "key"), "--package", str(sealed),
            "--platform-key", str(tmp_path / "opening.pub"), "--out", str(tmp_path / "release")]
    assert main(argv) == 0
    manifest, opened = sealing.open_package(suite, opening.private_pem, (tmp_path / "release").read_bytes(),
                                            sealed, tmp_path / "opened")
    assert sorted(p.name for p in opened) == sorted(p.name for p in files)
    assert all((tmp_path / "opened" / "files" / p.name).read_bytes() == p.read_bytes() for p in files)
    assert manifest["price_form"]["price"] == "1234567.89" and manifest["price_form"]["period_days"] == 180
    bidder_public = (tmp_path / "key" / "bidder.pub.pem").read_bytes()
    manifest_bytes, signature = package.read_signed_manifest(tmp_path / "opened")
    assert package.verify_manifest(suite, bidder_public, manifest_bytes, signature, tmp_path / "opened" / "files") == []


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_the_upload_summary_signs_the_ciphertext_digest(tmp_path, suite):
    sealed, _ = seal_bid(tmp_path, suite)
    summary = json.loads(sealed.with_name(sealed.name + ".json").read_text())
    assert summary["size"] == sealed.stat().st_size
    with open(sealed, "rb") as f:
        assert package.verify_summary(summary, f) == []
    summary["ciphertext_digest"] = "0" * 64
    assert package.verify_summary(summary) == ["the summary signature does not verify"]


def test_the_sealed_bid_holds_only_ciphertext_and_a_public_header(tmp_path):
    sealed, _ = seal_bid(tmp_path, "intl")
    data = sealed.read_bytes()
    assert b"1234567.89" not in data and "技术标".encode() not in data


def test_the_manifest_carries_file_digests_and_a_salted_machine_fingerprint(tmp_path):
    sealed, files = seal_bid(tmp_path, "gm")
    own = keys.generate("gm")  # the bidder can open its own package too
    private = (tmp_path / "key" / "bidder.key").read_bytes()
    release = sealing.release_for("gm", private, sealed, own.public_pem)
    manifest, _ = sealing.open_package("gm", own.private_pem, release, sealed, tmp_path / "o")
    assert {f["name"] for f in manifest["files"]} == {p.name for p in files}
    assert len(manifest["machine"]["salt"]) == 32 and manifest["digest_alg"] == "sm3"
    assert manifest["tool"]["name"] == "tenderhub"


def test_a_manifest_with_a_changed_file_reports_the_problem(tmp_path):
    sealed, _ = seal_bid(tmp_path, "intl")
    opening = keys.generate("intl")
    private = (tmp_path / "key" / "bidder.key").read_bytes()
    release = sealing.release_for("intl", private, sealed, opening.public_pem)
    sealing.open_package("intl", opening.private_pem, release, sealed, tmp_path / "o")
    (tmp_path / "o" / "files" / "商务标.xlsx").write_bytes(b"price table, changed")
    (tmp_path / "o" / "files" / "extra.doc").write_bytes(b"x")
    problems = package.verify_manifest("intl", keys.public_of("intl", private),
                                       *package.read_signed_manifest(tmp_path / "o"), tmp_path / "o" / "files")
    assert any("商务标.xlsx" in p for p in problems) and any("extra.doc" in p for p in problems)


def test_a_tampered_package_does_not_open_and_leaves_nothing(tmp_path):
    sealed, _ = seal_bid(tmp_path, "intl")
    opening = keys.generate("intl")
    release = sealing.release_for("intl", (tmp_path / "key" / "bidder.key").read_bytes(), sealed, opening.public_pem)
    data = bytearray(sealed.read_bytes())
    data[-100] ^= 1
    sealed.write_bytes(bytes(data))
    with pytest.raises(EnvelopeError):
        sealing.open_package("intl", opening.private_pem, release, sealed, tmp_path / "o")
    assert list((tmp_path / "o").iterdir()) == []


def test_seal_refuses_a_bad_price(tmp_path, capsys):
    main(["bidder", "keygen", "--out", str(tmp_path / "key")])
    (tmp_path / "f").write_bytes(b"x")
    argv = ["bidder", "seal", "--key", str(tmp_path / "key"), "--price", "lots", "--period-days", "1",
            "--out", str(tmp_path / "p"), str(tmp_path / "f")]
    assert main(argv) == 1
    assert "--price" in capsys.readouterr().err and not (tmp_path / "p").exists()


def test_ca_init_and_issue_make_a_certificate_the_trust_list_accepts(tmp_path):
    ca_dir = tmp_path / "ca"
    assert main(["ca", "init", "--name", "Beijing Test CA", "--dir", str(ca_dir)]) == 0
    assert stat.S_IMODE((ca_dir / "ca.key").stat().st_mode) == 0o600
    (tmp_path / "pub.pem").write_bytes(keys.generate("intl").public_pem)
    argv = ["ca", "issue", "--kind", "company", "--cn", "某公司", "--uscc", uscc(7), "--public-key",
            str(tmp_path / "pub.pem"), "--dir", str(ca_dir), "--out", str(tmp_path / "cert.pem")]
    assert main(argv) == 0
    info = x509.cert_info((tmp_path / "cert.pem").read_bytes())
    trust = x509.TrustList([(ca_dir / "ca.pem").read_bytes()])
    assert trust.validate((tmp_path / "cert.pem").read_bytes(), info.not_before).uscc == uscc(7)
    assert main(["ca", "init", "--name", "again", "--dir", str(ca_dir)]) == 1


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_ca_revoke_and_crl_make_the_trust_list_refuse_the_certificate(tmp_path, capsys, suite):
    ca_dir = tmp_path / "ca"
    assert main(["ca", "init", "--name", f"{suite} CA", "--suite", suite, "--dir", str(ca_dir)]) == 0
    (tmp_path / "pub.pem").write_bytes(keys.generate(suite).public_pem)
    assert main(["ca", "issue", "--kind", "person", "--cn", "张三", "--public-key", str(tmp_path / "pub.pem"),
                 "--dir", str(ca_dir), "--out", str(tmp_path / "cert.pem")]) == 0
    cert = (tmp_path / "cert.pem").read_bytes()
    info = x509.cert_info(cert)
    assert info.suite == suite
    assert main(["ca", "revoke", "--serial", info.serial, "--reason", "keyCompromise", "--dir", str(ca_dir)]) == 0
    assert main(["ca", "crl", "--out", str(tmp_path / "ca.crl"), "--dir", str(ca_dir)]) == 0
    ca_pem, crl_pem = (ca_dir / "ca.pem").read_bytes(), (tmp_path / "ca.crl").read_bytes()
    now = SystemClock().now()  # ``ca revoke`` dates the revocation on the wall clock
    assert x509.TrustList([ca_pem]).validate(cert, now).subject_cn == "张三"
    with pytest.raises(x509.CertificateError, match=f"serial {info.serial}.*keyCompromise"):
        x509.TrustList([ca_pem], [crl_pem]).validate(cert, now)


def test_ca_revoke_refuses_a_serial_it_never_issued_and_a_second_revocation(tmp_path, capsys):
    ca_dir = tmp_path / "ca"
    assert main(["ca", "init", "--name", "CA", "--dir", str(ca_dir)]) == 0
    assert main(["ca", "revoke", "--serial", "abc123", "--dir", str(ca_dir)]) == 1
    assert "no certificate with serial abc123" in capsys.readouterr().err
    (tmp_path / "pub.pem").write_bytes(keys.generate("intl").public_pem)
    assert main(["ca", "issue", "--kind", "person", "--cn", "李四", "--public-key", str(tmp_path / "pub.pem"),
                 "--dir", str(ca_dir), "--out", str(tmp_path / "cert.pem")]) == 0
    serial = x509.cert_info((tmp_path / "cert.pem").read_bytes()).serial
    assert main(["ca", "revoke", "--serial", serial, "--reason", "superseded", "--dir", str(ca_dir)]) == 0
    assert main(["ca", "revoke", "--serial", serial, "--dir", str(ca_dir)]) == 1
    assert "already revoked" in capsys.readouterr().err


def test_ca_issue_refuses_a_key_of_the_other_suite(tmp_path, capsys):
    assert main(["ca", "init", "--name", "GM CA", "--suite", "gm", "--dir", str(tmp_path / "ca")]) == 0
    (tmp_path / "pub.pem").write_bytes(keys.generate("intl").public_pem)
    assert main(["ca", "issue", "--kind", "person", "--cn", "x", "--public-key", str(tmp_path / "pub.pem"),
                 "--dir", str(tmp_path / "ca"), "--out", str(tmp_path / "cert.pem")]) == 1
    assert "gm CA issues gm certificates only" in capsys.readouterr().err


def signed_notice(tmp_path: Path, *, at: datetime | None = None) -> tuple[Path, Path]:
    """A company's signed notice; ``verify`` checks it at the wall clock (no platform receipt)."""
    at = at or SystemClock().now()
    ca_cert, ca_key = x509.init_ca("Doc CA", days=3650, now=at)
    pair = keys.generate("intl")
    cert = x509.issue(ca_cert, ca_key, subject_cn="招标人", kind="company", uscc=uscc(3),
                      public_pem=pair.public_pem, days=365, now=at)
    doc = tmp_path / "notice.html"
    doc.write_bytes("<h1>招标公告</h1>".encode())
    sig = documents.sign_document("intl", cert, pair.private_pem, doc.read_bytes(), kind="notice", signed_at=at)
    (tmp_path / "notice.html.sig.json").write_text(json.dumps(sig))
    (tmp_path / "ca.pem").write_bytes(ca_cert)
    (tmp_path / "ca.key").write_bytes(ca_key)
    return doc, tmp_path / "ca.pem"


def test_verify_prints_who_signed_what_when(tmp_path, capsys):
    at = SystemClock().now() - timedelta(minutes=1)
    doc, ca = signed_notice(tmp_path, at=at)
    assert main(["verify", str(doc), "--trust", str(ca)]) == 0
    out = capsys.readouterr().out
    assert "招标人" in out and "notice" in out and f"{beijing(at):%Y-%m-%d %H:%M:%S} Beijing time (the signer's claim)" in out
    assert "trusted" in out and "checked at:" in out and "the verification time" in out


def test_verify_accepts_a_json_bundle(tmp_path, capsys):
    doc, ca = signed_notice(tmp_path)
    bundle = {"content_path": doc.name, "signature": json.loads((tmp_path / "notice.html.sig.json").read_text())}
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    assert main(["verify", str(tmp_path / "bundle.json"), "--trust", str(ca)]) == 0


def test_verify_fails_with_the_reason_when_the_document_changed(tmp_path, capsys):
    doc, ca = signed_notice(tmp_path)
    doc.write_bytes(doc.read_bytes() + b" ")
    assert main(["verify", str(doc), "--trust", str(ca)]) == 1
    assert "content has changed" in capsys.readouterr().err


def test_verify_fails_for_a_certificate_its_crl_revokes(tmp_path, capsys):
    doc, ca = signed_notice(tmp_path)
    sig = json.loads((tmp_path / "notice.html.sig.json").read_text())
    serial = int(x509.cert_info(sig["signer_cert"].encode()).serial, 16)
    now = SystemClock().now()
    revoked = crl.Revoked(serial, now - timedelta(seconds=1), "superseded")
    (tmp_path / "ca.crl").write_bytes(crl.make(ca.read_bytes(), (tmp_path / "ca.key").read_bytes(), [revoked], number=1, now=now))
    assert main(["verify", str(doc), "--trust", str(ca), "--crl", str(tmp_path / "ca.crl")]) == 1
    assert "was revoked" in capsys.readouterr().err


def test_verify_fails_for_an_untrusted_signer(tmp_path, capsys):
    doc, _ = signed_notice(tmp_path)
    (tmp_path / "other.pem").write_bytes(x509.init_ca("Other", days=10, now=NOW)[0])
    assert main(["verify", str(doc), "--trust", str(tmp_path / "other.pem")]) == 1
    assert "trusted CA" in capsys.readouterr().err

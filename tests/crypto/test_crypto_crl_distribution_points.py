"""Certificates of our CA name where their CRL is published (cRLDistributionPoints, RFC 5280
§4.2.1.13), in both suites; ``ca init|issue --crl-url`` puts it there, and without it nothing changes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tenderhub.cli import main
from tenderhub.crypto import certs, keys, x509
from tenderhub.crypto.errors import CertificateError

ROOT_URL, SUB_URL = "http://crl.example.cn/root.crl", "https://crl.example.cn/sub.crl"


def urls(pem: bytes) -> list[str]:
    return certs.crl_urls(x509.load(pem))


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_root_intermediate_and_holder_certificates_name_their_crl(suite: str) -> None:
    root = x509.init_ca("根CA", suite, days=30, crl_urls=[ROOT_URL])
    sub = x509.issue_ca(*root, "中级CA", days=30, crl_urls=[ROOT_URL])
    pair = keys.generate(suite)
    holder = x509.issue(*sub, subject_cn="李小红", kind="person", uscc=None, public_pem=pair.public_pem, days=30,
                        crl_urls=[SUB_URL, "http://mirror.example.cn/sub.crl"])
    assert (urls(root[0]), urls(sub[0]), urls(holder)) == ([ROOT_URL], [ROOT_URL], [SUB_URL, "http://mirror.example.cn/sub.crl"])
    assert x509.TrustList([root[0]]).validate(holder, x509.load(holder).not_valid_before_utc, chain=[sub[0]]).subject_cn == "李小红"


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_without_urls_a_certificate_has_no_distribution_point(suite: str) -> None:
    root = x509.init_ca("根CA", suite, days=30)
    cert = x509.load(root[0])
    assert urls(root[0]) == [] and not any(e.oid.dotted_string == "2.5.29.31" for e in cert.extensions)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_openssl_reads_the_distribution_point_of_an_sm2_certificate(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_bytes(x509.init_ca("根CA", "gm", days=30, crl_urls=[ROOT_URL])[0])
    shown = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "ca.pem"), "-noout", "-ext", "crlDistributionPoints"],
                           capture_output=True, text=True, check=True).stdout
    assert f"URI:{ROOT_URL}" in shown


@pytest.mark.parametrize("bad", ["file:///etc/passwd", "ldap://ldap.example.cn/cn=CA", "http:///no-host", "http://:80/no-host.crl", "http://例子.cn/x.crl", "ftp://x/y"])
def test_a_distribution_point_must_be_an_http_url_with_a_host(bad: str) -> None:
    with pytest.raises(CertificateError) as refused:
        x509.init_ca("根CA", days=30, crl_urls=[bad])
    assert refused.value.field == "crl_url" and "http(s)" in refused.value.message_en


def test_the_ca_command_names_the_issuers_url_in_what_it_issues(tmp_path: Path) -> None:
    root, sub = tmp_path / "root", tmp_path / "sub"
    assert main(["ca", "init", "--name", "根CA", "--suite", "gm", "--dir", str(root), "--crl-url", ROOT_URL]) == 0
    assert main(["ca", "init", "--intermediate", "--issuer-dir", str(root), "--name", "中级CA", "--dir", str(sub), "--crl-url", SUB_URL]) == 0
    assert main(["bidder", "keygen", "--suite", "gm", "--out", str(tmp_path / "key")]) == 0
    public = str(tmp_path / "key" / "bidder.pub.pem")
    issue = ["ca", "issue", "--kind", "person", "--cn", "李小红", "--public-key", public, "--dir", str(sub)]
    assert main([*issue, "--out", str(tmp_path / "a.pem")]) == 0
    assert main([*issue, "--out", str(tmp_path / "b.pem"), "--crl-url", "http://other.example.cn/b.crl"]) == 0
    assert json.loads((sub / "index.json").read_text(encoding="utf-8"))["crl_urls"] == [SUB_URL]
    assert urls((root / "ca.pem").read_bytes()) == [ROOT_URL]  # a root is covered by its own CRL
    assert urls((sub / "ca.pem").read_bytes()) == [ROOT_URL]  # the intermediate by its issuer's
    assert urls((tmp_path / "a.pem").read_bytes()) == [SUB_URL]  # a holder by its CA's
    assert urls((tmp_path / "b.pem").read_bytes()) == ["http://other.example.cn/b.crl"]


def test_the_ca_command_without_a_url_writes_none_and_refuses_a_bad_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ca", "init", "--name", "根CA", "--dir", str(tmp_path / "plain")]) == 0
    assert urls((tmp_path / "plain" / "ca.pem").read_bytes()) == []
    assert "crl_urls" not in json.loads((tmp_path / "plain" / "index.json").read_text(encoding="utf-8"))
    assert main(["ca", "init", "--name", "根CA", "--dir", str(tmp_path / "bad"), "--crl-url", "file:///tmp/x.crl"]) == 1
    assert "--crl-url" in capsys.readouterr().err and not (tmp_path / "bad" / "ca.key").exists()

"""``tenderhub ca init --intermediate`` and ``ca issue`` under it, ``tenderhub verify`` through the
intermediate, and a root's CRL revoking the intermediate: the command line end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509 as cx509

from tenderhub.cli import main
from tenderhub.core.shared.clock import SystemClock
from tenderhub.crypto import certs, documents, keys, x509

SUITE = pytest.mark.parametrize("suite", ["intl", "gm"])


def three_levels(tmp_path: Path, suite: str) -> tuple[Path, Path, keys.KeyPair]:
    """root/ and sub/ CA directories, and cert.pem (holder + chain) for a new key pair."""
    root, sub = tmp_path / "root", tmp_path / "sub"
    assert main(["ca", "init", "--name", "Root CA", "--suite", suite, "--dir", str(root)]) == 0
    assert main(["ca", "init", "--intermediate", "--issuer-dir", str(root), "--name", "Sub CA", "--dir", str(sub)]) == 0
    pair = keys.generate(suite)
    (tmp_path / "pub.pem").write_bytes(pair.public_pem)
    assert main(["ca", "issue", "--kind", "person", "--cn", "张三", "--public-key", str(tmp_path / "pub.pem"),
                 "--dir", str(sub), "--out", str(tmp_path / "cert.pem")]) == 0
    return root, sub, pair


def sign(tmp_path: Path, suite: str, cert: bytes, pair: keys.KeyPair) -> Path:
    doc = tmp_path / "report.txt"
    doc.write_bytes("评标报告".encode())
    sig = documents.sign_document(suite, cert, pair.private_pem, doc.read_bytes(), kind="evaluation_report",
                                  signed_at=SystemClock().now())
    (tmp_path / "report.txt.sig.json").write_text(json.dumps(sig))
    return doc


@SUITE
def test_an_intermediate_ca_is_made_under_a_root_and_issues_certificates_with_their_chain(tmp_path, suite):
    root, sub, _ = three_levels(tmp_path, suite)
    sub_cert = x509.load((sub / "ca.pem").read_bytes())
    assert sub_cert.extensions.get_extension_for_class(cx509.BasicConstraints).value.path_length == 0
    assert x509.load((root / "ca.pem").read_bytes()).extensions.get_extension_for_class(cx509.BasicConstraints).value.path_length is None
    assert (sub / "chain.pem").read_bytes() == (sub / "ca.pem").read_bytes()
    bundle = certs.load_all((tmp_path / "cert.pem").read_bytes())
    assert [x509.cert_info(certs.pem(c)).subject_cn for c in bundle] == ["张三", "Sub CA"]
    recorded = json.loads((root / "index.json").read_text())["issued"]
    assert [(r["cn"], r["kind"]) for r in recorded] == [("Sub CA", "ca")]
    info = x509.TrustList([(root / "ca.pem").read_bytes()]).validate((tmp_path / "cert.pem").read_bytes(), SystemClock().now())
    assert (info.suite, info.path) == (suite, ("Sub CA", "Root CA"))


@SUITE
def test_verify_follows_the_chain_of_a_signature_and_a_roots_crl_revoking_the_intermediate_refuses_it(tmp_path, suite, capsys):
    root, sub, pair = three_levels(tmp_path, suite)
    doc = sign(tmp_path, suite, (tmp_path / "cert.pem").read_bytes(), pair)
    assert main(["verify", str(doc), "--trust", str(root / "ca.pem")]) == 0
    assert "issued by 'Sub CA' → 'Root CA', trusted" in capsys.readouterr().out
    serial = x509.cert_info((sub / "ca.pem").read_bytes()).serial
    assert main(["ca", "revoke", "--serial", serial, "--reason", "cACompromise", "--dir", str(root)]) == 0
    assert main(["ca", "crl", "--out", str(tmp_path / "root.crl"), "--dir", str(root)]) == 0
    capsys.readouterr()
    assert main(["verify", str(doc), "--trust", str(root / "ca.pem"), "--crl", str(tmp_path / "root.crl")]) == 1
    assert f"'Sub CA' (serial {serial}) was revoked" in capsys.readouterr().err


def test_verify_takes_intermediates_from_the_command_line_when_the_signature_has_no_chain(tmp_path, capsys):
    root, sub, pair = three_levels(tmp_path, "intl")
    holder_only = certs.pem(x509.load((tmp_path / "cert.pem").read_bytes()))
    doc = sign(tmp_path, "intl", holder_only, pair)
    assert "signer_chain" not in json.loads((tmp_path / "report.txt.sig.json").read_text())
    assert main(["verify", str(doc), "--trust", str(root / "ca.pem")]) == 1
    assert "issuer 'CN=Sub CA' of holder certificate '张三' is neither on the trust list nor in the chain" in capsys.readouterr().err
    assert main(["verify", str(doc), "--trust", str(root / "ca.pem"), "--intermediate", str(sub / "ca.pem")]) == 0


def test_ca_init_intermediate_refuses_what_the_issuer_does_not_allow(tmp_path, capsys):
    root = tmp_path / "root"
    assert main(["ca", "init", "--name", "Zero", "--dir", str(root), "--path-len", "0"]) == 0
    assert main(["ca", "init", "--intermediate", "--issuer-dir", str(root), "--name", "Sub", "--dir", str(tmp_path / "s")]) == 1
    assert "pathLenConstraint is 0" in capsys.readouterr().err and not (tmp_path / "s").exists()
    assert main(["ca", "init", "--intermediate", "--name", "Sub", "--dir", str(tmp_path / "s")]) == 1
    assert "--intermediate and --issuer-dir go together" in capsys.readouterr().err
    assert main(["ca", "init", "--intermediate", "--issuer-dir", str(root), "--suite", "gm", "--name", "Sub",
                 "--dir", str(tmp_path / "s")]) == 1
    assert "an intermediate CA has its issuer's suite" in capsys.readouterr().err


def test_a_sub_intermediate_needs_room_in_its_issuers_path_length(tmp_path, capsys):
    root, policy, issuing = tmp_path / "root", tmp_path / "policy", tmp_path / "issuing"
    assert main(["ca", "init", "--name", "Root", "--suite", "gm", "--dir", str(root)]) == 0
    assert main(["ca", "init", "--intermediate", "--issuer-dir", str(root), "--name", "Policy", "--path-len", "1",
                 "--dir", str(policy)]) == 0
    assert main(["ca", "init", "--intermediate", "--issuer-dir", str(policy), "--name", "Issuing", "--dir", str(issuing)]) == 0
    assert [x509.cert_info(certs.pem(c)).subject_cn for c in certs.load_all((issuing / "chain.pem").read_bytes())] == ["Issuing", "Policy"]
    pair = keys.generate("gm")
    (tmp_path / "pub.pem").write_bytes(pair.public_pem)
    assert main(["ca", "issue", "--kind", "platform", "--cn", "平台", "--public-key", str(tmp_path / "pub.pem"),
                 "--dir", str(issuing), "--out", str(tmp_path / "cert.pem")]) == 0
    info = x509.TrustList([(root / "ca.pem").read_bytes()]).validate((tmp_path / "cert.pem").read_bytes(), SystemClock().now())
    assert info.path == ("Issuing", "Policy", "Root")

"""``tenderhub ca init|issue|revoke|crl``: a certificate authority for people, companies and
platforms, in the intl (P-256) or gm (SM2) suite.

    tenderhub ca init --name NAME [--suite intl|gm] [--dir DIR] [--days N] [--path-len N] [--crl-url URL ...]
    tenderhub ca init --intermediate --issuer-dir ROOT_DIR --name NAME [--dir DIR] [--days N] [--path-len N] [--crl-url URL ...]
    tenderhub ca issue --kind person|company|platform --cn NAME [--uscc CODE]
                       --public-key PUB.pem [--dir DIR] --out CERT.pem [--days N] [--crl-url URL ...]
    tenderhub ca revoke --serial HEX [--reason REASON] [--dir DIR]
    tenderhub ca crl --out CA.crl [--days N] [--dir DIR]

DIR holds ca.pem, ca.key (0600) and index.json: the certificates issued (serial, holder,
expiry), the revoked ones (serial, time, reason) and the last CRL number. An intermediate CA's
DIR holds chain.pem too: its own certificate and those of the intermediates above it (not the
root); ``ca issue`` writes the holder's certificate followed by chain.pem, so the file carries
its path. The issuing CA records the intermediate in its index.json (``ca revoke`` revokes it).

CRL distribution points (RFC 5280 §4.2.1.13: a certificate names where the CRL that covers *it*
is published, i.e. its issuer's CRL). ``ca init --crl-url URL`` (http or https, repeatable) says
where this CA will publish the CRLs ``ca crl`` writes; it is kept in index.json (``crl_urls``) and
every certificate the CA issues from then on names it: holders (``ca issue``), intermediates
(``ca init --intermediate``: the intermediate's certificate names its issuer's URL, its own
``--crl-url`` is where it publishes for its holders), and a root's own self-signed certificate
(covered by its own CRL), so a hub that has only the CA certificate can fetch it. ``ca issue
--crl-url`` names other URLs for one certificate. Without any ``--crl-url`` no certificate has the
extension (as before).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from tenderhub.core.shared.clock import SystemClock, beijing
from tenderhub.core.shared.errors import DomainError
from tenderhub.crypto import certs, crl, keys, x509

DEFAULT_DIR = Path("data/ca")


def add_parser(subs: Any) -> None:
    ca = subs.add_parser("ca", help="certificate authority: create a CA, issue and revoke certificates, CRLs")
    inner = ca.add_subparsers(dest="ca_command", required=True)
    init = inner.add_parser("init", help="create a CA (ca.pem, ca.key 0600) in DIR")
    init.add_argument("--name", required=True, help="the CA's common name")
    init.add_argument("--suite", choices=["intl", "gm"], help="intl (default) or gm; an intermediate takes its issuer's")
    init.add_argument("--intermediate", action="store_true", help="an intermediate CA issued by the CA in --issuer-dir")
    init.add_argument("--issuer-dir", type=Path, help="the directory of the issuing CA (with --intermediate)")
    init.add_argument("--path-len", type=int, default=None,
                      help="how many intermediate CAs may stand below this one (default: no limit for a root, 0 for an intermediate)")
    _crl_url(init, "where this CA publishes its CRL: named by the certificates it issues (and a root's own)")
    _common(init, handler=run_init, days=3650)
    issue = inner.add_parser("issue", help="issue a certificate for a public key (the CA's suite)")
    issue.add_argument("--kind", required=True, choices=list(x509.KINDS))
    issue.add_argument("--cn", required=True, help="the holder's name")
    issue.add_argument("--uscc", help="统一社会信用代码 (required for a company)")
    issue.add_argument("--public-key", required=True, type=Path)
    issue.add_argument("--out", required=True, type=Path)
    _crl_url(issue, "the CRL URL this certificate names (default: the URLs given to `ca init` of this CA)")
    _common(issue, handler=run_issue, days=730)
    revoke = inner.add_parser("revoke", help="revoke a certificate this CA issued (shows in the next CRL)")
    revoke.add_argument("--serial", required=True, help="the certificate serial number, hex")
    revoke.add_argument("--reason", default="unspecified", choices=list(crl.REASONS))
    _common(revoke, handler=run_revoke)
    make = inner.add_parser("crl", help="write the CA's signed certificate revocation list")
    make.add_argument("--out", required=True, type=Path)
    _common(make, handler=run_crl, days=7)


def _common(parser: argparse.ArgumentParser, *, handler: Any, days: int | None = None) -> None:
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    if days is not None:
        parser.add_argument("--days", type=int, default=days)
    parser.set_defaults(handler=handler)


def _crl_url(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--crl-url", action="append", default=[], metavar="URL",
                        help=f"{text}; http or https, repeatable (cRLDistributionPoints)")


def fail(error: Exception) -> int:
    text = str(error.message_en) if isinstance(error, DomainError) else str(error)
    print(f"错误 / error: {text}", file=sys.stderr)
    return 1


def read_index(directory: Path) -> dict[str, Any]:
    path = directory / "index.json"
    if not path.exists():
        return {"issued": [], "revoked": [], "crl_number": 0}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def write_index(directory: Path, index: dict[str, Any]) -> None:
    path = directory / "index.json"
    path.with_suffix(".tmp").write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")
    path.with_suffix(".tmp").replace(path)


def run_init(args: argparse.Namespace) -> int:
    if (args.dir / "ca.key").exists():
        return fail(FileExistsError(f"{args.dir / 'ca.key'} exists: refusing to replace a CA key"))
    if args.intermediate != (args.issuer_dir is not None):
        return fail(ValueError("--intermediate and --issuer-dir go together"))
    if args.path_len is not None and args.path_len < 0:
        return fail(ValueError("--path-len must be 0 or more"))
    try:
        urls = [certs.crl_url(u, "--crl-url") for u in args.crl_url]
        cert, key, chain = make_intermediate(args) if args.intermediate else \
            (*x509.init_ca(args.name, args.suite or "intl", days=args.days, path_length=args.path_len, crl_urls=urls), b"")
    except (DomainError, OSError, ValueError) as e:
        return fail(e)
    args.dir.mkdir(parents=True, exist_ok=True)
    keys.write_private_file(args.dir / "ca.key", key)
    (args.dir / "ca.pem").write_bytes(cert)
    if chain:
        (args.dir / "chain.pem").write_bytes(chain)
    write_index(args.dir, {**read_index(args.dir), **({"crl_urls": urls} if urls else {})})
    if args.intermediate:
        record_issued(args.issuer_dir, cert)
    info = x509.cert_info(cert)
    under = f", intermediate under {info.issuer_cn!r}" if args.intermediate else ""
    print(f"CA {args.name!r} ({info.suite}{under}): {args.dir / 'ca.pem'} (key {args.dir / 'ca.key'}, 0600)")
    if urls:
        print(f"its CRL is to be published at {', '.join(urls)} (named by the certificates it issues)")
    return 0


def make_intermediate(args: argparse.Namespace) -> tuple[bytes, bytes, bytes]:
    """(certificate, key, chain.pem) of a new intermediate CA (``run_init`` records it in the
    issuer's index once its key is written)."""
    issuer_cert = (args.issuer_dir / "ca.pem").read_bytes()
    suite = x509.cert_info(issuer_cert).suite
    if args.suite and args.suite != suite:
        raise ValueError(f"the issuing CA is {suite}: an intermediate CA has its issuer's suite")
    limit = 0 if args.path_len is None else args.path_len
    cert, key = x509.issue_ca(issuer_cert, (args.issuer_dir / "ca.key").read_bytes(), args.name,
                              days=args.days, path_length=limit, crl_urls=published_at(args.issuer_dir))
    above = args.issuer_dir / "chain.pem"
    return cert, key, cert + (above.read_bytes() if above.exists() else b"")


def record_issued(directory: Path, cert: bytes) -> x509.CertInfo:
    info = x509.cert_info(cert)
    index = read_index(directory)
    index["issued"].append({"serial": info.serial, "cn": info.subject_cn, "kind": info.kind or "ca",
                            "not_after": info.not_after.isoformat(), "fingerprint": info.fingerprint})
    write_index(directory, index)
    return info


def published_at(directory: Path) -> list[str]:
    """Where the CA in ``directory`` publishes its CRL (``ca init --crl-url``), if it said."""
    return list(read_index(directory).get("crl_urls", []))


def run_issue(args: argparse.Namespace) -> int:
    try:
        urls = [certs.crl_url(u, "--crl-url") for u in args.crl_url] or published_at(args.dir)
        cert = x509.issue(
            (args.dir / "ca.pem").read_bytes(), (args.dir / "ca.key").read_bytes(),
            subject_cn=args.cn, kind=args.kind, uscc=args.uscc,
            public_pem=args.public_key.read_bytes(), days=args.days, crl_urls=urls,
        )
    except (DomainError, OSError) as e:
        return fail(e)
    chain = args.dir / "chain.pem"
    args.out.write_bytes(cert + (chain.read_bytes() if chain.exists() else b""))
    info = record_issued(args.dir, cert)
    path = " with its chain" if chain.exists() else ""
    print(f"{info.kind} {info.subject_cn!r} serial {info.serial}, valid to {info.not_after:%Y-%m-%d}: {args.out}{path}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    serial = args.serial.lower().removeprefix("0x").replace(":", "")
    index = read_index(args.dir)
    issued = [c for c in index["issued"] if c["serial"] == serial]
    if not issued:
        return fail(LookupError(f"this CA issued no certificate with serial {serial} (see {args.dir / 'index.json'})"))
    if any(r["serial"] == serial for r in index["revoked"]):
        return fail(LookupError(f"certificate {serial} is already revoked"))
    now = SystemClock().now()
    index["revoked"].append({"serial": serial, "revoked_at": now.isoformat(), "reason": args.reason})
    write_index(args.dir, index)
    print(f"revoked {issued[0]['cn']!r} serial {serial} at {beijing(now):%Y-%m-%d %H:%M:%S} Beijing time "
          f"({args.reason}); publish it with `tenderhub ca crl`")
    return 0


def run_crl(args: argparse.Namespace) -> int:
    index = read_index(args.dir)
    revoked = [crl.Revoked(int(r["serial"], 16), datetime.fromisoformat(r["revoked_at"]), r["reason"])
               for r in index["revoked"]]
    number = int(index["crl_number"]) + 1
    try:
        data = crl.make((args.dir / "ca.pem").read_bytes(), (args.dir / "ca.key").read_bytes(), revoked,
                        number=number, now=SystemClock().now(), days=args.days)
    except (DomainError, OSError) as e:
        return fail(e)
    args.out.write_bytes(data)
    index["crl_number"] = number
    write_index(args.dir, index)
    print(f"CRL #{number}: {len(revoked)} revoked certificate(s), next update in {args.days} days: {args.out}")
    if index.get("crl_urls"):
        print(f"put it at {', '.join(index['crl_urls'])}: the certificates of this CA name it there")
    return 0

"""``tenderhub ca init|issue``: a certificate authority for people, companies and platforms.

    tenderhub ca init --name NAME [--suite intl] [--dir DIR] [--days N]
    tenderhub ca issue --kind person|company|platform --cn NAME [--uscc CODE]
                       --public-key PUB.pem [--dir DIR] --out CERT.pem [--days N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tenderhub.core.shared.errors import DomainError
from tenderhub.crypto import keys, x509

DEFAULT_DIR = Path("data/ca")


def add_parser(subs: Any) -> None:
    ca = subs.add_parser("ca", help="certificate authority: create a CA, issue certificates")
    inner = ca.add_subparsers(dest="ca_command", required=True)
    init = inner.add_parser("init", help="create a CA (ca.pem, ca.key 0600) in DIR")
    init.add_argument("--name", required=True, help="the CA's common name")
    init.add_argument("--suite", default="intl", choices=["intl", "gm"])
    init.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    init.add_argument("--days", type=int, default=3650)
    init.set_defaults(handler=run_init)
    issue = inner.add_parser("issue", help="issue a certificate for a public key")
    issue.add_argument("--kind", required=True, choices=list(x509.KINDS))
    issue.add_argument("--cn", required=True, help="the holder's name")
    issue.add_argument("--uscc", help="统一社会信用代码 (required for a company)")
    issue.add_argument("--public-key", required=True, type=Path)
    issue.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    issue.add_argument("--out", required=True, type=Path)
    issue.add_argument("--days", type=int, default=730)
    issue.set_defaults(handler=run_issue)


def fail(error: Exception) -> int:
    text = str(error.message_en) if isinstance(error, DomainError) else str(error)
    print(f"错误 / error: {text}", file=sys.stderr)
    return 1


def run_init(args: argparse.Namespace) -> int:
    if (args.dir / "ca.key").exists():
        return fail(FileExistsError(f"{args.dir / 'ca.key'} exists: refusing to replace a CA key"))
    try:
        cert, key = x509.init_ca(args.name, args.suite, days=args.days)
    except DomainError as e:
        return fail(e)
    args.dir.mkdir(parents=True, exist_ok=True)
    keys.write_private_file(args.dir / "ca.key", key)
    (args.dir / "ca.pem").write_bytes(cert)
    print(f"CA {args.name!r}: {args.dir / 'ca.pem'} (key {args.dir / 'ca.key'}, 0600)")
    return 0


def run_issue(args: argparse.Namespace) -> int:
    try:
        cert = x509.issue(
            (args.dir / "ca.pem").read_bytes(), (args.dir / "ca.key").read_bytes(),
            subject_cn=args.cn, kind=args.kind, uscc=args.uscc,
            public_pem=args.public_key.read_bytes(), days=args.days,
        )
    except (DomainError, OSError) as e:
        return fail(e)
    args.out.write_bytes(cert)
    info = x509.cert_info(cert)
    print(f"{info.kind} {info.subject_cn!r} serial {info.serial}, valid to {info.not_after:%Y-%m-%d}: {args.out}")
    return 0

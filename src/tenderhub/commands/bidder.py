"""``tenderhub bidder keygen|seal|decrypt``: the bidder's offline tool (DESIGN §4).

    tenderhub bidder keygen [--suite intl|gm] --out DIR
    tenderhub bidder seal --key DIR --price P --period-days N [--security S] [--security-form F]
                          [--quality Q] [--project-manager NAME] --out PACKAGE FILES...
    tenderhub bidder decrypt --key DIR --package PACKAGE --platform-key OPENING_PUB.pem --out RELEASE

``seal`` encrypts to the bidder's OWN key and writes PACKAGE and PACKAGE.json (the upload
summary); at the opening, ``decrypt`` releases the content key to the platform's opening key.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from tenderhub import __version__
from tenderhub.core.shared.clock import SystemClock
from tenderhub.core.shared.errors import DomainError
from tenderhub.crypto import keys, machine, sealing

PRIVATE, PUBLIC, META = "bidder.key", "bidder.pub.pem", "bidder.json"


def add_parser(subs: Any) -> None:
    bidder = subs.add_parser("bidder", help="bidder tool: keys, sealing a bid, releasing its key")
    inner = bidder.add_subparsers(dest="bidder_command", required=True)
    keygen = inner.add_parser("keygen", help="create the bidder's key pair in DIR")
    keygen.add_argument("--suite", default="intl", choices=["intl", "gm"])
    keygen.add_argument("--out", required=True, type=Path)
    keygen.set_defaults(handler=run_keygen)
    _add_seal(inner)
    decrypt = inner.add_parser("decrypt", help="release the content key to the opening key")
    decrypt.add_argument("--key", required=True, type=Path)
    decrypt.add_argument("--package", required=True, type=Path)
    decrypt.add_argument("--platform-key", required=True, type=Path)
    decrypt.add_argument("--out", required=True, type=Path)
    decrypt.set_defaults(handler=run_decrypt)


def _add_seal(inner: Any) -> None:
    seal = inner.add_parser("seal", help="sign and encrypt the bid files into PACKAGE")
    seal.add_argument("--key", required=True, type=Path)
    seal.add_argument("--price", required=True, help="投标报价 (yuan)")
    seal.add_argument("--period-days", required=True, type=int, help="工期/交货期 (days)")
    seal.add_argument("--security", help="投标保证金 amount (yuan)")
    seal.add_argument("--security-form", help="保证金形式 (e.g. 银行保函)")
    seal.add_argument("--quality", help="质量标准")
    seal.add_argument("--project-manager", help="项目经理")
    seal.add_argument("--chunk-size", type=int, default=1 << 20, help=argparse.SUPPRESS)
    seal.add_argument("--out", required=True, type=Path)
    seal.add_argument("files", nargs="+", type=Path)
    seal.set_defaults(handler=run_seal)


def fail(text: str) -> int:
    print(f"错误 / error: {text}", file=sys.stderr)
    return 1


def load_key(folder: Path) -> tuple[str, bytes]:
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    return str(meta["suite"]), (folder / PRIVATE).read_bytes()


def run_keygen(args: argparse.Namespace) -> int:
    pair = keys.generate(args.suite)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        keys.write_private_file(args.out / PRIVATE, pair.private_pem)
    except FileExistsError:
        return fail(f"{args.out / PRIVATE} exists: refusing to replace a key")
    (args.out / PUBLIC).write_bytes(pair.public_pem)
    meta = {"suite": pair.suite, "fingerprint": keys.fingerprint(pair.public_pem)}
    (args.out / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"{pair.suite} key {meta['fingerprint'][:16]}…: {args.out / PRIVATE} (0600), {args.out / PUBLIC}")
    return 0


def amount(text: str | None, name: str) -> str | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{name}: not an amount: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name}: not an amount: {text!r}")
    return str(value)


def price_form(args: argparse.Namespace) -> dict[str, Any]:
    """开标一览表: the structured price form read out at the opening (唱标)."""
    if args.period_days <= 0:
        raise ValueError("--period-days must be positive")
    return {
        "price": amount(args.price, "--price"), "period_days": args.period_days,
        "quality": args.quality, "security_amount": amount(args.security, "--security"),
        "security_form": args.security_form, "project_manager": args.project_manager,
    }


def run_seal(args: argparse.Namespace) -> int:
    try:
        suite, private = load_key(args.key)
        form = price_form(args)
        missing = [str(p) for p in args.files if not p.is_file()]
        if missing:
            raise ValueError(f"not a file: {', '.join(missing)}")
        summary = _seal(args, suite, private, form)
    except (DomainError, OSError, ValueError, KeyError) as e:
        return fail(e.message_en if isinstance(e, DomainError) else str(e))
    summary_path = args.out.with_name(args.out.name + ".json")
    summary_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"sealed {len(args.files)} file(s): {args.out} ({summary['size']} bytes), summary {summary_path}")
    print(f"ciphertext {summary['digest_alg']}: {summary['ciphertext_digest']}")
    return 0


def _seal(args: argparse.Namespace, suite: str, private: bytes, form: dict[str, Any]) -> dict[str, Any]:
    total = sum(p.stat().st_size for p in args.files)
    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, transient=True, disable=total < (8 << 20)) as bar:
        task = bar.add_task("sealing", total=total)
        return sealing.seal_package(
            suite, private, list(args.files), form, args.out, created_at=SystemClock().now(),
            machine=machine.fingerprint(), tool_version=__version__, chunk_size=args.chunk_size,
            progress=lambda n: bar.advance(task, n),
        )


def run_decrypt(args: argparse.Namespace) -> int:
    try:
        suite, private = load_key(args.key)
        blob = sealing.release_for(suite, private, args.package, args.platform_key.read_bytes())
    except (DomainError, OSError, ValueError, KeyError) as e:
        return fail(e.message_en if isinstance(e, DomainError) else str(e))
    args.out.write_bytes(blob)
    print(f"key released for {args.package.name} to the opening key: {args.out}")
    return 0

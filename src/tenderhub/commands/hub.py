"""``tenderhub hub crls fetch|urls|add-url|remove-url``: the hub's CRLs, on its database, by the
operator of the hub host (the same work as the administrator routes, without the token).

    tenderhub hub crls fetch [--data-dir DIR] [--db URL] [--timeout S] [--max-bytes N] [--json]
    tenderhub hub crls urls [--data-dir DIR] [--db URL] [--json]
    tenderhub hub crls add-url --ca FINGERPRINT --url URL [--data-dir DIR] [--db URL]
    tenderhub hub crls remove-url --ca FINGERPRINT --url URL [--data-dir DIR] [--db URL]

``fetch`` fetches every CRL URL (``hub/crlpull.py``) and shows one line per URL: stored, repeat,
or refused with the reason; it exits 1 when a URL was refused (for cron), 0 otherwise. The
database is the hub's (``DATA_DIR/hub.db`` unless ``--db``), as ``serve --role hub`` opens it.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tenderhub.core.shared.errors import DomainError
from tenderhub.hub import crlpull, crlsources
from tenderhub.hub.context import Hub, open_hub
from tenderhub.hub.crlfetch import Limits
from tenderhub.settings import Settings


def add_parser(subs: Any) -> None:
    hub = subs.add_parser("hub", help="hub administration on its database: CRLs of the trust list")
    inner = hub.add_subparsers(dest="hub_command", required=True)
    group = inner.add_parser("crls", help="fetch the trust list's CRLs; the URLs they are fetched from")
    crls = group.add_subparsers(dest="crls_command", required=True)
    fetch = _common(crls.add_parser("fetch", help="fetch every CRL URL now: stored / repeat / refused per URL"), run_fetch)
    fetch.add_argument("--timeout", type=float, default=Limits.timeout, help="seconds for one download (default %(default)s)")
    fetch.add_argument("--max-bytes", type=int, default=Limits.max_bytes, help="largest CRL accepted (default %(default)s)")
    fetch.add_argument("--json", action="store_true", help="print JSON")
    _common(crls.add_parser("urls", help="the registered URLs and every URL fetched"), run_urls).add_argument("--json", action="store_true")
    for name, handler in (("add-url", run_add), ("remove-url", run_remove)):
        parser = _common(crls.add_parser(name, help=f"{name.split('-')[0]} the URL where a CA publishes its CRL"), handler)
        parser.add_argument("--ca", required=True, help="the CA's fingerprint (SHA-256, as GET /hub/trust-list shows it)")
        parser.add_argument("--url", required=True, help="http(s) URL of the CA's CRL")


def _common(parser: argparse.ArgumentParser, handler: Any) -> argparse.ArgumentParser:
    parser.add_argument("--data-dir", help="the hub's data directory (default: data/, or TENDERHUB_DATA_DIR)")
    parser.add_argument("--db", help="the hub's database URL (default: SQLite DATA_DIR/hub.db)")
    parser.set_defaults(handler=handler)
    return parser


def the_hub(args: argparse.Namespace) -> Hub:
    return open_hub(Path(Settings.load(data_dir=args.data_dir).data_dir), args.db)


def run_fetch(args: argparse.Namespace) -> int:
    with closing(the_hub(args)) as hub:
        results = crlpull.fetch_all(hub, Limits(timeout=args.timeout, max_bytes=args.max_bytes))
    if args.json:
        print(json.dumps(crlpull.summary(results), ensure_ascii=False, indent=2))
    else:
        show(results)
    return 1 if any(r["outcome"] == crlpull.REFUSED for r in results) else 0


def show(results: list[dict[str, Any]]) -> None:
    table = Table(title=f"证书吊销列表获取 / CRLs fetched ({len(results)} URL)")
    for column in ("url", "issuer", "outcome", "next update / reason"):
        table.add_column(column, overflow="fold")
    for r in results:
        detail = (r["crl"]["next_update"] or "") if "crl" in r else r["reason"]["en"]
        table.add_row(r["url"], r["issuer"], r["outcome"], detail)
    Console().print(table)


def run_urls(args: argparse.Namespace) -> int:
    with closing(the_hub(args)) as hub:
        found = crlsources.listing(hub)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    for s in found["sources"]:
        print(f"{s['url']}  {s['origin']}  {s['issuer']}{'' if s['issuer_known'] else '  (unknown CA)'}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    return _change(args, lambda hub: crlsources.register(hub, {"ca_fingerprint": args.ca, "url": args.url}), "registered")


def run_remove(args: argparse.Namespace) -> int:
    return _change(args, lambda hub: crlsources.unregister(hub, args.ca, args.url), "removed")


def _change(args: argparse.Namespace, change: Any, done: str) -> int:
    with closing(the_hub(args)) as hub:
        try:
            change(hub)
        except DomainError as error:
            print(f"错误 / error: {error.message_en}", file=sys.stderr)
            return 1
    print(f"{done}: {args.url} for the CA {args.ca}")
    return 0

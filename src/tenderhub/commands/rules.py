"""``tenderhub rules list``: every legal rule with its citation, as a table or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from tenderhub.core.rules.catalogue import all_rules


def add_parser(subs: Any) -> None:
    rules = subs.add_parser("rules", help="the legal rules with their articles")
    inner = rules.add_subparsers(dest="rules_command", required=True)
    listing = inner.add_parser("list", help="list every rule")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument("--regime", choices=["works", "gp"], help="only this regime")
    listing.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rules = [r for r in all_rules() if args.regime is None or args.regime in r.regimes]
    if args.json:
        print(json.dumps([r.as_dict() for r in rules], ensure_ascii=False, indent=2))
        return 0
    table = Table(title=f"法律规则 / Legal rules ({len(rules)})")
    for column in ("code", "regimes", "limit", "citation", "title"):
        table.add_column(column)
    for r in rules:
        limit = "" if r.limit is None else f"{r.limit} {r.unit.value}"
        cites = "; ".join(str(c) for c in r.citations)
        table.add_row(r.code, " ".join(sorted(r.regimes)), limit, cites, f"{r.title_zh} / {r.title_en}")
    Console().print(table)
    return 0

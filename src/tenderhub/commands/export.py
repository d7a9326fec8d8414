"""``tenderhub export ocds``: a trading platform's tenders as OCDS 1.1.

    tenderhub export ocds --format jsonl|package|records|parquet --data-dir DIR [--db URL] --out FILE
                          [--ocid-prefix ocds-thxxxx-] [--publisher NAME] [--uri URI]

Reads every tender of the platform in ``DIR``, maps its published stages to releases,
validates them (and the package) against the shipped schemas and writes FILE. An invalid
release or package is never written: exit 1, naming the JSON path of each problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tenderhub.bootstrap import build
from tenderhub.core.procedures.model import Tender
from tenderhub.exchange.ocds.mapping import DEFAULT_PREFIX, MappingOptions, releases_for
from tenderhub.exchange.ocds.packages import Publisher, flat_table, record_package, release_package
from tenderhub.exchange.ocds.validate import Problem, validate_package, validate_release
from tenderhub.services.context import Services
from tenderhub.settings import Settings

FORMATS = ("jsonl", "package", "records", "parquet")
PAGE = 200


class Refused(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def add_parser(subs: Any) -> None:
    export = subs.add_parser("export", help="export public data (OCDS 1.1)")
    inner = export.add_subparsers(dest="export_command", required=True)
    ocds = inner.add_parser("ocds", help="releases, release package, record package or Parquet table")
    ocds.add_argument("--format", choices=FORMATS, default="package")
    ocds.add_argument("--data-dir", required=True, metavar="DIR", help="the trading platform's data directory")
    ocds.add_argument("--db", metavar="URL", help="database URL (default: DIR/trading.db)")
    ocds.add_argument("--out", required=True, metavar="FILE")
    ocds.add_argument("--ocid-prefix", default=DEFAULT_PREFIX, help=f"registered ocid prefix (default {DEFAULT_PREFIX})")
    ocds.add_argument("--publisher", help="publisher name (default: the platform's name)")
    ocds.add_argument("--uri", help="package URI (default: file URI of FILE)")
    ocds.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    directory = Path(args.data_dir)
    if args.db is None and not (directory / "trading.db").exists():
        print(f"export: no trading platform in {directory} (no trading.db); give --db URL", file=sys.stderr)
        return 2
    settings = Settings.load(data_dir=directory, db_url=args.db)
    services = build(settings).services
    options = MappingOptions(ocid_prefix=args.ocid_prefix, platform_code=settings.platform_code)
    releases = [r for tender in tenders(services) for r in releases_for(tender, options)]
    try:
        written = write(args, releases, Publisher(args.publisher or settings.platform_name, uid=settings.platform_code))
    except Refused as refused:
        print(f"export: refused, {len(refused.problems)} schema problems; nothing written", file=sys.stderr)
        for line in refused.problems[:50]:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"{written} releases → {args.out} ({args.format})")
    return 0


def tenders(services: Services) -> Iterator[Tender]:
    """Every tender of the platform, page by page, read-only."""
    offset = 0
    while True:
        with services.uow(None) as uow:
            page: list[Tender] = uow.tenders.list(limit=PAGE, offset=offset)
        yield from page
        if len(page) < PAGE:
            return
        offset += PAGE


def check_releases(releases: list[dict[str, Any]]) -> None:
    problems = [f"releases/{n} ({r.get('id')}){p.path}: {p.message}" for n, r in enumerate(releases) for p in validate_release(r)]
    if problems:
        raise Refused(problems)


def check_package(package: dict[str, Any]) -> None:
    problems: list[Problem] = validate_package(package)
    if problems:
        raise Refused([str(p) for p in problems])


def write(args: argparse.Namespace, releases: list[dict[str, Any]], publisher: Publisher) -> int:
    out = Path(args.out)
    check_releases(releases)
    uri = args.uri or out.resolve().as_uri()
    if args.format == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in releases)
    elif args.format == "parquet":
        write_parquet(out, releases)
        return len(releases)
    else:
        build_package = release_package if args.format == "package" else record_package
        package = build_package(releases, publisher=publisher, uri=uri)
        check_package(package)
        text = json.dumps(package, ensure_ascii=False, indent=2) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return len(releases)


def write_parquet(out: Path, releases: list[dict[str, Any]]) -> None:
    import polars as pl

    out.parent.mkdir(parents=True, exist_ok=True)
    schema = {"ocid": pl.String, "id": pl.String, "date": pl.String, "tag": pl.String, "buyer_id": pl.String,
              "buyer": pl.String, "tender_id": pl.String, "title": pl.String, "value": pl.Float64, "currency": pl.String,
              "lots": pl.Int64, "bids": pl.Int64, "awards": pl.Int64, "awarded_value": pl.Float64, "contracts": pl.Int64,
              "json": pl.String}
    pl.DataFrame(flat_table(releases), schema=schema).write_parquet(out)

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
from tenderhub.commands.embedded_dirs import embedded_platforms
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
    ocds.add_argument("--data-dir", required=True, metavar="DIR", help="the trading platform's data directory; a DIR left by "
                      "'tenderhub demo --data-dir DIR' exports the releases of every platform in it")
    ocds.add_argument("--db", metavar="URL", help="database URL (default: DIR/trading.db)")
    ocds.add_argument("--out", required=True, metavar="FILE")
    ocds.add_argument("--ocid-prefix", default=DEFAULT_PREFIX, help=f"registered ocid prefix (default {DEFAULT_PREFIX})")
    ocds.add_argument("--publisher", help="publisher name (default: the platform's name)")
    ocds.add_argument("--uri", help="package URI (default: file URI of FILE)")
    ocds.set_defaults(handler=run)


EMBEDDED_PUBLISHER = "tenderhub 嵌入式部署（公共服务平台与两个交易平台）/ embedded deployment"


def run(args: argparse.Namespace) -> int:
    directory = Path(args.data_dir)
    platforms = embedded_platforms(directory) if args.db is None else []
    if args.db is None and not (directory / "trading.db").exists() and not platforms:
        print(f"export: no trading platform in {directory} (no trading.db); give --db URL", file=sys.stderr)
        return 2
    if not platforms:  # one platform's directory (or --db)
        platforms = [Settings.load(data_dir=directory, db_url=args.db)]
    releases = [r for settings in platforms for r in platform_releases(settings, args.ocid_prefix)]
    one = platforms[0] if len(platforms) == 1 else None
    publisher = Publisher(args.publisher or (one.platform_name if one else EMBEDDED_PUBLISHER), uid=one.platform_code if one else None)
    try:
        written = write(args, releases, publisher)
    except Refused as refused:
        print(f"export: refused, {len(refused.problems)} schema problems; nothing written", file=sys.stderr)
        for line in refused.problems[:50]:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"{written} releases → {args.out} ({args.format})")
    return 0


def platform_releases(settings: Settings, ocid_prefix: str) -> list[dict[str, Any]]:
    """Every release of one platform's tenders (the same mapping its relay sends the hub)."""
    platform = build(settings)
    try:
        options = MappingOptions(ocid_prefix=ocid_prefix, platform_code=settings.platform_code)
        return [r for tender in tenders(platform.services) for r in releases_for(tender, options)]
    finally:
        platform.engine.dispose()


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

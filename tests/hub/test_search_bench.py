"""A tiny run of ``tenderhub bench portal-search`` (on SQLite, and on PostgreSQL in the second
run): the last line is JSON with the figures. No timing is asserted."""

from __future__ import annotations

import argparse
import json

import pytest

from tenderhub.bench.portal_search import query_mix, rows
from tenderhub.commands import bench as bench_command


def test_the_portal_search_benchmark_ends_with_a_json_line_holding_the_ratio(
        database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = argparse.ArgumentParser(prog="tenderhub")
    bench_command.add_parser(root.add_subparsers(dest="command", required=True))
    args = root.parse_args(["bench", "portal-search", "--rows", "500", "--queries", "20", "--db", database_url])
    assert args.handler(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"p50_ms", "p99_ms", "raw_p99_ms", "ratio", "rows", "database"} <= result.keys()
    assert result["rows"] == 500 and result["hits"] > 0 and result["ratio"] > 0


def test_the_generated_announcements_and_query_mix_are_deterministic() -> None:
    first, again = next(rows(50)), next(rows(50))
    assert first == again and len({r["sort_key"] for r in first}) == 50
    assert query_mix(30) == query_mix(30)

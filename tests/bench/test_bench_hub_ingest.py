"""A tiny ``tenderhub bench hub-ingest``: every release stored once, the feed and the log hold
them all, sampled receipts proven in the signed tree head; the last line is JSON with the
figures and ``ratio``. Correctness only: no timing is asserted. Runs on PostgreSQL too
(``TENDERHUB_TEST_DB=postgresql``: schemas of its own on that server)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import pytest

from tenderhub.commands import bench as bench_command


def bench(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], list[str]]:
    root = argparse.ArgumentParser(prog="tenderhub")
    bench_command.add_parser(root.add_subparsers(dest="command", required=True))
    args = root.parse_args(["bench", *argv])
    code = args.handler(args)
    lines = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(lines[-1]), lines


def server() -> list[str]:
    if os.environ.get("TENDERHUB_TEST_DB") == "postgresql":
        return ["--db", os.environ["TENDERHUB_TEST_PG_URL"]]
    return []


@pytest.mark.db
def test_the_hub_ingest_benchmark_stores_every_release_once_directly_and_over_http(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = bench(capsys, "hub-ingest", "--releases", "90", "--batch", "40", "--http", *server())
    assert code == 0
    assert (result["bench"], result["releases"], result["batch"]) == ("hub-ingest", 90, 40)
    assert result["database"] == ("postgresql" if server() else "sqlite")
    assert result["verified"] and result["http_verified"] and result["problems"] == result["http_problems"] == []
    assert 10 <= result["ocids"] < 90  # several releases per process
    assert result["ratio"] > 0 and result["raw_rows_per_s"] > 0 and result["p99_batch_ms"] >= result["p50_batch_ms"] > 0
    assert result["index_s"] > 0 and result["announcements"] >= 90 // 7 and result["announcements_per_s"] > 0


@pytest.mark.db
def test_both_signings_are_measured_and_reported(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, lines = bench(capsys, "hub-ingest", "--releases", "60", "--batch", "25", "--signing", "both", *server())
    assert code == 0 and result["signing"] == "batch"
    assert result["verified"] and result["release_verified"] and result["release_problems"] == []
    assert result["release_releases_per_s"] > 0 and result["release_ratio"] > 0
    assert any(line.startswith("release-signed") for line in lines[:-1]) and any(line.startswith("batch-signed") for line in lines[:-1])
    if server():  # the hub writes by COPY on PostgreSQL: the raw limit is the faster of executemany and COPY
        assert result["raw_rows_per_s"] == max(result["raw_executemany_rows_per_s"], result["raw_copy_rows_per_s"])


def test_the_profile_is_printed_before_the_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, lines = bench(capsys, "hub-ingest", "--releases", "20", "--batch", "20", "--profile")
    assert code == 0 and result["verified"]
    assert any("ingest_many" in line for line in lines[:-1])


@pytest.mark.db
def test_no_index_times_the_ingest_alone_and_still_verifies_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = bench(capsys, "hub-ingest", "--releases", "60", "--batch", "25", "--no-index", *server())
    assert code == 0 and result["verified"] and result["problems"] == []
    assert "index_s" not in result and "announcements" not in result
    assert result["ratio"] > 0 and result["raw_rows_per_s"] > 0

"""``tenderhub export ocds`` after ``tenderhub demo``: every format holds the demo's releases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tenderhub.cli import main
from tenderhub.exchange.ocds.validate import validate_package


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "platform"
    assert main(["demo", "--data-dir", str(directory), "--json"]) == 0
    directory = directory / "platform-a"  # the demo's first trading platform
    return directory


def export(directory: Path, out: Path, fmt: str) -> int:
    return main(["export", "ocds", "--format", fmt, "--data-dir", str(directory), "--out", str(out)])


def test_jsonl_holds_one_release_per_line_with_the_bids(demo_dir: Path, tmp_path: Path) -> None:
    assert export(demo_dir, tmp_path / "r.jsonl", "jsonl") == 0
    releases = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert releases[0]["tag"] == ["tender"] and any(r.get("bids", {}).get("details") for r in releases)


def test_the_release_package_is_valid_and_declares_the_extensions(demo_dir: Path, tmp_path: Path) -> None:
    assert export(demo_dir, tmp_path / "p.json", "package") == 0
    package = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert validate_package(package) == [] and package["version"] == "1.1"
    assert any("ocds_bid_extension/v1.1.5" in u for u in package["extensions"])


def test_the_record_package_has_releases_compiled_and_versioned(demo_dir: Path, tmp_path: Path) -> None:
    assert export(demo_dir, tmp_path / "rec.json", "records") == 0
    package = json.loads((tmp_path / "rec.json").read_text(encoding="utf-8"))
    record = package["records"][0]
    assert validate_package(package) == []
    assert record["compiledRelease"]["bids"]["details"] and record["versionedRelease"]["ocid"] == record["ocid"]
    assert len(record["releases"]) >= 10


def test_parquet_is_a_flat_table_of_the_releases(demo_dir: Path, tmp_path: Path) -> None:
    assert export(demo_dir, tmp_path / "r.parquet", "parquet") == 0
    table = pl.read_parquet(tmp_path / "r.parquet")
    assert {"ocid", "id", "date", "tag", "buyer", "value", "json"} <= set(table.columns)
    assert table["bids"].sum() > 0 and table["id"].n_unique() == table.height


def test_an_invalid_release_is_refused_naming_its_path(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from tenderhub.commands import export as command

    def broken(tender: Any, options: Any) -> list[dict[str, Any]]:
        return [{"ocid": "ocds-thxxxx-1", "id": "x", "date": "2026-01-01T00:00:00+08:00", "tag": ["nope"], "initiationType": "tender"}]

    monkeypatch.setattr(command, "releases_for", broken)
    assert export(demo_dir, tmp_path / "bad.json", "package") == 1
    assert not (tmp_path / "bad.json").exists() and "/tag/0" in capsys.readouterr().err


def test_a_directory_without_a_platform_is_refused(tmp_path: Path) -> None:
    assert export(tmp_path / "nothing", tmp_path / "out.json", "jsonl") == 2

"""Import of OCDS files published by others (samples in tests/exchange/data)."""

from __future__ import annotations

from pathlib import Path

from tenderhub.exchange.ocds.importer import read_file, read_files

DATA = Path(__file__).parent / "data"


def test_a_valid_release_package_imports_every_release_without_problems() -> None:
    releases, problems = read_file(DATA / "ocds-213czf-000-00001.json")
    assert len(releases) == 6 and problems == []


def test_a_schema_error_is_reported_with_file_release_id_and_path() -> None:
    releases, problems = read_file(DATA / "record-package-1.json")
    assert releases == []
    problem = next(p for p in problems if p.release_id is not None)
    assert problem.file.endswith("record-package-1.json") and problem.path == "/tender/submissionMethod/0"
    assert "null" in problem.message and problem.release_id in str(problem)


def test_a_package_without_publisher_is_reported_and_its_releases_still_read() -> None:
    releases, problems = read_file(DATA / "release-package_1.1-1.json")
    assert releases and any(p.release_id is None and "publisher" in p.message for p in problems)


def test_concatenated_packages_are_all_read() -> None:
    releases, _ = read_file(DATA / "release-package_split.json")
    assert len(releases) == 4


def test_a_latin_1_file_is_decoded() -> None:
    releases, _ = read_file(DATA / "release-package_encoding-iso-8859-1.json")
    assert len(releases) == 3 and any("é" in str(r) or "ó" in str(r) or "í" in str(r) for r in releases)


def test_a_versioned_release_is_skipped_with_a_reason() -> None:
    releases, problems = read_file(DATA / "versioned-release-1.json")
    assert releases == [] and "versioned" in problems[0].message


def test_json_lines_are_read_one_release_per_line(tmp_path: Path) -> None:
    import json

    source = json.loads((DATA / "ocds-213czf-000-00001.json").read_text(encoding="utf-8"))["releases"]
    lines = tmp_path / "releases.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in source), encoding="utf-8")
    releases, problems = read_file(lines)
    assert len(releases) == 6 and problems == []


def test_broken_json_is_reported_and_the_other_files_still_read(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"releases": [', encoding="utf-8")
    releases, problems = read_files([broken, tmp_path / "missing.json", DATA / "ocds-213czf-000-00001.json"])
    assert len(releases) == 6
    assert {Path(p.file).name for p in problems} == {"broken.json", "missing.json"}

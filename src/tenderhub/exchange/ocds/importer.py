"""Read OCDS files published by others: release and record packages, JSON lines, bare releases,
concatenated JSON values, UTF-8 or Latin-1. Every release is validated; each defect is reported
(file, release id, JSON path, reason) and reading goes on.

    releases, problems = read_files(paths)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenderhub.exchange.ocds.validate import validate_package, validate_release


@dataclass(frozen=True)
class ImportProblem:
    file: str
    release_id: str | None  # None for a defect of the file or of the package itself
    path: str  # JSON pointer within the release (or the file's value)
    message: str

    def __str__(self) -> str:
        where = f" release {self.release_id}" if self.release_id is not None else ""
        return f"{self.file}:{where} {self.path or '/'}: {self.message}"


@dataclass
class Reading:
    file: str
    releases: list[dict[str, Any]]
    problems: list[ImportProblem]

    def problem(self, release_id: str | None, path: str, message: str) -> None:
        self.problems.append(ImportProblem(self.file, release_id, path, message))


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else ISO-8859-1, which every byte string decodes as."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("iso-8859-1")


def json_values(text: str) -> Iterator[tuple[int, Any]]:
    """Each top-level JSON value with its offset: one document, JSON lines or concatenated."""
    decoder, at = json.JSONDecoder(), 0
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if at >= len(text):
            return
        value, end = decoder.raw_decode(text, at)
        yield at, value
        at = end


def read_files(paths: Iterable[str | Path]) -> tuple[list[dict[str, Any]], list[ImportProblem]]:
    """The valid releases of every file, and every problem found."""
    releases: list[dict[str, Any]] = []
    problems: list[ImportProblem] = []
    for path in paths:
        found, trouble = read_file(path)
        releases += found
        problems += trouble
    return releases, problems


def read_file(path: str | Path) -> tuple[list[dict[str, Any]], list[ImportProblem]]:
    reading = Reading(str(path), [], [])
    try:
        text = decode(Path(path).read_bytes())
    except OSError as error:
        reading.problem(None, "", f"cannot read the file: {error.strerror or error}")
        return [], reading.problems
    read_text(reading, text)
    return reading.releases, reading.problems


def read_text(reading: Reading, text: str) -> None:
    try:
        for index, (_, value) in enumerate(json_values(text)):
            read_value(reading, value, f"/{index}" if index else "")
    except json.JSONDecodeError as error:
        reading.problem(None, "", f"not JSON at line {error.lineno} column {error.colno}: {error.msg}")


def read_value(reading: Reading, value: Any, where: str) -> None:
    if isinstance(value, list):
        for n, item in enumerate(value):
            read_value(reading, item, f"{where}/{n}")
    elif isinstance(value, dict) and isinstance(value.get("releases"), list) and "records" not in value:
        read_package(reading, value, "releases", where)
        for n, item in enumerate(value["releases"]):
            take(reading, item, f"{where}/releases/{n}")
    elif isinstance(value, dict) and isinstance(value.get("records"), list):
        read_package(reading, value, "records", where)
        for n, item in enumerate(value["records"]):
            read_record(reading, item, f"{where}/records/{n}")
    elif is_versioned(value):
        reading.problem(None, where, "a versioned release, not a release: skipped")
    else:
        take(reading, value, where)


def is_versioned(value: Any) -> bool:
    return isinstance(value, dict) and "ocid" in value and "date" not in value and "tag" not in value


def read_package(reading: Reading, package: dict[str, Any], key: str, where: str) -> None:
    """Defects of the package itself (the releases or records are checked one by one)."""
    for p in validate_package(package | {key: []}):
        if p.path != f"/{key}" or not package[key]:  # ``[]`` stands in for the items checked one by one
            reading.problem(None, where + p.path, p.message)


def read_record(reading: Reading, record: Any, where: str) -> None:
    if not isinstance(record, dict):
        reading.problem(None, where, "a record must be an object")
        return
    embedded = [r for r in record.get("releases") or [] if isinstance(r, dict) and "url" not in r]
    for n, item in enumerate(record.get("releases") or []):
        if item in embedded:
            take(reading, item, f"{where}/releases/{n}")
    if not embedded and isinstance(record.get("compiledRelease"), dict):
        take(reading, record["compiledRelease"], f"{where}/compiledRelease")


def take(reading: Reading, release: Any, where: str) -> None:
    if not isinstance(release, dict) or "ocid" not in release:
        reading.problem(None, where, "not an OCDS release or package")
        return
    release_id = str(release.get("id")) if release.get("id") is not None else None
    found = validate_release(release)
    for p in found:
        reading.problem(release_id, p.path, p.message)
    if not found:
        reading.releases.append(release)

"""The merge routine against the OCDS 1.1.5 merging examples (tests/exchange/data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tenderhub.exchange.ocds.merge import (
    compile_release,
    rules_from,
    schema_rules,
    versioned_release,
)
from tenderhub.exchange.ocds.packages import by_ocid
from tenderhub.exchange.ocds.validate import validate_release

DATA = Path(__file__).parent / "data"
STEPS = ("merge-tender-1", "merge-tender-2", "merge-tender-3", "merge-award-1", "merge-award-2")


def load(name: str) -> Any:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def worked_example() -> list[dict[str, Any]]:
    return [r for name in STEPS for r in load(name)["releases"]]


def test_the_compiled_release_of_the_worked_example_is_exactly_the_standards() -> None:
    assert compile_release(worked_example()) == load("merged")["records"][0]["compiledRelease"]


def test_the_versioned_release_of_the_worked_example_is_exactly_the_standards() -> None:
    assert versioned_release(worked_example()) == load("versioned")["records"][0]["versionedRelease"]


def test_the_order_of_the_input_releases_does_not_matter() -> None:
    assert compile_release(list(reversed(worked_example()))) == compile_release(worked_example())


@pytest.mark.parametrize("name", ["example02-field-record", "example02-object-record", "example03-record"])
def test_the_amendment_examples_compile_and_version_exactly(name: str) -> None:
    record = load(name)["records"][0]
    assert compile_release(record["releases"]) == record["compiledRelease"]
    assert versioned_release(record["releases"]) == record["versionedRelease"]


def release(at: str, **fields: Any) -> dict[str, Any]:
    return {"ocid": "ocds-x-1", "id": f"r-{at}", "date": at, "tag": ["tender"], **fields}


def test_null_removes_a_field_from_the_compiled_release_and_is_versioned() -> None:
    releases = [release("2020-01-01T00:00:00Z", tender={"id": "t", "title": "A"}), release("2020-01-02T00:00:00Z", tender={"id": "t", "title": None})]
    assert "title" not in compile_release(releases)["tender"]
    assert [v["value"] for v in versioned_release(releases)["tender"]["title"]] == ["A", None]


def test_arrays_of_objects_merge_by_id_and_arrays_of_strings_replace_whole() -> None:
    releases = [
        release("2020-01-01T00:00:00Z", awards=[{"id": "a", "title": "A"}], parties=[{"id": "p", "roles": ["buyer", "tenderer"]}]),
        release("2020-01-02T00:00:00Z", awards=[{"id": "b", "title": "B"}, {"id": "a", "status": "active"}], parties=[{"id": "p", "roles": ["supplier"]}]),
    ]
    compiled = compile_release(releases)
    assert compiled["awards"] == [{"id": "a", "title": "A", "status": "active"}, {"id": "b", "title": "B"}]
    assert compiled["parties"] == [{"id": "p", "roles": ["supplier"]}]


def test_whole_list_merge_and_omit_when_merged_come_from_the_schema() -> None:
    schema = {"properties": {"id": {"type": "string", "omitWhenMerged": True},
                             "things": {"type": "array", "wholeListMerge": True, "items": {"type": "object", "properties": {"id": {"type": "string"}}}}}}
    rules = rules_from(schema)
    releases = [release("2020-01-01T00:00:00Z", things=[{"id": "1"}]), release("2020-01-02T00:00:00Z", things=[{"id": "2"}])]
    assert compile_release(releases, rules)["things"] == [{"id": "2"}]
    assert ("id",) in schema_rules().omit and ("tag",) in schema_rules().omit


def test_the_compiled_release_is_named_by_ocid_and_latest_date() -> None:
    compiled = compile_release(worked_example())
    assert compiled["tag"] == ["compiled"] and compiled["id"] == f"{compiled['ocid']}-{compiled['date']}"


def test_the_compiled_scenario_process_is_a_valid_release(scenario_releases: dict[str, list[dict[str, Any]]]) -> None:
    processes = [rs for releases in scenario_releases.values() for rs in by_ocid(releases).values()]
    assert len(processes) >= len(scenario_releases)
    for releases in processes:
        compiled = compile_release(releases)
        assert validate_release(compiled) == []
        assert compiled["tender"]["id"] == releases[0]["tender"]["id"]

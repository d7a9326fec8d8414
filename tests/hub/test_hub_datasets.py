"""National data-spec datasets as JSON (on SQLite and PostgreSQL): each validates against the
JSON Schema shipped for it; experts only after the result; personal data masked."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
from portal_support import Portal, amended, full

from tenderhub.exchange import datasets
from tenderhub.exchange.datasets import SPECS, dataset, schema, validate

ID_NUMBER = "11010519491231002X"


def fetch(portal: Portal, code: str, ocid: str) -> dict[str, Any]:
    answer = portal.client.get(f"/hub/datasets/{code}", params={"ocid": ocid})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def check(doc: dict[str, Any]) -> None:
    """Valid with jsonschema-rs and with the pure-Python reference validator."""
    assert validate(doc) == []
    jsonschema.Draft7Validator(schema(doc["dataset"]), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(doc)


def test_every_dataset_of_a_whole_procedure_is_valid_and_filled(portal: Portal, workdir: Path) -> None:
    releases = full(workdir)
    portal.ingest(releases)
    ocid = releases[0]["ocid"]
    for code in SPECS:
        doc = fetch(portal, code, ocid)
        check(doc)
        assert doc["dataset"] == code and doc["ocid"] == ocid
        assert bool(doc["items"]) == (code != "504"), code  # scenario 01 has no clarification
    assert fetch(portal, "506", ocid)["items"][0]["bidCount"] == 3
    assert [c["rank"] for c in fetch(portal, "510", ocid)["items"][0]["candidates"]] == [1, 2, 3]
    assert "publicityPeriod" in fetch(portal, "511", ocid)["items"][0]
    assert fetch(portal, "513", ocid)["items"][0]["suppliers"][0]["name"] == "北京路桥建设有限公司"
    assert {g["kind"] for g in fetch(portal, "523", ocid)["items"]} == {"bidSecurity", "performanceSecurity"}
    assert fetch(portal, "501", ocid)["items"][0]["regionCode"] == "110000"


def test_clarifications_fill_dataset_504(portal: Portal, workdir: Path) -> None:
    releases = amended(workdir)
    portal.ingest(releases)
    doc = fetch(portal, "504", releases[0]["ocid"])
    check(doc)
    assert doc["items"][0]["descriptions"] == ["补充地质勘察报告"]


def test_experts_are_served_only_after_the_result_is_published(portal: Portal, workdir: Path) -> None:
    releases = full(workdir)
    award = next(r for r in releases if r["id"].endswith("-award-1-1"))
    portal.ingest([r for r in releases if r is not award])
    assert fetch(portal, "508", award["ocid"])["items"] == []
    portal.ingest([award])
    doc = fetch(portal, "508", award["ocid"])
    check(doc)
    assert [m["name"] for m in doc["items"][0]["members"]] == ["吴工", "周工", "陈工", "孙工", "赵工"]


def test_experts_of_a_lot_without_an_active_award_stay_hidden(workdir: Path) -> None:
    releases = full(workdir)
    for release in releases:
        for award in release.get("awards") or []:
            award["status"] = "pending" if award.get("status") == "active" else award.get("status")
    assert dataset("508", releases)["items"] == []


def test_a_natural_persons_id_number_is_masked_in_the_bidder_list(portal: Portal, workdir: Path) -> None:
    releases = full(workdir)
    releases[1]["tenderhub"]["bidderLists"][0]["bidders"][0]["identifier"]["id"] = ID_NUMBER
    portal.ingest(releases)
    doc = fetch(portal, "507", releases[0]["ocid"])
    check(doc)
    assert doc["items"][0]["bidders"][0]["identifier"]["id"] == "110***********002X"


def test_a_schema_refuses_what_the_dataset_does_not_define(workdir: Path) -> None:
    doc = dataset("506", full(workdir))
    broken = copy.deepcopy(doc)
    broken["items"][0]["entries"][0]["idNumber"] = ID_NUMBER
    broken["items"][0]["date"] = "yesterday"
    assert validate(doc) == [] and len(validate(broken)) == 2
    assert validate({**doc, "dataset": "506", "table": "TENDER_LIST"}) != []


def test_every_served_code_ships_a_schema_naming_its_table() -> None:
    for code, spec in SPECS.items():
        found = datasets.schema(code)
        assert found["properties"]["dataset"] == {"const": code} and found["properties"]["table"] == {"const": spec.table}
        assert code in found["title"] and spec.source


def test_unknown_codes_and_procedures_are_refused_naming_the_field(portal: Portal) -> None:
    unknown = portal.client.get("/hub/datasets/509", params={"ocid": "x"})
    assert unknown.status_code == 404 and unknown.json()["field"] == "code"
    assert portal.client.get("/hub/datasets/506").json()["field"] == "ocid"
    assert portal.client.get("/hub/datasets/506", params={"ocid": "ocds-none"}).status_code == 404
    assert portal.client.get("/hub/datasets/519/schema").json()["title"].startswith("公共资源交易平台数据规范 519")
    assert {d["code"] for d in portal.client.get("/hub/datasets").json()} == set(SPECS)

"""National data-spec datasets as JSON (on SQLite and PostgreSQL): records in the spec's own
field names and formats (cn-rules.md §9.8), each valid against the JSON Schema shipped for it;
the OCDS-named view kept under ``?format=ocds``; experts only after the result; personal data
masked."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from portal_support import Portal, amended, full

from tenderhub.exchange import datasets
from tenderhub.exchange.datasets import SPECS, dataset, schema, validate
from tenderhub.exchange.datasets.formats import money, stamp

ID_NUMBER = "11010519491231002X"
MASKED = "110***********002X"
STAMP = re.compile(r"^20[0-9]{12}$")
USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
FORMATS = {  # field → its format in cn-rules.md §9.8 ("Key identifier formats")
    "TENDER_PROJECT_CODE": re.compile(r"^[0-9A-Z]{20}$"), "BID_SECTION_CODE": re.compile(r"^[0-9A-Z]{23}$"),
    "TRADE_PLAT": re.compile(r"^[0-9A-Z]{11}$"), "REGION_CODE": re.compile(r"^[0-9]{6}$"), "CURRENCY_CODE": re.compile(r"^156$"),
    "BIDDER_ORG_CODE": USCC, "WIN_BIDDER_CODE": USCC, "TENDERER_CODE": USCC,
}
SPEC_FIELDS = {  # the spec's field names each dataset of scenario 01 (09 for 504) must carry
    "501": ["TENDER_PROJECT_CODE", "TRADE_PLAT", "DATA_TIMESTAMP", "REGION_CODE", "TENDERER_CODE"],
    "502": ["BID_SECTION_CODE", "BID_DOC_REFER_END_TIME", "DATA_TIMESTAMP"],
    "503": ["NOTICE_SEND_TIME", "DOC_GET_START_TIME", "BID_DOC_REFER_END_TIME", "BID_OPEN_TIME", "TENDERER_CODE", "CURRENCY_CODE"],
    "504": ["CLARIFY_TIME", "IS_POSTPONE", "DATA_TIMESTAMP"],
    "506": ["BID_SECTION_CODE", "BID_OPEN_TIME", "BID_OPENING_CONTENT"],
    "507": ["BID_SECTION_CODE", "BIDDER_ORG_CODE", "BID_PRICE", "CURRENCY_CODE", "TIME_LIMIT", "CHECKIN_TIME"],
    "508": ["BID_SECTION_CODE", "EXPERT_NAME"],
    "510": ["BID_SECTION_CODE", "WIN_CANDIDATE_ORDER", "BIDDER_ORG_CODE", "BID_PRICE"],
    "511": ["BID_SECTION_CODE", "PUBLICITY_START_TIME", "PUBLICITY_END_TIME"],
    "512": ["BID_SECTION_CODE", "CONTRACT_PRICE", "CONTRACT_SIGN_TIME", "LIMITE_TIME", "WIN_BIDDER_CODE"],
    "513": ["BID_SECTION_CODE", "BID_AMOUNT", "CURRENCY_CODE", "WIN_BIDDER_CODE", "NOTICE_SEND_TIME"],
    "519": ["BID_SECTION_CODE", "BIDDER_ORG_CODE", "TENDER_DOC_SUBMITTIME"],
    "522": ["BID_SECTION_CODE", "TENDER_PROJECT_CODE"],
    "523": ["BID_SECTION_CODE", "GUARANTEE_AMOUNT", "CURRENCY_CODE"],
}


def fetch(portal: Portal, code: str, ocid: str, **params: str) -> dict[str, Any]:
    answer = portal.client.get(f"/hub/datasets/{code}", params={"ocid": ocid, **params})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def check(doc: dict[str, Any]) -> None:
    """Valid with jsonschema-rs and with the pure-Python reference validator."""
    assert validate(doc) == []
    jsonschema.Draft7Validator(schema(doc["dataset"], doc["view"]), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(doc)


def assert_spec_fields(code: str, doc: dict[str, Any]) -> None:
    for item in doc["items"]:
        for key, value in item.items():
            assert key == key.upper(), (code, key)
            if (key.endswith("_TIME") and key != "LIMITE_TIME") or key in ("DATA_TIMESTAMP", "TENDER_DOC_SUBMITTIME"):
                assert STAMP.match(value), (code, key, value)
            if key in FORMATS:
                assert FORMATS[key].match(str(value)), (code, key, value)
    assert set(SPEC_FIELDS[code]) <= set(doc["items"][0]), (code, sorted(doc["items"][0]))


def test_every_dataset_of_a_whole_procedure_is_valid_and_filled_in_both_views(portal: Portal, workdir: Path) -> None:
    releases = full(workdir)
    portal.ingest(releases)
    ocid = releases[0]["ocid"]
    for code in SPECS:
        for view in ("spec", "ocds"):
            doc = fetch(portal, code, ocid, format=view)
            check(doc)
            assert doc["dataset"] == code and doc["ocid"] == ocid and doc["view"] == view
            assert bool(doc["items"]) == (code != "504"), code  # scenario 01 has no clarification
    assert fetch(portal, "506", ocid, format="ocds")["items"][0]["bidCount"] == 3
    assert "publicityPeriod" in fetch(portal, "511", ocid, format="ocds")["items"][0]


def test_each_dataset_carries_the_spec_field_names_in_the_spec_formats(portal: Portal, workdir: Path) -> None:
    releases = full(workdir)
    portal.ingest(releases)
    ocid = releases[0]["ocid"]
    for code in SPEC_FIELDS.keys() - {"504"}:
        assert_spec_fields(code, fetch(portal, code, ocid))
    assert_spec_fields("504", dataset("504", amended(workdir)))
    opening = fetch(portal, "506", ocid)["items"][0]
    assert opening["TH_BID_COUNT"] == 3 and opening["BID_OPEN_TIME"] == "20261221093000"
    assert opening["BID_OPENING_CONTENT"].splitlines()[0].startswith("北京路桥建设有限公司，投标报价 11500000，工期 180 日")
    assert [c["WIN_CANDIDATE_ORDER"] for c in fetch(portal, "510", ocid)["items"]] == [1, 2, 3]
    assert fetch(portal, "511", ocid)["items"][0]["PUBLICITY_END_TIME"] == "20261226000000"
    won = fetch(portal, "513", ocid)["items"][0]
    assert (won["WIN_BIDDER_NAME"], won["BID_AMOUNT"], won["CURRENCY_CODE"]) == ("北京路桥建设有限公司", 11500000, "156")
    assert {g["TH_KIND"] for g in fetch(portal, "523", ocid)["items"]} == {"bidSecurity", "performanceSecurity"}
    assert fetch(portal, "501", ocid)["items"][0]["REGION_CODE"] == "110000"
    assert fetch(portal, "503", ocid)["items"][0]["BID_DOC_REFER_END_TIME"] == "20261221093000"


def test_clarifications_fill_dataset_504(portal: Portal, workdir: Path) -> None:
    releases = amended(workdir)
    ocid = releases[0]["ocid"]
    portal.ingest(releases)
    doc = fetch(portal, "504", ocid)
    check(doc)
    assert doc["items"][0]["TH_CLARIFY_CONTENT"] == ["补充地质勘察报告"] and doc["items"][0]["IS_POSTPONE"] == "0"
    assert {"IS_POSTPONE": "1", "POST_OPEN_TIME": "20261125093000"}.items() <= doc["items"][1].items()
    assert fetch(portal, "504", ocid, format="ocds")["items"][0]["descriptions"] == ["补充地质勘察报告"]


def test_experts_are_served_only_after_the_result_is_published(portal: Portal, workdir: Path) -> None:
    releases = full(workdir)
    award = next(r for r in releases if r["id"].endswith("-award-1-1"))
    portal.ingest([r for r in releases if r is not award])
    assert fetch(portal, "508", award["ocid"])["items"] == []
    portal.ingest([award])
    doc = fetch(portal, "508", award["ocid"])
    check(doc)
    assert [m["EXPERT_NAME"] for m in doc["items"]] == ["吴工", "周工", "陈工", "孙工", "赵工"]


def test_experts_of_a_lot_without_an_active_award_stay_hidden(workdir: Path) -> None:
    releases = full(workdir)
    for release in releases:
        for award in release.get("awards") or []:
            award["status"] = "pending" if award.get("status") == "active" else award.get("status")
    assert dataset("508", releases)["items"] == [] and dataset("508", releases, "ocds")["items"] == []


def test_an_experts_id_number_never_reaches_dataset_508(workdir: Path) -> None:
    releases = full(workdir)
    for release in releases:
        for committee in (release.get("tenderhub") or {}).get("evaluationExperts") or []:
            committee["members"][0].update(idNumber=ID_NUMBER, telephone="13812345678")
    doc = dataset("508", releases)
    check(doc)
    assert ID_NUMBER[-4:] not in str(doc) and "13812345678" not in str(doc) and "5678" not in str(doc)


def test_a_natural_persons_id_number_is_masked_in_the_bidder_list(portal: Portal, workdir: Path) -> None:
    releases = full(workdir)
    releases[1]["tenderhub"]["bidderLists"][0]["bidders"][0]["identifier"]["id"] = ID_NUMBER
    portal.ingest(releases)
    doc = fetch(portal, "507", releases[0]["ocid"])
    check(doc)
    assert doc["items"][0]["BIDDER_ORG_CODE"] == MASKED and ID_NUMBER not in str(doc)
    assert fetch(portal, "507", releases[0]["ocid"], format="ocds")["items"][0]["bidders"][0]["identifier"]["id"] == MASKED


def test_the_project_managers_id_number_is_masked_and_the_schema_refuses_it_whole(workdir: Path) -> None:
    releases = full(workdir)
    releases[1]["tenderhub"]["bidderLists"][0]["bidders"][0]["projectManager"] = {"name": "张建国", "idNumber": ID_NUMBER}
    doc = dataset("507", releases)
    check(doc)
    assert (doc["items"][0]["BID_MANAGER"], doc["items"][0]["PM_CODE"]) == ("张建国", MASKED)
    leaked = copy.deepcopy(doc)
    leaked["items"][0]["PM_CODE"] = ID_NUMBER
    assert [e.split(":")[0] for e in validate(leaked)] == ["/items/0/PM_CODE"]


def test_a_schema_refuses_what_the_dataset_does_not_define(workdir: Path) -> None:
    doc = dataset("506", full(workdir))
    broken = copy.deepcopy(doc)
    broken["items"][0]["TH_ENTRIES"][0]["ID_NUMBER"] = ID_NUMBER
    broken["items"][0]["BID_OPEN_TIME"] = "2026-12-21T09:30:00+08:00"
    broken["items"][0]["BID_SECTION_CODE"] = "LOT-1"
    broken["items"][0]["TH_ENTRIES"][0]["CURRENCY_CODE"] = "CNY"
    assert validate(doc) == [] and len(validate(broken)) == 4
    assert validate({**doc, "dataset": "506", "table": "TENDER_LIST"}) != []
    old = dataset("506", full(workdir), "ocds")
    assert validate(old) == [] and validate({**old, "view": "spec"}) != []


def test_values_take_the_spec_formats() -> None:
    assert stamp("2026-12-21T01:30:00Z") == "20261221093000"  # Beijing time
    assert stamp("2026-12-31T23:00:00+08:00") == "20261231230000" and stamp("2026-12-31T16:30:00") == "20261231163000"
    assert money("BID_PRICE", {"amount": 1.5, "currency": "USD"}) == {"BID_PRICE": 1.5, "CURRENCY_CODE": "840"}
    assert money("BID_PRICE", {"amount": 10, "currency": "XYZ"}) == {"BID_PRICE": 10}
    assert money("BID_PRICE", None) == {} and stamp(None) is None
    with pytest.raises(ValueError, match="view"):
        dataset("506", [], "xml")


def test_every_served_code_ships_a_schema_per_view_naming_its_table() -> None:
    for code, spec in SPECS.items():
        for view in ("spec", "ocds"):
            found = datasets.schema(code, view)
            assert found["properties"]["dataset"] == {"const": code} and found["properties"]["table"] == {"const": spec.table}
            assert found["properties"]["view"]["const"] == view and code in found["title"] and spec.source
        fields = datasets.schema(code)["properties"]["items"]["items"]["properties"]
        assert all(name == name.upper() for name in fields), code
        assert all("Not from the spec's field list" in f["description"] for name, f in fields.items() if name.startswith("TH_"))


def test_unknown_codes_formats_and_procedures_are_refused_naming_the_field(portal: Portal) -> None:
    unknown = portal.client.get("/hub/datasets/509", params={"ocid": "x"})
    assert unknown.status_code == 404 and unknown.json()["field"] == "code"
    assert portal.client.get("/hub/datasets/506").json()["field"] == "ocid"
    bad = portal.client.get("/hub/datasets/506", params={"ocid": "x", "format": "xml"})
    assert bad.status_code == 422 and bad.json()["field"] == "format"
    assert portal.client.get("/hub/datasets/506", params={"ocid": "ocds-none"}).status_code == 404
    assert portal.client.get("/hub/datasets/519/schema").json()["title"].startswith("公共资源交易平台数据规范 519")
    assert portal.client.get("/hub/datasets/519/schema", params={"format": "ocds"}).json()["properties"]["view"]["const"] == "ocds"
    assert {d["code"] for d in portal.client.get("/hub/datasets").json()} == set(SPECS)


def test_bid_digests_fill_dataset_519_without_the_machine_codes(workdir: Path) -> None:
    releases = full(workdir)
    printed = releases[1]["tenderhub"]["bidFingerprints"][0]
    printed.update(suite="sm2", packageDigest="a" * 64, documents=[{"id": "1", "name": "商务标.pdf", "digest": "b" * 64, "size": 2048}],
                   machine={"cpuId": "BFEBFBFF000906EA", "macAddress": "00-1A-2B-3C-4D-5E"})
    doc = dataset("519", releases)
    check(doc)
    assert doc["items"][0]["TH_DOCUMENTS"] == [{"TH_NAME": "商务标.pdf", "TH_DIGEST": "b" * 64, "BID_DOCUMENT_SIDE": 2048}]
    assert doc["items"][0]["TH_PACKAGE_DIGEST"] == "a" * 64 and "BFEBFBFF" not in str(doc) and "4D-5E" not in str(doc)

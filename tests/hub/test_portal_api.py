"""The portal's HTTP API (on SQLite and PostgreSQL): search with filters and keyset paging,
clear 422s naming the parameter, one announcement, a procedure, companies, the HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from portal_support import AMENDED, FULL, Portal, amended, full

OCID = f"{FULL}TH110000001000001001"
WINNER = "91110105MA00000025"


@pytest.fixture
def portal(portal: Portal, workdir: Path) -> Portal:
    """The portal after scenarios 01 and 09."""
    portal.ingest(full(workdir) + amended(workdir))
    return portal


def search(portal: Portal, **params: Any) -> dict[str, Any]:
    answer = portal.client.get("/portal/announcements", params=params)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def titles(found: dict[str, Any]) -> list[str]:
    return [a["title"] for a in found["items"]]


def test_a_two_character_word_and_a_type_find_the_award(portal: Portal) -> None:
    found = search(portal, q="道路", type="award_result")
    assert titles(found) == ["朝阳区道路大修工程（施工一标段）中标结果公告"] and found["total"] == 1


def test_several_types_region_and_method_filter_together(portal: Portal) -> None:
    found = search(portal, type="tender_notice,amendment", region="110000", method="open", limit=100)
    assert {a["type"] for a in found["items"]} == {"tender_notice", "amendment"} and len(found["items"]) >= 4
    assert search(portal, region="120000")["items"] == []
    assert search(portal, method="invited")["items"] == []


def test_dates_are_inclusive_days_in_beijing_time(portal: Portal) -> None:
    found = search(portal, **{"from": "2026-12-28", "to": "2026-12-28"})
    assert titles(found) == ["朝阳区道路大修工程（施工一标段）中标结果公告"]


def test_value_bounds_are_inclusive(portal: Portal) -> None:
    found = search(portal, min_value="11500000", max_value="11500000", limit=100)
    assert {a["type"] for a in found["items"]} == {"candidate_publicity", "award_result", "contract"}
    assert all(a["value"] == "11500000.00" for a in found["items"])


def test_keyset_paging_visits_every_match_once_newest_first(portal: Portal) -> None:
    whole = [a["id"] for a in search(portal, limit=100)["items"]]
    seen: list[str] = []
    cursor = None
    while True:
        page = search(portal, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == whole and len(whole) == len(set(whole)) >= 10
    dates = [a["published_at"] for a in search(portal, limit=100)["items"]]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(("params", "field"), [
    ({"type": "notice"}, "type"), ({"region": "11"}, "region"), ({"region": "abcdef"}, "region"),
    ({"from": "yesterday"}, "from"), ({"to": "2026-13-01"}, "to"), ({"from": "2026-12-02", "to": "2026-12-01"}, "to"),
    ({"min_value": "-1"}, "min_value"), ({"max_value": "much"}, "max_value"),
    ({"min_value": "10", "max_value": "5"}, "max_value"), ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"),
    ({"cursor": "abc"}, "cursor"), ({"cursor": "9" * 40}, "cursor"), ({"cursor": "²"}, "cursor"), ({"industry": "E 48"}, "industry"),
    ({"q": "道路" * 101}, "q"),
])
def test_a_bad_filter_is_a_422_naming_the_parameter(portal: Portal, params: dict[str, str], field: str) -> None:
    answer = portal.client.get("/portal/announcements", params=params)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["field"] == field and body["message"]["zh"] and body["message"]["en"]


def test_one_announcement_is_found_by_its_id(portal: Portal) -> None:
    first = search(portal, type="contract")["items"][0]
    answer = portal.client.get("/portal/announcements/" + quote(first["id"], safe=""))
    assert answer.status_code == 200 and answer.json() == first and first["url"].endswith(quote(first["id"], safe=""))
    assert portal.client.get("/portal/announcements/nothing%23here").status_code == 404


def test_a_procedure_lists_its_announcements_oldest_first(portal: Portal) -> None:
    found = portal.client.get(f"/portal/tenders/{OCID}").json()["announcements"]
    assert [a["type"] for a in found] == ["tender_notice", "opening_record", "candidate_publicity", "award_result", "contract"]
    assert portal.client.get(f"/portal/tenders/{AMENDED}nothing").status_code == 404


def listing(uscc: str) -> dict[str, Any]:
    return {"uscc": uscc, "name": "北京路桥建设有限公司", "reason": "串通投标", "basis": {"law": "招标投标法", "article": 53},
            "start": "2025-01-01T00:00:00", "end": None, "authority": "北京市发展和改革委员会"}


def test_a_company_shows_its_blacklist_status(portal: Portal) -> None:
    clean = portal.client.get(f"/portal/companies/{WINNER}").json()
    assert clean["blacklisted"] is False and clean["blacklist"]["history"] == []
    assert portal.client.post("/hub/blacklist", json=listing(WINNER)).status_code == 201
    listed = portal.client.get(f"/portal/companies/{WINNER}").json()
    assert listed["blacklisted"] is True and listed["blacklist"]["active"][0]["basis"] == {"law": "招标投标法", "article": 53}
    assert listed["credit_available"] is True and isinstance(listed["credit"], dict)


def test_a_malformed_credit_code_is_refused_naming_it(portal: Portal) -> None:
    answer = portal.client.get("/portal/companies/91110105MA00000026")
    assert answer.status_code == 422 and answer.json()["field"] == "uscc"


def test_the_html_page_lists_results_in_chinese(portal: Portal) -> None:
    answer = portal.client.get("/portal/", params={"q": "道路", "type": "award_result"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "招标投标公告检索" in answer.text and "朝阳区道路大修工程（施工一标段）中标结果公告" in answer.text
    assert "招标公告</a>" not in answer.text


def test_the_html_page_shows_a_bad_filter_next_to_its_field(portal: Portal) -> None:
    answer = portal.client.get("/portal/", params={"region": "11<script>"})
    assert answer.status_code == 422 and 'data-field="region"' in answer.text
    assert "<script>" not in answer.text and "11&lt;script&gt;" in answer.text


def test_the_html_page_pages_with_a_next_link(portal: Portal) -> None:
    first = portal.client.get("/portal/", params={"limit": 2})
    assert "下一页" in first.text and "cursor=" in first.text and first.text.count('<div class="meta">') == 2

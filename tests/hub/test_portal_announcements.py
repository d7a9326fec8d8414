"""Announcements derived from ingested releases (on SQLite and PostgreSQL): one per published
stage, fields from the whole procedure, public data only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from portal_support import FULL, Portal, amended, full

from tenderhub.exchange.privacy import find_personal_data
from tenderhub.hub.portal.announcements import derive, region_of

ID_NUMBER, MOBILE, EMAIL, LANDLINE = "11010519491231002X", "13812345678", "zhang.san@example.com", "010-62345678"
CONTACT = "欧阳某某"  # a contact point's name: restricted, never on the portal


def procedure(portal: Portal, ocid: str) -> list[dict[str, Any]]:
    answer = portal.client.get(f"/portal/tenders/{ocid}")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["announcements"]
    return items


def test_every_published_stage_becomes_its_announcement(portal: Portal, workdir: Path) -> None:
    releases = full(workdir)
    portal.ingest(releases)
    found = procedure(portal, releases[0]["ocid"])
    assert [a["type"] for a in found] == ["tender_notice", "opening_record", "candidate_publicity", "award_result", "contract"]
    assert [a["type_name"] for a in found][-1] == "合同公告"


def test_a_clarification_becomes_an_amendment_announcement(portal: Portal, workdir: Path) -> None:
    releases = amended(workdir)
    portal.ingest(releases)
    found = procedure(portal, releases[0]["ocid"])
    amendments = [a for a in found if a["type"] == "amendment"]
    assert len(amendments) == 2 and "补充地质勘察报告" in amendments[0]["body"]
    assert amendments[0]["title"].endswith("变更公告") and amendments[0]["id"].endswith("-amendment-1#amendment")


def test_later_announcements_take_title_region_and_method_from_the_tender_notice(portal: Portal, workdir: Path) -> None:
    portal.ingest(full(workdir))
    award = next(a for a in procedure(portal, f"{FULL}TH110000001000001001") if a["type"] == "award_result")
    assert award["title"] == "朝阳区道路大修工程（施工一标段）中标结果公告"
    assert (award["region"], award["method"], award["platform"], award["value"]) == ("110000", "open", "TH110000001", "11500000.00")
    assert "中标人：北京路桥建设有限公司" in award["body"] and "招标人：北京市朝阳区市政管理中心" in award["body"]
    assert award["published_at"] == "2026-12-28T09:00:00+08:00"


def test_the_candidate_publicity_lists_the_ranked_candidates(portal: Portal, workdir: Path) -> None:
    portal.ingest(full(workdir))
    publicity = next(a for a in procedure(portal, f"{FULL}TH110000001000001001") if a["type"] == "candidate_publicity")
    assert "第1名：北京路桥建设有限公司，投标报价 11,500,000 元" in publicity["body"]
    assert publicity["body"].index("第1名") < publicity["body"].index("第2名") < publicity["body"].index("第3名")


def test_a_release_received_twice_is_announced_once(portal: Portal, workdir: Path) -> None:
    releases = full(workdir)
    portal.ingest(releases)
    portal.ingest(releases[:2])
    assert len(procedure(portal, releases[0]["ocid"])) == 5


def with_personal_data(releases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Personal data where a careless platform could put it: free text, contact points, a
    natural person's ID number as a bidder's subject code."""
    notice, opening = releases[0], releases[1]
    notice["tender"]["description"] = f"联系人张三，电话 {MOBILE}，座机 {LANDLINE}，身份证 {ID_NUMBER}，邮箱 {EMAIL}"
    notice["parties"][0]["contactPoint"] = {"name": CONTACT, "telephone": MOBILE, "email": EMAIL}
    entry = opening["tenderhub"]["openingRecords"][0]["entries"][0]
    entry["bidderName"] = f"王五（身份证 {ID_NUMBER}）"
    entry["bidderIdentifier"]["id"] = ID_NUMBER
    return releases


def test_no_restricted_value_reaches_the_portal(portal: Portal, workdir: Path) -> None:
    portal.ingest(with_personal_data(full(workdir)))
    shown = portal.client.get("/portal/announcements", params={"limit": 100}).json()["items"]
    text = json.dumps(shown, ensure_ascii=False)
    assert len(shown) == 5 and "联系人张三" in text  # the description is published …
    for value in (ID_NUMBER, MOBILE, EMAIL, LANDLINE, "62345678", CONTACT):
        assert value not in text  # … with every restricted value masked
    assert "138****5678" in text and "110***********002X" in text and find_personal_data(shown) == []
    page = portal.client.get("/portal/", params={"q": "联系人"}).text
    assert ID_NUMBER not in page and MOBILE not in page


def test_the_region_falls_back_to_the_buyer_address_then_the_platform_code() -> None:
    assert region_of({"tenderhub": {"regionCode": "110105"}}, "TH120000001") == "110105"
    buyer = {"buyer": {"id": "B"}, "parties": [{"id": "B", "address": {"region": "310104"}}]}
    assert region_of(buyer, "TH120000001") == "310104"
    assert region_of({}, "TH120000001") == "120000"
    assert region_of({}, "platform-x") == "000000"


def test_a_release_that_is_no_notice_derives_nothing() -> None:
    performance = {"ocid": "o", "id": "o-implementation-1-1", "date": "2027-03-01T10:00:00+08:00", "tag": ["implementation"],
                   "contracts": [{"id": "c", "implementation": {"milestones": [{"id": "m"}]}}]}
    assert derive(performance, performance, "TH110000001") == []


def test_the_procedure_summary_keeps_names_codes_and_amounts_but_no_identifier(workdir: Path) -> None:
    from tenderhub.hub.portal.procedures import merged

    summary = None
    for release in full(workdir):
        summary = merged(summary, release)
    assert summary is not None
    assert summary["tender"]["title"] == "朝阳区道路大修工程" and summary["tenderhub"]["regionCode"] == "110000"
    assert summary["tender"]["lots"] == [{"id": "TH110000001000001001001", "title": "施工一标段", "value": {"amount": 12000000, "currency": "CNY"}}]
    winner = next(a for a in summary["awards"] if a.get("suppliers") and "中标候选人第1名" not in str(a))
    assert winner["suppliers"] == [{"name": "北京路桥建设有限公司"}]
    text = json.dumps(summary, ensure_ascii=False)
    assert "identifier" not in text and "contactPoint" not in text and "91110105MA00000025" not in text

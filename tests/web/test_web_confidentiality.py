"""Confidentiality over HTTP (电子招标投标办法 第20–21条; 招标投标法 第37条)."""

from __future__ import annotations

import json

from web_builders import EXPERTS, Api, bids_in, evaluated, lot_of


def test_before_opening_a_bidder_sees_only_its_own_bid(parties: Api) -> None:
    tender = bids_in(parties)
    seen_by_b = lot_of(parties.get(f"/api/tenders/{tender.id}", who="bidder_b").json())
    assert "bids" not in seen_by_b
    assert [b["bidder"] for b in seen_by_b["my_bids"]] == ["首都市政工程有限公司"]
    assert "北京路桥建设有限公司" not in json.dumps(seen_by_b, ensure_ascii=False)
    assert "11500000" not in json.dumps(seen_by_b)


def test_before_the_deadline_nobody_sees_who_registered(parties: Api) -> None:
    tender = bids_in(parties)
    for who in ("tenderer", "operator", None, "bidder_c"):
        text = json.dumps(parties.get(f"/api/tenders/{tender.id}", who=who).json(), ensure_ascii=False)
        for name in ("北京路桥建设有限公司", "首都市政工程有限公司"):
            assert name not in text, (who, name)
        assert "registrations" not in text


def test_after_opening_every_bid_is_visible(parties: Api) -> None:
    tender = bids_in(parties)
    parties.at("2026-12-21T09:30").post(f"/api/tenders/{tender.id}/opening", {"lot": tender.lot}, who="tenderer")
    seen = lot_of(parties.get(f"/api/tenders/{tender.id}", who="bidder_b").json())
    assert len(seen["bids"]) == 3


def test_expert_names_are_hidden_until_the_award(parties: Api) -> None:
    tender = evaluated(parties)
    names = [name for _, name, _ in EXPERTS]
    for who in ("tenderer", "bidder_a", None):
        text = json.dumps(parties.get(f"/api/tenders/{tender.id}", who=who).json(), ensure_ascii=False)
        assert not any(name in text for name in names), who
    parties.at("2026-12-22T09:00").post(f"/api/tenders/{tender.id}/publicity", {"lot": tender.lot, "days": 3}, who="tenderer")
    awarded = parties.at("2026-12-28T09:00").post(f"/api/tenders/{tender.id}/award", {"lot": tender.lot}, who="tenderer")
    assert awarded.status_code == 200, awarded.text
    members = lot_of(parties.get(f"/api/tenders/{tender.id}").json())["committee"]["members"]
    assert sorted(m["name"] for m in members) == sorted(names)


def test_an_expert_sees_its_own_seat_but_not_the_others(parties: Api) -> None:
    tender = evaluated(parties)
    members = lot_of(parties.get(f"/api/tenders/{tender.id}", who="expert_1").json())["committee"]["members"]
    visible = [m["name"] for m in members if m["id"] is not None]
    assert visible == ["陈工"]

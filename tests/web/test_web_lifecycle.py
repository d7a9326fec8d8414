"""A works open tender over HTTP, from the draft to the contract and its completion."""

from __future__ import annotations

from web_builders import Api, evaluated, lot_of


def test_a_tender_runs_from_creation_to_contract_over_http(parties: Api) -> None:
    api = parties
    tender = evaluated(api)
    view = api.get(f"/api/tenders/{tender.id}", who="tenderer").json()
    assert lot_of(view)["status"] == "evaluated"
    assert lot_of(view)["candidates"][0]["bidder"] == "北京路桥建设有限公司"

    done = api.at("2026-12-22T09:00").post(f"/api/tenders/{tender.id}/publicity", {"lot": tender.lot, "days": 3}, who="tenderer")
    assert done.status_code == 200, done.text
    assert lot_of(done.json())["status"] == "publicity"

    done = api.at("2026-12-28T09:00").post(f"/api/tenders/{tender.id}/award", {"lot": tender.lot}, who="tenderer")
    assert done.status_code == 200, done.text
    assert lot_of(done.json())["award"]["bidder"] == "北京路桥建设有限公司"

    body = {"lot": tender.lot, "performance_security": "1150000", "period_days": 180}
    done = api.at("2027-01-05T10:00").post(f"/api/tenders/{tender.id}/contract", body, who="tenderer")
    assert done.status_code == 200, done.text
    assert lot_of(done.json())["status"] == "contracted"

    body = {"lot": tender.lot, "kind": "completion", "text": "竣工验收合格"}
    done = api.at("2027-06-30T10:00").post(f"/api/tenders/{tender.id}/performance", body, who="tenderer")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "complete"


def test_the_opening_record_lists_every_bid_with_its_price(parties: Api) -> None:
    from web_builders import bids_in

    tender = bids_in(parties)
    opened = parties.at("2026-12-21T09:30").post(f"/api/tenders/{tender.id}/opening", {"lot": tender.lot}, who="tenderer")
    assert opened.status_code == 200, opened.text
    entries = opened.json()["opening"]["entries"]
    assert sorted(e["price"] for e in entries) == ["11200000.00", "11500000.00", "11800000.00"]


def test_the_public_lists_tenders_and_reads_the_rules_without_a_token(parties: Api) -> None:
    from web_builders import published

    tender = published(parties)
    listed = parties.get("/api/tenders")
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()] == [tender.id]
    rules = parties.get("/api/rules", params={"regime": "works"})
    assert rules.status_code == 200
    assert all("law" in r and "article" in r for r in rules.json())
    assert parties.get("/healthz").json() == {"status": "ok"}


def test_an_expert_signs_the_report_after_the_evaluation(parties: Api) -> None:
    tender = evaluated(parties)
    done = parties.post(f"/api/tenders/{tender.id}/report/signatures", {"lot": tender.lot}, who="expert_1")
    assert done.status_code == 200, done.text
    assert done.json()["signed"] == "expert_1"


def test_a_bidder_modifies_then_withdraws_its_bid_before_the_deadline(parties: Api) -> None:
    from web_builders import published

    tender = published(parties)
    parties.at("2026-12-02T10:00").post(f"/api/tenders/{tender.id}/registrations", {"lot": tender.lot}, who="bidder_a")
    bid = parties.at("2026-12-10T10:00").post(f"/api/tenders/{tender.id}/bids", {"lot": tender.lot, "price": "11500000", "security_amount": "200000"}, who="bidder_a")
    assert bid.status_code == 201, bid.text
    modified = parties.post(f"/api/tenders/{tender.id}/bids/modify", {"bid": bid.json()["id"], "price": "11400000", "security_amount": "200000"}, who="bidder_a")
    assert modified.status_code == 200, modified.text
    assert modified.json()["price"] == "11400000.00"
    withdrawn = parties.post(f"/api/tenders/{tender.id}/bids/withdraw", {"bid": modified.json()["id"]}, who="bidder_a")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"

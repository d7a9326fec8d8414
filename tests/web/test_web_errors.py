"""Refusals over HTTP: problem documents with the field, the rule and its article; 401/403/404."""

from __future__ import annotations

from web_builders import Api, created, published, tender_body

PROBLEM = "application/problem+json"


def test_a_deadline_too_soon_is_refused_with_the_law_and_changes_nothing(parties: Api) -> None:
    tender = created(parties)
    before = parties.get(f"/api/tenders/{tender.id}", who="tenderer").json()
    late = parties.at("2026-12-15T09:00").post(f"/api/tenders/{tender.id}/publish", {"doc_sale_end": "2026-12-20"}, who="tenderer")
    assert late.status_code == 422, late.text
    assert late.headers["content-type"].startswith(PROBLEM)
    problem = late.json()
    assert problem["kind"] == "rule_violation"
    assert problem["law"] and isinstance(problem["article"], int) and problem["rule"]
    assert problem["message"]["zh"] and problem["message"]["en"]
    assert problem["field"]
    assert parties.get(f"/api/tenders/{tender.id}", who="tenderer").json() == before


def test_a_malformed_field_is_named_by_the_parser(parties: Api) -> None:
    refused = parties.post("/api/tenders", tender_body(lot={"deadline": "next tuesday"}), who="tenderer")
    assert refused.status_code == 422
    assert refused.json()["field"] == "lots[0].deadline"
    assert refused.json()["kind"] == "invalid"


def test_a_missing_body_field_is_a_422_problem_naming_the_path(parties: Api) -> None:
    refused = parties.post("/api/tenders", {"regime": "works", "title": "x", "lots": [{"title": "x"}]}, who="tenderer")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert refused.json()["field"] == "lots[0].estimated_price"


def test_acting_without_a_token_is_401(parties: Api) -> None:
    refused = parties.post("/api/tenders", tender_body())
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")


def test_an_unknown_or_malformed_token_is_401(parties: Api) -> None:
    unknown = parties.client.get("/api/tenders", headers={"Authorization": "Bearer not-a-token"})
    assert unknown.status_code == 401
    assert unknown.json()["field"] == "authorization"
    malformed = parties.client.get("/api/tenders", headers={"Authorization": "Basic abc"})
    assert malformed.status_code == 401


def test_a_bidder_may_not_create_a_tender(parties: Api) -> None:
    refused = parties.post("/api/tenders", tender_body(), who="bidder_a")
    assert refused.status_code == 403
    assert refused.json()["kind"] == "forbidden"


def test_another_party_may_not_publish_someone_elses_tender(parties: Api) -> None:
    tender = created(parties)
    refused = parties.post(f"/api/tenders/{tender.id}/publish", {"doc_sale_end": "2026-12-07"}, who="bidder_b")
    assert refused.status_code == 403


def test_only_the_operator_adds_experts(parties: Api) -> None:
    refused = parties.post("/api/experts", {"name": "钱工", "specialties": ["road"]}, who="tenderer")
    assert refused.status_code == 403


def test_an_unknown_tender_or_lot_is_404(parties: Api) -> None:
    assert parties.get("/api/tenders/no-such-tender", who="tenderer").status_code == 404
    tender = published(parties)
    missing = parties.post(f"/api/tenders/{tender.id}/registrations", {"lot": "no-such-lot"}, who="bidder_a")
    assert missing.status_code == 404
    assert missing.json()["kind"] == "not_found"


def test_an_unknown_route_is_a_404_problem(api: Api) -> None:
    missing = api.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith(PROBLEM)


def test_registering_the_same_uscc_twice_is_a_conflict(parties: Api) -> None:
    again = parties.post("/api/subjects", {"kind": "bidder", "uscc": "91110105MA00000025", "name": "再次注册"})
    assert again.status_code == 409
    assert again.json()["field"] == "uscc"


def test_opening_before_the_deadline_is_refused_not_a_500(parties: Api) -> None:
    tender = published(parties)
    early = parties.at("2026-12-10T09:00").post(f"/api/tenders/{tender.id}/opening", {"lot": tender.lot}, who="tenderer")
    assert early.status_code in (409, 422)
    assert early.headers["content-type"].startswith(PROBLEM)


def test_the_public_may_not_register_itself_as_the_platform_operator(api: Api) -> None:
    refused = api.post("/api/subjects", {"kind": "platform", "uscc": "91110105MA00000025", "name": "冒名平台"})
    assert refused.status_code in (401, 403)

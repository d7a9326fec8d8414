"""Dataset 508 评标专家 reaches the hub only with the result (招标投标法 第37条第五款: the
committee's names stay secret until the winner is determined): a release that names experts
of a lot without an active award of that lot is refused, by one release and in a batch."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hub_support import Platform, release
from test_hub_protocol_schemas import assert_valid

from tenderhub.core.rules.catalogue import by_code
from tenderhub.hub import protocol
from tenderhub.hub.protocol import envelope
from tenderhub.hub.validation import EXPERTS_RULE, check_release

EXPERTS = {"id": "L1-1", "relatedLot": "L1", "round": 1, "members": [{"id": "1", "name": "赵六", "kind": "expert"}]}


def with_experts(n: int, *, award: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = release(n)
    doc["tag"] = ["award"]
    doc["tenderhub"] = {"evaluationExperts": [EXPERTS]}
    if award is not None:
        doc["awards"] = [award]
    return doc


def active_award(lot: str = "L1", status: str = "active") -> dict[str, Any]:
    return {"id": "B1-award", "status": status, "relatedLots": [lot]}


def test_experts_before_the_result_are_refused_naming_the_path_and_the_article(client: TestClient) -> None:
    platform = Platform(client)
    answer = platform.post(with_experts(1))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert (body["code"], body["field"]) == ("experts_before_result", "/release/tenderhub/evaluationExperts/0")
    assert (body["kind"], body["rule"], body["law"], body["article"]) == ("rule_violation", EXPERTS_RULE, "招标投标法", 37)
    assert "招标投标法 第37条" in str(body["citations"]) or body["citations"][0]["article"] == 37
    assert "中标结果确定前应当保密" in body["message"]["zh"]
    assert [p["path"] for p in body["problems"]] == ["/release/tenderhub/evaluationExperts/0"]
    assert "lot L1" in body["problems"][0]["message"]
    assert client.get(f"/hub/releases/{with_experts(1)['id']}").status_code == 404  # nothing stored
    assert client.get("/hub/log/sth").json()["size"] == 0


def test_experts_with_an_active_award_of_their_lot_are_accepted(client: TestClient) -> None:
    platform = Platform(client)
    assert platform.post(with_experts(1, award=active_award())).status_code == 201


def test_an_award_of_another_lot_or_not_active_does_not_publish_the_result() -> None:
    for award in (active_award("L2"), active_award(status="pending"), active_award(status="unsuccessful")):
        problems = _problems(with_experts(1, award=award))
        assert [p["path"] for p in problems] == ["/release/tenderhub/evaluationExperts/0"], award


def test_a_batch_refuses_only_the_release_that_names_experts_early(client: TestClient) -> None:
    platform = Platform(client)
    early, fine = with_experts(1), release(2)
    bodies = [envelope(platform.platform_id, platform.pair, doc) for doc in (early, fine)]
    answer = client.post(protocol.BATCH_PATH, json={"releases": bodies}).json()
    statuses = [r["status"] for r in answer["results"]]
    assert statuses == ["refused", "created"]
    error = answer["results"][0]["error"]
    assert (error["code"], error["field"]) == ("experts_before_result", "/releases/0/release/tenderhub/evaluationExperts/0")
    assert (error["kind"], error["law"], error["article"]) == ("rule_violation", "招标投标法", 37)
    assert_valid("batch-response", answer)  # the protocol's schema of the answer holds the rule too
    assert client.get(f"/hub/releases/{early['id']}").status_code == 404


def test_the_rule_is_listed_with_its_article() -> None:
    found = by_code(EXPERTS_RULE)
    assert (found.citation.law, found.citation.article) == ("招标投标法", 37)
    assert {"works", "gp"} <= found.regimes


def _problems(doc: dict[str, Any]) -> list[dict[str, Any]]:
    from tenderhub.hub.validation import ReleaseInvalid

    try:
        check_release(doc)
    except ReleaseInvalid as error:
        assert error.code == "experts_before_result"
        return error.problems
    raise AssertionError("accepted")


# ---- experts smuggled into ``parties`` (a role that says "evaluation expert") ---------------------

def with_expert_party(n: int, role: str, *, award: dict[str, Any] | None = None, lots: list[str] | None = None) -> dict[str, Any]:
    doc = release(n)
    doc["parties"] = [{"id": "CN-USCC-91110000MA00000001", "name": "某招标代理公司", "roles": ["procuringEntity"]},
                      {"id": "expert-1", "name": "赵六", "roles": [role]}]
    if award is not None:
        doc["awards"] = [award]
    if lots is not None:
        doc["tender"]["lots"] = [{"id": lot} for lot in lots]
    return doc


@pytest.mark.parametrize("role", ["evaluationExpert", "evaluationCommittee", "evaluationPanel", "evaluationBody",
                                  "Evaluation-Expert", "evaluator", "评标专家", "评标委员会", "评审专家"])
def test_a_party_with_an_expert_role_before_the_result_is_refused(role: str) -> None:
    problems = _problems(with_expert_party(1, role))
    assert [p["path"] for p in problems] == ["/release/parties/1/roles/0"], role
    assert "parties/1" in problems[0]["message"]


def test_a_party_with_an_expert_role_is_refused_over_http_naming_the_article(client: TestClient) -> None:
    platform = Platform(client)
    answer = platform.post(with_expert_party(1, "evaluationExpert"))
    body = answer.json()
    assert answer.status_code == 422 and (body["code"], body["field"]) == ("experts_before_result", "/release/parties/1/roles/0")
    assert (body["law"], body["article"]) == ("招标投标法", 37)
    assert client.get("/hub/log/sth").json()["size"] == 0


def test_an_expert_party_with_the_result_of_every_lot_listed_is_accepted() -> None:
    check_release(with_expert_party(1, "evaluationExpert", award=active_award()))
    check_release(with_expert_party(1, "evaluationExpert", award=active_award(), lots=["L1"]))


def test_an_expert_party_while_a_listed_lot_has_no_result_is_refused() -> None:
    problems = _problems(with_expert_party(1, "evaluationExpert", award=active_award(), lots=["L1", "L2"]))
    assert [p["path"] for p in problems] == ["/release/parties/1/roles/0"]
    assert "L2" in problems[0]["message"]
    _problems(with_expert_party(1, "evaluationExpert", award=active_award(status="pending")))


@pytest.mark.parametrize("role", ["reviewBody", "buyer", "procuringEntity", "tenderer", "supplier", "interestedParty"])
def test_the_other_party_roles_are_not_expert_roles(role: str) -> None:
    """``reviewBody`` of the OCDS codelist reviews challenges (the complaint body, 行政监督), not
    the bids: it appears before the result legitimately."""
    check_release(with_expert_party(1, role))

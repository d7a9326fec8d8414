from decimal import Decimal

import pytest
from evaluation_builders import (
    AT,
    bid,
    committee_of,
    drawn_committee,
    evaluation,
    expert,
    pool,
    rep,
)

from tenderhub.core.evaluation.committee import check_make_up, form_committee
from tenderhub.core.evaluation.draw import DrawRecord
from tenderhub.core.evaluation.evaluation import EvaluationStatus
from tenderhub.core.evaluation.experts import is_qualified
from tenderhub.core.shared.errors import RuleViolation


def refused_code(committee) -> str:
    with pytest.raises(RuleViolation) as caught:
        check_make_up(committee)
    return caught.value.code


@pytest.mark.parametrize("regime", ["works", "gp"])
def test_five_members_with_four_experts_is_a_valid_committee(regime):
    check_make_up(committee_of(4, 1, regime=regime))


@pytest.mark.parametrize("regime", ["works", "gp"])
def test_a_committee_of_three_is_refused_as_too_small(regime):
    assert refused_code(committee_of(3, 0, regime=regime)) == f"{regime}_committee_min_size"


@pytest.mark.parametrize("regime", ["works", "gp"])
def test_an_even_committee_of_six_is_refused(regime):
    assert refused_code(committee_of(6, 0, regime=regime)) == f"{regime}_committee_odd"


@pytest.mark.parametrize("regime", ["works", "gp"])
def test_three_experts_of_five_members_is_below_two_thirds(regime):
    assert refused_code(committee_of(3, 2, regime=regime)) == f"{regime}_committee_expert_share"


@pytest.mark.parametrize("regime", ["works", "gp"])
def test_five_experts_of_seven_members_meets_two_thirds_but_four_does_not(regime):
    check_make_up(committee_of(5, 2, regime=regime))
    assert refused_code(committee_of(4, 3, regime=regime)) == f"{regime}_committee_expert_share"


def test_the_share_check_names_its_article_and_numbers():
    with pytest.raises(RuleViolation) as caught:
        check_make_up(committee_of(3, 2))
    assert caught.value.rule.citation.law == "招标投标法"
    assert caught.value.rule.citation.article == 37
    assert "3/5" in caught.value.message_en


def test_gp_budget_just_under_ten_million_allows_five_members():
    check_make_up(committee_of(4, 1, regime="gp", budget=Decimal("9999999.99")))


def test_gp_budget_of_exactly_ten_million_needs_seven_members():
    committee = committee_of(4, 1, regime="gp", budget=Decimal("10000000"))
    assert refused_code(committee) == "gp_committee_large_budget"
    check_make_up(committee_of(6, 1, regime="gp", budget=Decimal("10000000")))


def test_gp_complex_project_needs_seven_members_whatever_the_budget():
    assert refused_code(committee_of(4, 1, regime="gp", complex_or_high_impact=True)) == "gp_committee_large_budget"


def test_works_committee_has_no_budget_rule():
    check_make_up(committee_of(4, 1, regime="works", budget=Decimal("50000000")))


def test_works_expert_needs_eight_years_and_a_senior_title():
    assert is_qualified(expert("X", years=8), "works")
    assert not is_qualified(expert("X", years=7), "works")
    assert not is_qualified(expert("X", years=20, senior=False), "works")


def test_forming_a_works_committee_with_an_unqualified_expert_is_refused():
    experts = [*pool(3), expert("J", years=5)]
    draw = DrawRecord("s", {"建筑": 4}, {e.id: "建筑" for e in experts}, AT, "agent")
    with pytest.raises(RuleViolation) as caught:
        form_committee("works", draw=draw, pool=experts, representatives=[rep()], avoid_uscc=[])
    assert caught.value.code == "works_expert_qualification"


def test_an_expert_tied_to_a_bidder_blocks_the_start_of_scoring():
    tied = [expert(f"E{i:02d}", conflicts=["9111USCCA"]) for i in range(8)]
    committee = drawn_committee(experts=tied)
    ev = evaluation(committee=committee, scoring=False, bids=[bid("A", "100"), bid("B", "110")])
    with pytest.raises(RuleViolation) as caught:
        ev.transition_to(EvaluationStatus.SCORING, at=ev.events[0].at, by="agent")
    assert caught.value.code == "works_expert_conflict"
    assert caught.value.rule.citation.article == 46
    assert ev.status is EvaluationStatus.FORMING


def test_gp_conflict_cites_the_procurement_regulation():
    employed = [expert(f"E{i:02d}", employer="9111USCCB") for i in range(8)]
    committee = drawn_committee(regime="gp", experts=employed)
    ev = evaluation(regime="gp", committee=committee, scoring=False)
    with pytest.raises(RuleViolation) as caught:
        ev.transition_to(EvaluationStatus.SCORING, at=ev.events[0].at, by="agent")
    assert (caught.value.rule.citation.law, caught.value.rule.citation.article) == ("政府采购法实施条例", 9)

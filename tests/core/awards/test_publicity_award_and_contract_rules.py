"""Publicity (条例 54 / GP条例 43, 87号令 69), award and contract (法 46 / GP法 46, 条例 58)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from builders import ONE_US, an_act, an_evaluated_tender, beijing_at

from tenderhub.core.awards.publicity import award, publicize
from tenderhub.core.contracts.signing import sign
from tenderhub.core.procedures.states import LotStatus
from tenderhub.core.shared.days import Deadline
from tenderhub.core.shared.errors import Invalid, RuleViolation

DAY = timedelta(days=1)
REPORT = beijing_at(date(2024, 4, 15), 10)  # Monday
PUBLICITY_START = {"works": ("招标投标法实施条例", 54), "gp": ("政府采购法实施条例", 43)}
PUBLICITY_DAYS = {"works": ("招标投标法实施条例", 54), "gp": ("政府采购货物和服务招标投标管理办法", 69)}
CONTRACT = {"works": ("招标投标法", 46), "gp": ("政府采购法", 46)}
PERFORMANCE = {"works": ("招标投标法实施条例", 58), "gp": ("政府采购法实施条例", 48)}
REGIMES = ["works", "gp"]


def cites(error: RuleViolation) -> set[tuple[str, int]]:
    assert error.rule is not None
    return {(c.law, c.article) for c in error.rule.citations}


def end_of(day: date):  # type: ignore[no-untyped-def]
    return Deadline(day, False).at


# ---- when the publicity must start -----------------------------------------------------------


def test_works_publicity_on_the_third_day_after_the_report_is_accepted():
    tender = an_evaluated_tender(report_at=REPORT)
    publicize(tender, an_act(at=end_of(date(2024, 4, 18)) - ONE_US), lot_id="lot-1")
    assert tender.lots[0].status is LotStatus.PUBLICITY


@pytest.mark.parametrize(("regime", "last_day"), [("works", date(2024, 4, 18)), ("gp", date(2024, 4, 24))])
def test_publicity_after_the_legal_time_from_the_report_is_refused(regime, last_day):
    tender = an_evaluated_tender(regime=regime, report_at=REPORT)
    with pytest.raises(RuleViolation) as refused:
        publicize(tender, an_act(at=end_of(last_day)), lot_id="lot-1")
    assert PUBLICITY_START[regime] in cites(refused.value)
    assert tender.lots[0].status is LotStatus.EVALUATED


def test_gp_result_notice_on_the_seventh_working_day_is_accepted():
    tender = an_evaluated_tender(regime="gp", report_at=REPORT)
    publicize(tender, an_act(at=end_of(date(2024, 4, 24)) - ONE_US), lot_id="lot-1")


# ---- how long it lasts ---------------------------------------------------------------------


def test_works_publicity_of_three_days_ends_at_24_00_of_the_third_day():
    tender = an_evaluated_tender(report_at=REPORT)
    publicity = publicize(tender, an_act(at=REPORT), lot_id="lot-1", days=3)
    assert publicity.end == end_of(date(2024, 4, 18))
    assert [e.tag for e in tender.pull_events()] == ["procedure:lot:publicized", "awards:publicity:started"]


@pytest.mark.parametrize(("regime", "too_short"), [("works", 2), ("gp", 0)])
def test_publicity_shorter_than_the_minimum_is_refused(regime, too_short):
    tender = an_evaluated_tender(regime=regime, report_at=REPORT)
    with pytest.raises(RuleViolation) as refused:
        publicize(tender, an_act(at=REPORT), lot_id="lot-1", days=too_short)
    assert PUBLICITY_DAYS[regime] in cites(refused.value)


def test_gp_result_notice_lasts_one_working_day():
    tender = an_evaluated_tender(regime="gp", report_at=beijing_at(date(2024, 4, 19), 10))  # Friday
    publicity = publicize(tender, an_act(at=beijing_at(date(2024, 4, 19), 11)), lot_id="lot-1")
    assert publicity.end == end_of(date(2024, 4, 22))  # Monday


# ---- award: after the publicity (works), with it (gp) --------------------------------------


def publicized(regime: str = "works"):  # type: ignore[no-untyped-def]
    tender = an_evaluated_tender(regime=regime, report_at=REPORT)
    publicize(tender, an_act(at=REPORT), lot_id="lot-1")
    tender.pull_events()
    return tender


def test_works_award_before_the_publicity_ends_is_refused_citing_regulation_54():
    tender = publicized()
    with pytest.raises(RuleViolation) as refused:
        award(tender, an_act(at=tender.lots[0].publicity.end - ONE_US), lot_id="lot-1")
    assert ("招标投标法实施条例", 54) in cites(refused.value)
    assert tender.lots[0].award is None


def test_works_award_when_the_publicity_ends_goes_to_the_first_candidate():
    tender = publicized()
    notice = award(tender, an_act(at=tender.lots[0].publicity.end), lot_id="lot-1")
    assert (notice.rank, notice.bidder_id) == (1, "bidder-1")
    assert [e.tag for e in tender.pull_events()] == ["procedure:lot:awarded", "awards:notice:issued"]


def test_gp_award_is_issued_with_the_result_notice():
    tender = publicized("gp")
    notice = award(tender, an_act(at=REPORT), lot_id="lot-1")
    assert notice.rank == 1 and tender.lots[0].status is LotStatus.AWARDED


def test_a_lower_ranked_candidate_needs_a_reason_citing_article_55():
    tender = publicized()
    at = tender.lots[0].publicity.end
    with pytest.raises(RuleViolation) as refused:
        award(tender, an_act(at=at), lot_id="lot-1", bidder_id="bidder-2")
    assert (refused.value.rule.citation.article, refused.value.field) == (55, "reason")
    notice = award(tender, an_act(at=at, reason="第一名放弃中标"), lot_id="lot-1", bidder_id="bidder-2")
    assert notice.reason_not_first == "第一名放弃中标"


def test_after_a_decline_the_next_candidate_is_awarded_and_the_declined_one_cannot_be_again():
    tender = publicized()
    at = tender.lots[0].publicity.end
    award(tender, an_act(at=at), lot_id="lot-1")
    award(tender, an_act(at=at + DAY, reason="第一名放弃"), lot_id="lot-1", bidder_id="bidder-2")
    with pytest.raises(Invalid):
        award(tender, an_act(at=at + 2 * DAY, reason="第二名放弃"), lot_id="lot-1", bidder_id="bidder-2")


# ---- contract within 30 days, amount equals award, performance security ≤ 10 % ---------------


def awarded(regime: str = "works"):  # type: ignore[no-untyped-def]
    tender = publicized(regime)
    award(tender, an_act(at=beijing_at(date(2024, 4, 19), 10)), lot_id="lot-1")  # Friday
    tender.pull_events()
    return tender


@pytest.mark.parametrize("regime", REGIMES)
def test_contract_due_is_thirty_days_after_the_award_notice(regime):
    tender = awarded(regime)
    assert tender.lots[0].award.contract_due == end_of(date(2024, 5, 20))  # 19 May is a Sunday


@pytest.mark.parametrize("regime", REGIMES)
def test_contract_on_the_last_instant_is_accepted(regime):
    tender = awarded(regime)
    lot = tender.lots[0]
    contract = sign(tender, an_act(at=lot.award.contract_due - ONE_US), lot_id="lot-1",
                    amount=lot.award.amount, performance_security=Decimal(0), period_days=365)
    assert lot.status is LotStatus.CONTRACTED and contract.amount == lot.award.amount
    assert [e.tag for e in tender.pull_events()] == ["procedure:lot:contracted", "contracts:contract:signed"]


@pytest.mark.parametrize("regime", REGIMES)
def test_contract_after_thirty_days_is_refused(regime):
    tender = awarded(regime)
    lot = tender.lots[0]
    with pytest.raises(RuleViolation) as refused:
        sign(tender, an_act(at=lot.award.contract_due), lot_id="lot-1", amount=lot.award.amount,
             performance_security=Decimal(0), period_days=365)
    assert CONTRACT[regime] in cites(refused.value)
    assert lot.status is LotStatus.AWARDED


@pytest.mark.parametrize("regime", REGIMES)
def test_contract_amount_must_equal_the_award(regime):
    tender = awarded(regime)
    lot = tender.lots[0]
    with pytest.raises(RuleViolation) as refused:
        sign(tender, an_act(at=lot.award.at), lot_id="lot-1", amount=lot.award.amount - Decimal("0.01"),
             performance_security=Decimal(0), period_days=365)
    assert CONTRACT[regime] in cites(refused.value)


@pytest.mark.parametrize("regime", REGIMES)
def test_performance_security_of_ten_percent_is_accepted_and_a_cent_more_refused(regime):
    tender = awarded(regime)
    lot = tender.lots[0]
    ten = (lot.award.amount / 10).quantize(Decimal("0.01"))
    with pytest.raises(RuleViolation) as refused:
        sign(tender, an_act(at=lot.award.at), lot_id="lot-1", amount=lot.award.amount,
             performance_security=ten + Decimal("0.01"), period_days=365)
    assert PERFORMANCE[regime] in cites(refused.value)
    sign(tender, an_act(at=lot.award.at), lot_id="lot-1", amount=lot.award.amount, performance_security=ten, period_days=365)

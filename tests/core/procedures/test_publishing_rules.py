"""Publishing, clarifying, cancelling and re-tendering at the boundaries the law sets."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from builders import (
    DEADLINE,
    ISSUE_DAY,
    T0,
    a_document,
    a_published_tender,
    a_tender,
    an_act,
    beijing_at,
    sale_end_for,
    with_bids,
)

from tenderhub.core.bids.model import BidStatus
from tenderhub.core.bids.opening import open_bids
from tenderhub.core.procedures.publishing import (
    ClarifyCommand,
    cancel,
    clarify,
    publish,
    retender,
    validate_new_tender,
)
from tenderhub.core.procedures.states import Category, LotStatus, TenderStatus
from tenderhub.core.shared.days import WeekendCalendar
from tenderhub.core.shared.errors import Conflict, Invalid, RuleViolation
from tenderhub.core.shared.events import TAGS

DAY = timedelta(days=1)


def cites(error: RuleViolation) -> set[tuple[str, int]]:
    assert error.rule is not None
    return {(c.law, c.article) for c in error.rule.citations}


def publish_with(tender, *, deadline_day: date | None = None, sale_end: date | None = None, calendar=None):  # type: ignore[no-untyped-def]
    if deadline_day is not None:
        for lot in tender.lots:
            lot.deadline = beijing_at(deadline_day, 9, 30)
    publish(tender, an_act(calendar=calendar), doc_sale_end=sale_end or sale_end_for(tender.regime),
            documents=[a_document()])


# ---- bid period: 20 days, the issue day not counted (法 24 / GP法 35; 民法典 201) --------------


@pytest.mark.parametrize(("regime", "law", "article"), [("works", "招标投标法", 24), ("gp", "政府采购法", 35)])
def test_deadline_twenty_days_after_issue_is_accepted(regime, law, article):
    tender = a_tender(regime=regime)
    publish_with(tender, deadline_day=ISSUE_DAY + 20 * DAY)
    assert tender.status is TenderStatus.ACTIVE and tender.lots[0].status is LotStatus.BIDDING


@pytest.mark.parametrize(("regime", "law", "article"), [("works", "招标投标法", 24), ("gp", "政府采购法", 35)])
def test_deadline_nineteen_days_after_issue_is_refused_citing_the_bid_period(regime, law, article):
    tender = a_tender(regime=regime)
    with pytest.raises(RuleViolation) as refused:
        publish_with(tender, deadline_day=ISSUE_DAY + 19 * DAY)
    assert (law, article) in cites(refused.value)
    assert refused.value.field == "lots[0].deadline"
    assert tender.status is TenderStatus.DRAFT and tender.pending_events == []


# ---- deadline on a holiday (民法典 203) ----------------------------------------------------


@pytest.mark.parametrize("regime", ["works", "gp"])
def test_deadline_on_a_statutory_holiday_is_refused_citing_civil_code_203(regime):
    holiday = date(2024, 4, 4)  # a Thursday made a holiday
    tender = a_tender(regime=regime)
    with pytest.raises(RuleViolation) as refused:
        publish_with(tender, deadline_day=holiday, calendar=WeekendCalendar(frozenset({holiday})))
    assert ("民法典", 203) in cites(refused.value)
    assert refused.value.params["next_day"] == date(2024, 4, 5)


def test_deadline_on_a_weekend_is_refused_citing_civil_code_203():
    tender = a_tender()
    with pytest.raises(RuleViolation) as refused:
        publish_with(tender, deadline_day=date(2024, 4, 6))  # Saturday
    assert ("民法典", 203) in cites(refused.value)


# ---- document sale period: 5 days (条例 16) or 5 working days (GP条例 31) -------------------


def test_works_sale_period_of_five_days_is_accepted():
    publish_with(a_tender(regime="works"), sale_end=ISSUE_DAY + 5 * DAY)


def test_works_sale_period_of_four_days_is_refused_citing_regulation_16():
    with pytest.raises(RuleViolation) as refused:
        publish_with(a_tender(regime="works"), sale_end=ISSUE_DAY + 4 * DAY)
    assert ("招标投标法实施条例", 16) in cites(refused.value)


def test_gp_sale_period_counts_five_working_days():
    publish_with(a_tender(regime="gp"), sale_end=date(2024, 3, 13))  # Wed 6 → Wed 13: 5 working days


def test_gp_sale_period_of_five_calendar_days_is_refused_citing_gp_regulation_31():
    with pytest.raises(RuleViolation) as refused:
        publish_with(a_tender(regime="gp"), sale_end=ISSUE_DAY + 5 * DAY)  # Mon 11: 3 working days
    assert ("政府采购法实施条例", 31) in cites(refused.value)


def test_gp_sale_period_one_working_day_short_is_refused():
    with pytest.raises(RuleViolation):
        publish_with(a_tender(regime="gp"), sale_end=date(2024, 3, 12))


def test_publishing_records_one_event_per_change_all_from_the_vocabulary():
    tender = a_tender(lots=2)
    publish_with(tender)
    tags = [e.tag for e in tender.pull_events()]
    assert tags == ["procedure:tender:published", "procedure:document:issued",
                    "procedure:lot:published", "procedure:lot:published"]
    assert set(tags) <= TAGS


def test_publishing_twice_is_a_conflict():
    tender = a_published_tender()
    with pytest.raises(Conflict):
        publish_with(tender)


# ---- money limits at publication (条例 26, 58; 30号令 37; 2号令 24; GP条例 33, 48) ---------


@pytest.mark.parametrize(("regime", "law", "article"), [("works", "招标投标法实施条例", 26), ("gp", "政府采购法实施条例", 33)])
def test_bid_security_of_two_percent_is_accepted_and_one_cent_more_refused(regime, law, article):
    validate_new_tender(a_tender(regime=regime, estimated_price="10000000", bid_security="200000"))
    with pytest.raises(RuleViolation) as refused:
        validate_new_tender(a_tender(regime=regime, estimated_price="10000000", bid_security="200000.01"))
    assert (law, article) in cites(refused.value)


@pytest.mark.parametrize(("category", "law", "article"), [
    (Category.WORKS, "工程建设项目施工招标投标办法", 37),
    (Category.GOODS, "工程建设项目货物招标投标办法", 27),
])
def test_works_and_goods_bid_security_is_capped_at_800000(category, law, article):
    validate_new_tender(a_tender(category=category, estimated_price="50000000", bid_security="800000"))
    with pytest.raises(RuleViolation) as refused:
        validate_new_tender(a_tender(category=category, estimated_price="50000000", bid_security="800000.01"))
    assert (law, article) in cites(refused.value)


def test_survey_and_design_bid_security_is_capped_at_100000():
    validate_new_tender(a_tender(category=Category.SURVEY_DESIGN, estimated_price="10000000", bid_security="100000"))
    with pytest.raises(RuleViolation) as refused:
        validate_new_tender(a_tender(category=Category.SURVEY_DESIGN, estimated_price="10000000", bid_security="100000.01"))
    assert ("工程建设项目勘察设计招标投标办法", 24) in cites(refused.value)


def test_gp_bid_security_has_no_fixed_cap_only_the_two_percent():
    validate_new_tender(a_tender(regime="gp", category=Category.GOODS, estimated_price="50000000", bid_security="1000000"))


@pytest.mark.parametrize(("regime", "law", "article"), [("works", "招标投标法实施条例", 58), ("gp", "政府采购法实施条例", 48)])
def test_performance_security_of_ten_percent_is_accepted_and_more_refused(regime, law, article):
    validate_new_tender(a_tender(regime=regime, performance_security_percent="10"))
    with pytest.raises(RuleViolation) as refused:
        validate_new_tender(a_tender(regime=regime, performance_security_percent="10.01"))
    assert (law, article) in cites(refused.value)


def test_a_tender_without_a_positive_estimate_is_invalid():
    with pytest.raises(Invalid):
        validate_new_tender(a_tender(estimated_price="0"))


# ---- invited tenders (法 17 / GP法 34) ----------------------------------------------------


@pytest.mark.parametrize(("regime", "law", "article"), [("works", "招标投标法", 17), ("gp", "政府采购法", 34)])
def test_invited_tender_needs_three_distinct_invitees(regime, law, article):
    validate_new_tender(a_tender(regime=regime, method="invited", invitees=["U1", "U2", "U3"]))
    with pytest.raises(RuleViolation) as refused:
        validate_new_tender(a_tender(regime=regime, method="invited", invitees=["U1", "U2", "U2"]))
    assert (law, article) in cites(refused.value)
    assert refused.value.params["count"] == 2


# ---- clarification: 15 days before the deadline, or move it (法 23, 条例 21 / GP条例 31) ------


@pytest.mark.parametrize(("regime", "law", "article"), [("works", "招标投标法", 23), ("gp", "政府采购法实施条例", 31)])
def test_clarification_fifteen_days_before_the_deadline_is_accepted(regime, law, article):
    tender = a_published_tender(regime=regime)
    entry = clarify(tender, an_act(at=DEADLINE - 15 * DAY), ClarifyCommand("补遗一", []))
    assert entry.moved_deadline_to is None and tender.lots[0].deadline == DEADLINE
    assert [e.tag for e in tender.pull_events()] == ["procedure:clarification:issued"]


@pytest.mark.parametrize(("regime", "law", "article"), [("works", "招标投标法", 23), ("gp", "政府采购法实施条例", 31)])
def test_clarification_fourteen_days_before_the_deadline_is_refused(regime, law, article):
    tender = a_published_tender(regime=regime)
    with pytest.raises(RuleViolation) as refused:
        clarify(tender, an_act(at=DEADLINE - 14 * DAY), ClarifyCommand("补遗一", []))
    assert (law, article) in cites(refused.value)
    assert tender.clarifications == [] and tender.pending_events == []


def test_a_late_clarification_that_moves_the_deadline_is_accepted_and_moves_every_lot():
    tender = a_published_tender(lots=2)
    at = DEADLINE - 14 * DAY
    new = beijing_at(date(2024, 4, 11), 9, 30)  # 15 days after the clarification, a Thursday
    clarify(tender, an_act(at=at), ClarifyCommand("补遗一", [], new_deadline=new))
    assert [lot.deadline for lot in tender.lots] == [new, new]
    tags = [e.tag for e in tender.pull_events()]
    assert tags == ["procedure:deadline:moved", "procedure:deadline:moved", "procedure:clarification:issued"]


def test_a_moved_deadline_still_short_of_fifteen_days_is_refused():
    tender = a_published_tender()
    at = DEADLINE - 14 * DAY
    with pytest.raises(RuleViolation):
        clarify(tender, an_act(at=at), ClarifyCommand("补遗一", [], new_deadline=beijing_at(date(2024, 4, 10), 17)))
    assert tender.lots[0].deadline == DEADLINE


def test_a_clarification_cannot_bring_the_deadline_forward():
    tender = a_published_tender()
    with pytest.raises(Invalid):
        clarify(tender, an_act(at=T0), ClarifyCommand("补遗", [], new_deadline=DEADLINE - DAY))


def test_a_moved_deadline_on_a_holiday_is_refused_citing_civil_code_203():
    tender = a_published_tender()
    with pytest.raises(RuleViolation) as refused:
        clarify(tender, an_act(at=DEADLINE - 14 * DAY), ClarifyCommand("补遗", [], new_deadline=beijing_at(date(2024, 4, 13))))
    assert ("民法典", 203) in cites(refused.value)


# ---- cancel (条例 31) ----------------------------------------------------------------------


@pytest.mark.parametrize("regime", ["works", "gp"])
def test_cancel_without_a_reason_is_refused_citing_regulation_31(regime):
    tender = a_published_tender(regime=regime)
    with pytest.raises(RuleViolation) as refused:
        cancel(tender, an_act(reason="  "))
    assert ("招标投标法实施条例", 31) in cites(refused.value)
    assert tender.status is TenderStatus.ACTIVE


def test_cancel_with_a_reason_cancels_every_lot_and_the_tender():
    tender = a_published_tender(lots=2)
    cancel(tender, an_act(reason="项目取消"))
    assert tender.status is TenderStatus.CANCELLED and tender.cancel_reason == "项目取消"
    assert {lot.status for lot in tender.lots} == {LotStatus.CANCELLED}
    assert [e.tag for e in tender.pull_events()] == ["procedure:lot:cancelled"] * 2 + ["procedure:tender:cancelled"]


def test_cancelling_one_lot_leaves_the_tender_and_other_lots():
    tender = a_published_tender(lots=2)
    cancel(tender, an_act(reason="标段取消"), lot_id="lot-2")
    assert tender.status is TenderStatus.ACTIVE
    assert [lot.status for lot in tender.lots] == [LotStatus.BIDDING, LotStatus.CANCELLED]


def test_cancelling_a_tender_with_a_lot_that_cannot_be_cancelled_changes_nothing():
    tender = a_published_tender(lots=2)
    tender.lots[1].status = LotStatus.AWARDED  # an award notice is out: only contract or failure remain
    with pytest.raises(Conflict):
        cancel(tender, an_act(reason="项目取消"))
    assert [lot.status for lot in tender.lots] == [LotStatus.BIDDING, LotStatus.AWARDED]
    assert tender.status is TenderStatus.ACTIVE and tender.pending_events == []


def test_cancelling_a_cancelled_tender_is_a_conflict():
    tender = a_published_tender()
    cancel(tender, an_act(reason="项目取消"))
    with pytest.raises(Conflict):
        cancel(tender, an_act(reason="again"))


# ---- re-tender (法 28/42, GP法 36) --------------------------------------------------------


def failed_tender(regime: str = "works"):  # type: ignore[no-untyped-def]
    tender = a_published_tender(regime=regime)
    with_bids(tender, 2)
    assert open_bids(tender, an_act(at=DEADLINE), lot_id="lot-1") is None
    tender.pull_events()
    return tender


def test_re_tendering_a_lot_that_has_not_failed_is_refused():
    tender = a_published_tender()
    with pytest.raises(RuleViolation) as refused:
        retender(tender, an_act(at=T0), lot_id="lot-1", deadline=DEADLINE + 7 * DAY)
    assert refused.value.code == "RETENDER_AFTER_FAILURE"
    assert tender.lots[0].round == 1


@pytest.mark.parametrize("regime", ["works", "gp"])
def test_re_tendering_a_failed_lot_opens_a_new_round_and_archives_the_old_bids(regime):
    tender = failed_tender(regime)
    lot = tender.lots[0]
    old_bids = list(lot.bids)
    at = DEADLINE + DAY
    new_deadline = beijing_at(local_day(at) + 20 * DAY, 9, 30)
    retender(tender, an_act(at=at, reason="重新招标"), lot_id="lot-1", deadline=new_deadline)
    assert (lot.status, lot.round, lot.deadline, lot.bids, lot.registrations) == (LotStatus.BIDDING, 2, new_deadline, [], [])
    assert len(lot.history) == 1 and lot.history[0].number == 1 and lot.history[0].deadline == DEADLINE
    assert lot.history[0].bids == old_bids and {b.status for b in old_bids} == {BidStatus.ARCHIVED}
    assert lot.history[0].failure_reason and lot.failure_reason == ""
    tags = [e.tag for e in tender.pull_events()]
    assert tags == ["bids:bid:archived", "bids:bid:archived", "procedure:lot:retendered"]


def test_the_new_round_needs_the_full_bid_period_again():
    tender = failed_tender()
    at = DEADLINE + DAY
    with pytest.raises(RuleViolation) as refused:
        retender(tender, an_act(at=at), lot_id="lot-1", deadline=beijing_at(local_day(at) + 19 * DAY, 9, 30))
    assert ("招标投标法", 24) in cites(refused.value)
    assert tender.lots[0].round == 1 and tender.lots[0].status is LotStatus.FAILED


def local_day(at):  # type: ignore[no-untyped-def]
    from tenderhub.core.shared.days import local_date

    return local_date(at)


def test_money_is_decimal_in_the_builders():
    assert isinstance(a_tender().lots[0].estimated_price, Decimal)

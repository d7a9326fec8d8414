"""Bids against the deadline to the instant (法 28/29, 87号令 33/34), opening (法 34) and security."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import (
    DEADLINE,
    ONE_US,
    T0,
    a_bidder,
    a_form,
    a_published_tender,
    a_submitted_bid,
    an_act,
    with_bids,
)

from tenderhub.core.bids.model import BidStatus, SecurityForm
from tenderhub.core.bids.opening import open_bids
from tenderhub.core.bids.submission import modify, register, submit, withdraw
from tenderhub.core.procedures.states import LotStatus
from tenderhub.core.shared.errors import Forbidden, Invalid, RuleViolation

LATE = {"works": ("招标投标法", 28), "gp": ("政府采购货物和服务招标投标管理办法", 33)}
CHANGE = {"works": ("招标投标法", 29), "gp": ("政府采购货物和服务招标投标管理办法", 34)}
TOO_FEW = {"works": ("招标投标法", 28), "gp": ("政府采购法", 36)}
REGIMES = ["works", "gp"]


def cites(error: RuleViolation) -> set[tuple[str, int]]:
    assert error.rule is not None
    return {(c.law, c.article) for c in error.rule.citations}


# ---- submission to the instant -------------------------------------------------------------


@pytest.mark.parametrize("regime", REGIMES)
def test_bid_one_microsecond_before_the_deadline_is_accepted(regime):
    tender = a_published_tender(regime=regime)
    bid = a_submitted_bid(tender, at=DEADLINE - ONE_US)
    assert bid.status is BidStatus.SUBMITTED and bid.submitted_at == DEADLINE - ONE_US


@pytest.mark.parametrize("regime", REGIMES)
def test_bid_at_the_deadline_is_refused_citing_the_late_bid_rule(regime):
    tender = a_published_tender(regime=regime)
    bidder = a_bidder()
    register(tender, an_act(at=T0), lot_id="lot-1", bidder=bidder)
    with pytest.raises(RuleViolation) as refused:
        submit(tender, an_act(at=DEADLINE), lot_id="lot-1", bidder=bidder, form=a_form(), documents=[])
    assert LATE[regime] in cites(refused.value)
    assert tender.lots[0].bids == []


def test_an_unregistered_bidder_may_not_bid():
    tender = a_published_tender()
    with pytest.raises(RuleViolation) as refused:
        submit(tender, an_act(at=T0), lot_id="lot-1", bidder=a_bidder(), form=a_form(), documents=[])
    assert refused.value.code == "BIDDER_REGISTERED"


def test_a_second_bid_from_the_same_bidder_is_refused():
    tender = a_published_tender()
    a_submitted_bid(tender)
    with pytest.raises(RuleViolation) as refused:
        submit(tender, an_act(at=T0 + timedelta(days=2)), lot_id="lot-1", bidder=a_bidder(), form=a_form(), documents=[])
    assert ("招标投标法实施条例", 51) in cites(refused.value)


# ---- modification and withdrawal only before the deadline ----------------------------------


@pytest.mark.parametrize("regime", REGIMES)
def test_modification_one_microsecond_before_the_deadline_is_accepted(regime):
    tender = a_published_tender(regime=regime)
    bid = a_submitted_bid(tender)
    modify(tender, an_act(at=DEADLINE - ONE_US), bid_id=bid.id, bidder_id="bidder-1", form=a_form(price="8000000"), documents=[])
    assert bid.version == 2 and bid.price_form.price == 8000000


@pytest.mark.parametrize("regime", REGIMES)
def test_modification_at_the_deadline_is_refused(regime):
    tender = a_published_tender(regime=regime)
    bid = a_submitted_bid(tender)
    with pytest.raises(RuleViolation) as refused:
        modify(tender, an_act(at=DEADLINE), bid_id=bid.id, bidder_id="bidder-1", form=a_form(price="1"), documents=[])
    assert CHANGE[regime] in cites(refused.value)
    assert bid.version == 1


@pytest.mark.parametrize("regime", REGIMES)
def test_withdrawal_before_the_deadline_records_one_event(regime):
    tender = a_published_tender(regime=regime)
    bid = a_submitted_bid(tender)
    tender.pull_events()
    withdraw(tender, an_act(at=DEADLINE - ONE_US, by="bidder-1", reason="放弃"), bid_id=bid.id, bidder_id="bidder-1")
    assert bid.status is BidStatus.WITHDRAWN and bid.withdrawn_at == DEADLINE - ONE_US
    events = tender.pull_events()
    assert [(e.tag, e.target, e.by, e.reason) for e in events] == [("bids:bid:withdrawn", bid.id, "bidder-1", "放弃")]


@pytest.mark.parametrize("regime", REGIMES)
def test_withdrawal_at_the_deadline_is_refused(regime):
    tender = a_published_tender(regime=regime)
    bid = a_submitted_bid(tender)
    with pytest.raises(RuleViolation) as refused:
        withdraw(tender, an_act(at=DEADLINE), bid_id=bid.id, bidder_id="bidder-1")
    assert CHANGE[regime] in cites(refused.value)
    assert bid.status is BidStatus.SUBMITTED


def test_only_the_bidder_may_withdraw_its_bid():
    tender = a_published_tender()
    bid = a_submitted_bid(tender)
    with pytest.raises(Forbidden):
        withdraw(tender, an_act(at=T0 + timedelta(days=2)), bid_id=bid.id, bidder_id="bidder-2")


def test_works_withdrawal_sets_the_security_refund_due_five_days_later_and_gp_does_not_need_it():
    for regime in REGIMES:
        tender = a_published_tender(regime=regime)
        bid = a_submitted_bid(tender, form=a_form(security_amount="1000"))
        withdraw(tender, an_act(at=T0 + timedelta(days=2)), bid_id=bid.id, bidder_id="bidder-1")
        assert (bid.security_refund_due is not None) == (regime == "works")


# ---- bid security form and amount ------------------------------------------------------------


def test_gp_cash_bid_security_is_refused_citing_gp_regulation_33():
    tender = a_published_tender(regime="gp")
    with pytest.raises(RuleViolation) as refused:
        a_submitted_bid(tender, form=a_form(security_amount="1000", security_form=SecurityForm.CASH))
    assert ("政府采购法实施条例", 33) in cites(refused.value)


def test_works_cash_bid_security_is_accepted():
    tender = a_published_tender(regime="works")
    a_submitted_bid(tender, form=a_form(security_amount="1000", security_form=SecurityForm.CASH))


def test_bid_security_below_what_the_documents_require_is_invalid():
    tender = a_published_tender(bid_security="5000")
    with pytest.raises(Invalid):
        a_submitted_bid(tender, form=a_form(security_amount="4999.99"))
    a_submitted_bid(tender, n=2, form=a_form(security_amount="5000"))


# ---- opening at the deadline, at least three bids (法 28, 34; 条例 44; GP法 36) -------------


@pytest.mark.parametrize("regime", REGIMES)
def test_opening_before_the_deadline_is_refused_citing_law_34(regime):
    tender = a_published_tender(regime=regime)
    with_bids(tender, 3)
    with pytest.raises(RuleViolation) as refused:
        open_bids(tender, an_act(at=DEADLINE - ONE_US), lot_id="lot-1")
    assert ("招标投标法", 34) in cites(refused.value)
    assert tender.lots[0].status is LotStatus.BIDDING


@pytest.mark.parametrize("regime", REGIMES)
def test_three_bids_are_opened_at_the_deadline(regime):
    tender = a_published_tender(regime=regime)
    bids = with_bids(tender, 3)
    record = open_bids(tender, an_act(at=DEADLINE), lot_id="lot-1")
    assert record is not None and record.bid_count == 3 and len(record.entries) == 3
    assert tender.lots[0].status is LotStatus.OPENED and {b.status for b in bids} == {BidStatus.OPENED}
    assert [e.tag for e in tender.pull_events()] == ["bids:bid:opened"] * 3 + ["procedure:lot:opened"]


@pytest.mark.parametrize("regime", REGIMES)
def test_fewer_than_three_bids_fail_the_lot_at_opening(regime):
    tender = a_published_tender(regime=regime)
    bids = with_bids(tender, 2)
    assert open_bids(tender, an_act(at=DEADLINE), lot_id="lot-1") is None
    lot = tender.lots[0]
    assert lot.status is LotStatus.FAILED and lot.failed_at == DEADLINE and lot.opening is None
    assert "3" in lot.failure_reason and {b.status for b in bids} == {BidStatus.SUBMITTED}
    assert [e.tag for e in tender.pull_events()] == ["procedure:lot:failed"]
    from tenderhub.core.procedures.guards import rule_for

    assert TOO_FEW[regime] in {(c.law, c.article) for c in rule_for(tender, "min_bidders_to_open").citations}


def test_a_withdrawn_bid_does_not_count_towards_the_three():
    tender = a_published_tender()
    bids = with_bids(tender, 3)
    withdraw(tender, an_act(at=T0 + timedelta(days=2)), bid_id=bids[0].id, bidder_id=bids[0].bidder_id)
    assert open_bids(tender, an_act(at=DEADLINE), lot_id="lot-1") is None
    assert tender.lots[0].status is LotStatus.FAILED


# ---- invited tenders: only invitees may take part (法 17) ----------------------------------


def test_a_non_invitee_may_not_register_for_an_invited_tender():
    invitees = [a_bidder(n).uscc for n in (1, 2, 3)]
    tender = a_published_tender(method="invited", invitees=invitees)
    register(tender, an_act(at=T0), lot_id="lot-1", bidder=a_bidder(1))
    with pytest.raises(RuleViolation) as refused:
        register(tender, an_act(at=T0), lot_id="lot-1", bidder=a_bidder(4))
    assert ("招标投标法", 17) in cites(refused.value)
    assert len(tender.lots[0].registrations) == 1


def test_registration_after_the_deadline_is_refused():
    tender = a_published_tender()
    with pytest.raises(RuleViolation):
        register(tender, an_act(at=DEADLINE), lot_id="lot-1", bidder=a_bidder())

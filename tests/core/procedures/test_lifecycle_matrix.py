"""The whole status × status matrix of tenders, lots and bids through their one guarded setter."""

from __future__ import annotations

import itertools

import pytest
from builders import T0, a_bid, a_lot, a_tender
from hypothesis import given
from hypothesis import strategies as st

from tenderhub.core.bids.model import BID_TRANSITIONS, BidStatus
from tenderhub.core.procedures.states import (
    LOT_TRANSITIONS,
    TENDER_TRANSITIONS,
    LotStatus,
    TenderStatus,
)
from tenderhub.core.shared.errors import Conflict
from tenderhub.core.shared.events import TAGS
from tenderhub.core.shared.lifecycle import terminal_states

TENDER_PAIRS = list(itertools.product(TenderStatus, TenderStatus))
LOT_PAIRS = list(itertools.product(LotStatus, LotStatus))
BID_PAIRS = list(itertools.product(BidStatus, BidStatus))


def pair_id(pair: tuple[object, object]) -> str:
    return f"{pair[0]}->{pair[1]}"


def tender_at(status: TenderStatus):  # type: ignore[no-untyped-def]
    tender = a_tender()
    tender.status = status
    return tender


def lot_in(status: LotStatus):  # type: ignore[no-untyped-def]
    tender = a_tender()
    tender.lots[0].status = status
    return tender, tender.lots[0]


# ---- the tables themselves ----------------------------------------------------------------


@pytest.mark.parametrize("table", [TENDER_TRANSITIONS, LOT_TRANSITIONS, BID_TRANSITIONS], ids=["tender", "lot", "bid"])
def test_every_status_has_a_row_in_its_table(table):
    status_type = type(next(iter(table)))
    assert set(table) == set(status_type)
    assert all(target in table for targets in table.values() for target in targets)


def test_tender_terminal_states_are_cancelled_and_complete():
    assert terminal_states(TENDER_TRANSITIONS) == {TenderStatus.CANCELLED, TenderStatus.COMPLETE}


def test_lot_terminal_state_is_archived_only():
    assert terminal_states(LOT_TRANSITIONS) == {LotStatus.ARCHIVED}


def test_bid_terminal_state_is_archived_only():
    assert terminal_states(BID_TRANSITIONS) == {BidStatus.ARCHIVED}


@pytest.mark.parametrize("table", [TENDER_TRANSITIONS, LOT_TRANSITIONS, BID_TRANSITIONS], ids=["tender", "lot", "bid"])
def test_every_status_is_reachable_from_the_first_one(table):
    start = next(iter(table))
    seen, todo = {start}, [start]
    while todo:
        for target in table[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(table)


def test_every_lot_status_but_archived_can_still_end_in_the_archive():
    for status in LotStatus:
        seen, todo = {status}, [status]
        while todo:
            for target in LOT_TRANSITIONS[todo.pop()]:
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        assert LotStatus.ARCHIVED in seen, status


# ---- tenders -------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", TENDER_PAIRS, ids=pair_id)
def test_tender_transition_follows_the_table(pair):
    old, new = pair
    tender = tender_at(old)
    if new in TENDER_TRANSITIONS[old]:
        tender.transition_to(new, at=T0, by="agent-1", reason="test")
        assert tender.status is new
        events = tender.pull_events()
        assert len(events) == 1
        assert events[0].tag in TAGS and events[0].target == tender.id
        assert (events[0].at, events[0].by, events[0].reason) == (T0, "agent-1", "test")
    else:
        with pytest.raises(Conflict) as refused:
            tender.transition_to(new, at=T0, by="agent-1")
        assert refused.value.code == "tender_transition"
        assert tender.status is old
        assert tender.pending_events == []


# ---- lots ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", LOT_PAIRS, ids=pair_id)
def test_lot_transition_follows_the_table(pair):
    old, new = pair
    tender, lot = lot_in(old)
    if new in LOT_TRANSITIONS[old]:
        tender.lot_transition(lot, new, at=T0, by="agent-1", reason="test")
        assert lot.status is new
        events = tender.pull_events()
        assert len(events) == 1
        assert events[0].tag in TAGS and events[0].target == lot.id
        assert events[0].data["previous"] == old.value
    else:
        with pytest.raises(Conflict) as refused:
            tender.lot_transition(lot, new, at=T0, by="agent-1")
        assert refused.value.code == "lot_transition"
        assert lot.status is old
        assert tender.pending_events == []


def test_a_lot_transition_leaves_the_other_lots_alone():
    tender = a_tender(lots=2)
    tender.lot_transition(tender.lots[0], LotStatus.BIDDING, at=T0, by="agent-1")
    assert tender.lots[1].status is LotStatus.DRAFT


def test_publishing_a_lot_and_re_tendering_it_are_told_apart_in_the_audit_trail():
    tender, lot = lot_in(LotStatus.DRAFT)
    tender.lot_transition(lot, LotStatus.BIDDING, at=T0, by="agent-1")
    lot.status = LotStatus.FAILED
    tender.lot_transition(lot, LotStatus.BIDDING, at=T0, by="agent-1")
    assert [e.tag for e in tender.pull_events()] == ["procedure:lot:published", "procedure:lot:retendered"]


def test_each_lot_target_status_has_its_own_tag():
    tags = {}
    for old, new in LOT_PAIRS:
        if new in LOT_TRANSITIONS[old] and old is not LotStatus.FAILED:
            tender, lot = lot_in(old)
            tender.lot_transition(lot, new, at=T0, by="a")
            tags.setdefault(new, set()).add(tender.pull_events()[0].tag)
    assert all(len(found) == 1 for found in tags.values())
    assert len({next(iter(found)) for found in tags.values()}) == len(tags)


# ---- bids ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", BID_PAIRS, ids=pair_id)
def test_bid_transition_follows_the_table(pair):
    old, new = pair
    bid = a_bid(status=old)
    if new in BID_TRANSITIONS[old]:
        bid.transition_to(new, at=T0, by="bidder-1", reason="test")
        assert bid.status is new
        events = bid.pull_events()
        assert len(events) == 1
        assert events[0].tag in TAGS and events[0].target == bid.id
        assert (events[0].at, events[0].by) == (T0, "bidder-1")
    else:
        with pytest.raises(Conflict) as refused:
            bid.transition_to(new, at=T0, by="bidder-1")
        assert refused.value.code == "bid_transition"
        assert bid.status is old
        assert bid.pending_events == []


def test_a_withdrawal_stamps_the_withdrawal_time():
    bid = a_bid()
    bid.transition_to(BidStatus.WITHDRAWN, at=T0, by="bidder-1")
    assert bid.withdrawn_at == T0


def test_a_bid_moved_through_its_tender_leaves_the_event_with_the_tender():
    tender = a_tender()
    bid = a_bid()
    tender.bid_transition(bid, BidStatus.OPENED, at=T0, by="agent-1")
    assert [e.tag for e in tender.pull_events()] == ["bids:bid:opened"]
    assert bid.pending_events == []


# ---- random walks --------------------------------------------------------------------------


@given(st.lists(st.sampled_from(list(TenderStatus)), max_size=30))
def test_a_random_walk_of_tender_requests_stays_in_the_table(requests):
    tender, ok = tender_at(TenderStatus.DRAFT), 0
    for new in requests:
        old = tender.status
        try:
            tender.transition_to(new, at=T0, by="a")
        except Conflict:
            assert tender.status is old and new not in TENDER_TRANSITIONS[old]
        else:
            ok += 1
            assert new in TENDER_TRANSITIONS[old]
    assert tender.status in TENDER_TRANSITIONS
    assert len(tender.pull_events()) == ok


@given(st.lists(st.sampled_from(list(LotStatus)), max_size=40))
def test_a_random_walk_of_lot_requests_stays_in_the_table(requests):
    tender, ok = a_tender(), 0
    lot = tender.lots[0]
    for new in requests:
        old = lot.status
        try:
            tender.lot_transition(lot, new, at=T0, by="a")
        except Conflict:
            assert lot.status is old and new not in LOT_TRANSITIONS[old]
        else:
            ok += 1
            assert new in LOT_TRANSITIONS[old]
    events = tender.pull_events()
    assert len(events) == ok
    assert all(e.tag in TAGS for e in events)


@given(st.lists(st.sampled_from(list(BidStatus)), max_size=20))
def test_a_random_walk_of_bid_requests_stays_in_the_table(requests):
    bid, ok = a_bid(), 0
    for new in requests:
        old = bid.status
        try:
            bid.transition_to(new, at=T0, by="a")
        except Conflict:
            assert bid.status is old and new not in BID_TRANSITIONS[old]
        else:
            ok += 1
            assert new in BID_TRANSITIONS[old]
    assert len(bid.pull_events()) == ok


def test_a_new_lot_starts_as_a_draft():
    assert a_lot().status is LotStatus.DRAFT and a_tender().status is TenderStatus.DRAFT


def test_resuming_a_suspended_tender_is_recorded_as_a_resumption_not_a_publication():
    tender = tender_at(TenderStatus.SUSPENDED)
    tender.transition_to(TenderStatus.ACTIVE, at=T0, by="agent-1")
    assert [e.tag for e in tender.pull_events()] == ["procedure:tender:resumed"]

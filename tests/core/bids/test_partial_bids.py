"""A lot loaded with only some of its bids (ADR 0010): new bids still get the lot's next
number, and every operation that decides on all bids refuses such a list loudly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import DEADLINE, T0, a_bidder, a_form, a_published_tender, an_act, with_bids

from tenderhub.core.bids import opening, sealing, submission
from tenderhub.core.bids.model import PartialBidList, PartialList, total_of
from tenderhub.core.procedures import evaluating
from tenderhub.core.procedures.guards import all_bids
from tenderhub.core.procedures.states import LotStatus
from tenderhub.core.rules.catalogue import lookup
from tenderhub.core.shared.errors import RuleViolation


def partial(tender, keep: int):  # type: ignore[no-untyped-def]
    lot = tender.lot("lot-1")
    lot.bids = PartialList([b for b in lot.bids if b.bidder_id == f"bidder-{keep}"], stored=len(lot.bids))
    return lot


def test_a_partial_list_counts_every_bid_of_the_lot_and_the_ones_added() -> None:
    bids = PartialList([], stored=5)
    assert total_of(bids) == 5 and bids.total == 5
    bids.append(object())  # type: ignore[arg-type]
    assert bids.total == 6 and total_of([object()]) == 1  # type: ignore[list-item]


def test_a_new_bid_in_a_partial_lot_gets_the_next_number_of_the_whole_lot() -> None:
    tender = a_published_tender()
    with_bids(tender, 3)
    bidder = a_bidder(4)
    submission.register(tender, an_act(at=T0 + timedelta(days=1)), lot_id="lot-1", bidder=bidder)
    lot = partial(tender, keep=4)
    bid = submission.submit(tender, an_act(at=T0 + timedelta(days=2)), lot_id="lot-1", bidder=bidder, form=a_form(), documents=[])
    assert bid.id == "lot-1-b1-4" and lot.bids == [bid]


def test_the_one_bid_per_bidder_rule_sees_the_bidders_own_bids_in_a_partial_list() -> None:
    tender = a_published_tender()
    with_bids(tender, 3)
    partial(tender, keep=2)
    with pytest.raises(RuleViolation) as refused:
        submission.submit(tender, an_act(at=T0 + timedelta(days=2)), lot_id="lot-1", bidder=a_bidder(2), form=a_form(), documents=[])
    assert refused.value.rule is lookup("works", "one_bid_per_bidder")


def test_opening_a_partially_loaded_lot_is_a_programming_error_not_a_smaller_count() -> None:
    tender = a_published_tender()
    with_bids(tender, 3)
    lot = partial(tender, keep=1)
    status = lot.status
    with pytest.raises(PartialBidList):
        opening.open_bids(tender, an_act(at=DEADLINE), lot_id="lot-1")
    assert lot.status is status and len(lot.bids) == 1


def test_closing_the_decryption_and_the_evaluation_refuse_a_partial_list() -> None:
    tender = a_published_tender()
    with_bids(tender, 3)
    lot = partial(tender, keep=1)
    lot.status, lot.decryption_closes_at = LotStatus.OPENED, DEADLINE  # as after opening sealed bids
    with pytest.raises(PartialBidList):
        sealing.close_decryption(tender, an_act(at=DEADLINE + timedelta(hours=1)), lot_id="lot-1")
    assert lot.opening is None
    with pytest.raises(PartialBidList):
        evaluating.opened_bids(lot)


def test_a_whole_list_passes_the_guard_unchanged() -> None:
    tender = a_published_tender()
    bids = with_bids(tender, 3)
    assert all_bids(tender.lot("lot-1")) == bids

"""Opening at the deadline (法 34); fewer than three bids: no opening, the lot fails (法 28)."""

from __future__ import annotations

from tenderhub.core.bids.model import Bid, BidStatus, OpeningEntry, OpeningRecord
from tenderhub.core.procedures.guards import (
    all_bids,
    require_active,
    require_lot_status,
    rule_for,
    show,
)
from tenderhub.core.procedures.model import Tender
from tenderhub.core.procedures.publishing import fail_lot
from tenderhub.core.procedures.states import LotStatus
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.errors import RuleViolation


def open_bids(tender: Tender, act: Act, *, lot_id: str) -> OpeningRecord | None:
    """Open the lot's bids; returns the record, or None when the lot failed for too few bids."""
    require_active(tender)
    lot = tender.lot(lot_id)
    require_lot_status(lot, LotStatus.BIDDING)
    if act.at < lot.deadline:
        raise RuleViolation(rule_for(tender, "opening_at_deadline"), field="at", deadline=show(lot.deadline), now=show(act.at))
    bids = [b for b in all_bids(lot) if b.status is BidStatus.SUBMITTED]
    minimum = rule_for(tender, "min_bidders_to_open")
    if len(bids) < int(minimum.limit or 0):
        reason_zh, reason_en = minimum.format(count=len(bids))
        fail_lot(tender, lot, act, f"{reason_zh} / {reason_en}")
        return None
    for bid in bids:
        if bid.sealed is None:
            tender.bid_transition(bid, BidStatus.OPENED, at=act.at, by=act.by)
    if any(b.sealed is not None for b in bids):
        from tenderhub.core.bids.sealing import start_decryption

        start_decryption(tender, lot, act)
        tender.lot_transition(lot, LotStatus.OPENED, at=act.at, by=act.by, reason=f"{len(bids)} bids; online decryption open")
        return None
    lot.opening = OpeningRecord(act.at, act.by, [entry(b) for b in bids], len(bids), lot.base_price)
    tender.lot_transition(lot, LotStatus.OPENED, at=act.at, by=act.by, reason=f"{len(bids)} bids opened")
    return lot.opening


def entry(bid: Bid) -> OpeningEntry:
    form = bid.price_form
    assert form is not None, "only opened (decrypted) bids are read out"
    return OpeningEntry(bid.id, bid.name, bid.uscc, form.price, form.period_days, form.quality,
                        form.security_amount, form.security_form.value, bid.submitted_at)

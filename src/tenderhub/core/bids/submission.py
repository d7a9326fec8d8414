"""Registering for a lot, submitting, modifying and withdrawing bids before the deadline."""

from __future__ import annotations

from dataclasses import dataclass

from tenderhub.core.bids.model import (
    Bid,
    BidStatus,
    DocumentRef,
    PriceForm,
    Registration,
    SecurityForm,
    total_of,
)
from tenderhub.core.procedures.guards import require_active, require_lot_status, rule_for, show
from tenderhub.core.procedures.model import Lot, Tender
from tenderhub.core.procedures.states import LotStatus, Method, Regime, Sealing
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.days import period_end
from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid, NotFound, RuleViolation


@dataclass
class BidderInfo:
    bidder_id: str
    uscc: str
    name: str
    legal_representative: str = ""


def register(tender: Tender, act: Act, *, lot_id: str, bidder: BidderInfo) -> Registration:
    require_active(tender)
    lot = tender.lot(lot_id)
    require_lot_status(lot, LotStatus.BIDDING)
    before_deadline(tender, lot, act, "late_bid_refused")
    if tender.method is Method.INVITED and bidder.uscc not in tender.invitees:
        raise RuleViolation(rule_for(tender, "invited_only"), field="bidder", bidder=bidder.name)
    if any(r.bidder_id == bidder.bidder_id for r in lot.registrations):
        raise Conflict(f"{bidder.name} is already registered for lot {lot.code}", message_zh=f"{bidder.name} 已报名本标段", field="bidder", code="already_registered")
    reg = Registration(f"{lot.id}-r{lot.round}-{total_of(lot.registrations) + 1}", bidder.bidder_id, bidder.uscc, bidder.name, act.at, bidder.legal_representative)
    lot.registrations.append(reg)
    tender.record("bids:registration:created", lot.id, act.at, act.by, registration=reg.id)
    return reg


def before_deadline(tender: Tender, lot: Lot, act: Act, key: str) -> None:
    """The deadline is enforced on the server clock to the instant (法 28, 电子办法 26)."""
    if act.at >= lot.deadline:
        raise RuleViolation(rule_for(tender, key), field="at", deadline=show(lot.deadline))


def registration_of(lot: Lot, tender: Tender, bidder: BidderInfo) -> Registration:
    for reg in lot.registrations:
        if reg.bidder_id == bidder.bidder_id:
            return reg
    raise RuleViolation(rule_for(tender, "bidder_registered"), field="bidder", bidder=bidder.name)


def check_price_form(tender: Tender, lot: Lot, form: PriceForm) -> None:
    if form.price <= 0:
        raise Invalid("the bid price must be positive", message_zh="投标报价必须大于零", field="price_form.price")
    if form.period_days <= 0:
        raise Invalid("the period must be a positive number of days", message_zh="工期（交货期）必须为正整数天", field="price_form.period_days")
    if tender.regime is Regime.GP and form.security_form is SecurityForm.CASH and form.security_amount > 0:
        raise RuleViolation(rule_for(tender, "bid_security_form"), field="price_form.security_form", form=form.security_form.value)
    if form.security_amount < lot.bid_security:
        raise Invalid(
            f"the bid security {form.security_amount} is below the {lot.bid_security} the documents require",
            message_zh=f"投标保证金 {form.security_amount} 元低于招标文件要求的 {lot.bid_security} 元",
            field="price_form.security_amount",
        )


def submit(tender: Tender, act: Act, *, lot_id: str, bidder: BidderInfo, form: PriceForm, documents: list[DocumentRef]) -> Bid:
    require_active(tender)
    if tender.sealing is Sealing.ENVELOPE:
        raise RuleViolation(rule_for(tender, "unsealed_bid_refused"), field="price_form")
    lot = tender.lot(lot_id)
    require_lot_status(lot, LotStatus.BIDDING)
    before_deadline(tender, lot, act, "late_bid_refused")
    registration_of(lot, tender, bidder)
    if any(b.bidder_id == bidder.bidder_id and b.status is BidStatus.SUBMITTED for b in lot.bids):
        raise RuleViolation(rule_for(tender, "one_bid_per_bidder"), field="bidder")
    check_price_form(tender, lot, form)
    bid = Bid(next_bid_id(lot), lot.id, bidder.bidder_id, bidder.uscc, bidder.name, act.at, form, documents)
    lot.bids.append(bid)
    tender.record("bids:bid:submitted", bid.id, act.at, act.by, lot=lot.id)
    return bid


def next_bid_id(lot: Lot) -> str:
    """The lot's next bid number, counting every bid of the round even when only some are loaded."""
    return f"{lot.id}-b{lot.round}-{total_of(lot.bids) + 1}"


def find_bid(tender: Tender, bid_id: str) -> tuple[Lot, Bid]:
    for lot in tender.lots:
        for bid in lot.bids:
            if bid.id == bid_id:
                return lot, bid
    raise NotFound(f"no bid {bid_id!r}", message_zh=f"没有投标 {bid_id}", field="bid_id")


def own_bid(tender: Tender, bid_id: str, bidder_id: str) -> tuple[Lot, Bid]:
    lot, bid = find_bid(tender, bid_id)
    if bid.bidder_id != bidder_id:
        raise Forbidden("only the bidder may change its bid", message_zh="只有投标人本人可以修改或撤回投标", field="bid_id")
    return lot, bid


def modify(tender: Tender, act: Act, *, bid_id: str, bidder_id: str, form: PriceForm, documents: list[DocumentRef]) -> Bid:
    require_active(tender)
    lot, bid = own_bid(tender, bid_id, bidder_id)
    require_lot_status(lot, LotStatus.BIDDING)
    before_deadline(tender, lot, act, "withdraw_before_deadline")
    if bid.status is not BidStatus.SUBMITTED:
        raise Conflict(f"bid {bid_id} is {bid.status.value}", message_zh="该投标已撤回，不能修改", field="bid_id", code="bid_status")
    if bid.sealed is not None:
        raise RuleViolation(rule_for(tender, "unsealed_bid_refused"), field="price_form")
    check_price_form(tender, lot, form)
    bid.price_form, bid.documents, bid.version, bid.modified_at = form, documents, bid.version + 1, act.at
    tender.record("bids:bid:modified", bid.id, act.at, act.by, version=bid.version)
    return bid


def withdraw(tender: Tender, act: Act, *, bid_id: str, bidder_id: str) -> Bid:
    lot, bid = own_bid(tender, bid_id, bidder_id)
    before_deadline(tender, lot, act, "withdraw_before_deadline")
    tender.bid_transition(bid, BidStatus.WITHDRAWN, at=act.at, by=act.by, reason=act.reason)
    paid = bid.price_form is None or bid.price_form.security_amount > 0  # sealed: assume paid
    if tender.regime is Regime.WORKS and paid:
        rule = rule_for(tender, "withdrawn_security_refund_days")
        bid.security_refund_due = period_end(act.calendar, act.at, int(rule.limit or 0)).at
    return bid

"""Sealed bids: submission of ciphertext, online decryption at the opening, the opening record.

The platform holds only ciphertext until each bidder releases its key at the opening
(电子招标投标办法 第25–27、30–31条). Cryptography happens outside the core; the core records
what the platform verified and enforces when each step may happen.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tenderhub.core.bids.model import (
    Bid,
    BidStatus,
    Decryption,
    OpeningRecord,
    OpeningSignature,
    PriceForm,
    SealedPackage,
)
from tenderhub.core.bids.opening import entry
from tenderhub.core.bids.submission import (
    BidderInfo,
    before_deadline,
    find_bid,
    next_bid_id,
    registration_of,
)
from tenderhub.core.procedures.guards import (
    all_bids,
    require_active,
    require_lot_status,
    rule_for,
    show,
)
from tenderhub.core.procedures.model import Lot, Tender
from tenderhub.core.procedures.states import LotStatus
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.errors import Conflict, Forbidden, RuleViolation


def may_submit_sealed(tender: Tender, act: Act, *, lot_id: str, bidder: BidderInfo) -> Lot:
    """Whether ``bidder`` may upload a sealed bid to the lot now (checked again at the end)."""
    require_active(tender)
    lot = tender.lot(lot_id)
    require_lot_status(lot, LotStatus.BIDDING)
    before_deadline(tender, lot, act, "sealed_upload_before_deadline")
    registration_of(lot, tender, bidder)
    return lot


def submit_sealed(tender: Tender, act: Act, *, lot_id: str, bidder: BidderInfo, package: SealedPackage) -> Bid:
    """Accept a sealed bid (or a new package replacing the bidder's earlier one, 法 第29条; the
    earlier one is kept in ``replaced``, with the bid version it made, for its receipt)."""
    lot = may_submit_sealed(tender, act, lot_id=lot_id, bidder=bidder)
    current = next((b for b in lot.bids if b.bidder_id == bidder.bidder_id and b.status is BidStatus.SUBMITTED), None)
    if current is not None:
        if current.sealed is not None:  # kept with its receipt: a late retry of its finish gets that receipt
            current.replaced.append(replace(current.sealed, bid_version=current.sealed.bid_version or current.version))
        current.version, current.modified_at = current.version + 1, act.at
        current.sealed = replace(package, bid_version=current.version)
        tender.record("bids:bid:modified", current.id, act.at, act.by, sealed=package.digest, version=current.version)
        return current
    bid = Bid(next_bid_id(lot), lot.id, bidder.bidder_id, bidder.uscc, bidder.name, act.at, None, [], replace(package, bid_version=1))
    lot.bids.append(bid)
    tender.record("bids:bid:submitted", bid.id, act.at, act.by, lot=lot.id, sealed=package.digest, receipt=package.receipt_id)
    return bid


def start_decryption(tender: Tender, lot: Lot, act: Act) -> None:
    """At the opening: the decryption window opens for every sealed bid (电子办法 第30条)."""
    lot.decryption_closes_at = act.at + timedelta(minutes=lot.decryption_window_minutes)


def decrypting(tender: Tender, act: Act, lot_id: str, bid_id: str) -> tuple[Lot, Bid, SealedPackage]:
    require_active(tender)
    lot = tender.lot(lot_id)
    require_lot_status(lot, LotStatus.OPENED)
    if lot.decryption_closes_at is None or lot.opening is not None:
        raise Conflict("the decryption window is not open", message_zh="当前不在解密时限内", field="lot", code="decryption_closed")
    found_lot, bid = find_bid(tender, bid_id)
    if found_lot.id != lot.id or bid.sealed is None or bid.sealed.decryption is not Decryption.PENDING:
        raise Conflict(f"bid {bid_id} is not awaiting decryption", message_zh=f"投标 {bid_id} 不处于待解密状态", field="bid_id", code="not_pending")
    if act.at >= lot.decryption_closes_at:
        raise RuleViolation(rule_for(tender, "decryption_window"), field="at", closes=show(lot.decryption_closes_at))
    return lot, bid, bid.sealed


def record_decryption(tender: Tender, act: Act, *, lot_id: str, bid_id: str, form: PriceForm, manifest_digest: str) -> Bid:
    """The platform decrypted the package and verified it against the manifest and receipt."""
    _, bid, sealed = decrypting(tender, act, lot_id, bid_id)
    sealed.decryption, sealed.decrypted_at, sealed.manifest_digest = Decryption.DECRYPTED, act.at, manifest_digest
    bid.price_form = form
    tender.bid_transition(bid, BidStatus.OPENED, at=act.at, by=act.by, reason="decrypted online")
    return bid


def record_failure(tender: Tender, act: Act, *, lot_id: str, bid_id: str, by_bidder: bool, detail: str) -> Bid:
    """Decryption failed: revoked if the bidder is at fault, withdrawn otherwise (第31条)."""
    _, bid, sealed = decrypting(tender, act, lot_id, bid_id)
    fail(tender, act, bid, sealed, by_bidder, detail)
    return bid


def fail(tender: Tender, act: Act, bid: Bid, sealed: SealedPackage, by_bidder: bool, detail: str) -> None:
    sealed.decryption = Decryption.FAILED_BY_BIDDER if by_bidder else Decryption.FAILED_BY_OTHERS
    sealed.failure = detail
    zh, en = rule_for(tender, "decryption_failure").format(bidder=bid.name, detail=detail)
    tender.bid_transition(bid, BidStatus.REVOKED if by_bidder else BidStatus.WITHDRAWN, at=act.at, by=act.by, reason=f"{zh} / {en}")


def close_decryption(tender: Tender, act: Act, *, lot_id: str) -> OpeningRecord:
    """Close the window (at its end, or earlier once every bid is decided) and read out the record."""
    require_active(tender)
    lot = tender.lot(lot_id)
    require_lot_status(lot, LotStatus.OPENED)
    if lot.decryption_closes_at is None or lot.opening is not None:
        raise Conflict("the decryption window is not open", message_zh="当前不在解密时限内", field="lot", code="decryption_closed")
    bids = all_bids(lot)
    pending = [b for b in bids if b.sealed is not None and b.sealed.decryption is Decryption.PENDING and b.status is BidStatus.SUBMITTED]
    if pending and act.at < lot.decryption_closes_at:
        raise RuleViolation(rule_for(tender, "decryption_window"), field="at", closes=show(lot.decryption_closes_at))
    for bid in pending:
        assert bid.sealed is not None
        fail(tender, act, bid, bid.sealed, True, "未在解密时限内解密 / not decrypted within the window")
    opened = [b for b in bids if b.status is BidStatus.OPENED]
    revoked = [b.id for b in bids if b.sealed is not None and b.sealed.decryption in (Decryption.FAILED_BY_BIDDER, Decryption.FAILED_BY_OTHERS)]
    lot.opening = OpeningRecord(act.at, act.by, [entry(b) for b in opened], len(opened), lot.base_price, revoked=revoked)
    tender.record("bids:opening:recorded", lot.id, act.at, act.by, bids=len(opened), revoked=len(revoked))
    return lot.opening


def sign_opening_record(tender: Tender, act: Act, *, lot_id: str, bidder_id: str, signature: str = "") -> OpeningSignature:
    """A bidder confirms the opening record (条例 第44条)."""
    lot = tender.lot(lot_id)
    if lot.opening is None:
        raise Conflict("there is no opening record yet", message_zh="开标记录尚未生成", field="lot", code="no_opening_record")
    if not any(b.bidder_id == bidder_id for b in lot.bids):
        raise Forbidden("only a bidder of this lot signs its opening record", message_zh="只有本标段投标人可以确认开标记录", field="lot")
    if any(s.bidder_id == bidder_id for s in lot.opening.signatures):
        raise Conflict("already signed", message_zh="已确认开标记录", field="lot", code="already_signed")
    signed = OpeningSignature(bidder_id, act.at, signature)
    lot.opening.signatures.append(signed)
    tender.record("bids:opening:signed", lot.id, act.at, act.by)
    return signed

"""Creating, publishing, clarifying, cancelling and re-tendering a tender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from tenderhub.core.bids.model import BidStatus
from tenderhub.core.evaluation.methods import validate_config
from tenderhub.core.procedures.guards import (
    check_bid_period,
    require_active,
    require_lot_status,
    rule_for,
    show,
)
from tenderhub.core.procedures.model import Clarification, Document, Lot, Round, Tender
from tenderhub.core.procedures.states import (
    LOT_TRANSITIONS,
    TENDER_TRANSITIONS,
    Category,
    LotStatus,
    Method,
    Regime,
    TenderStatus,
)
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.days import earliest_day, local_date
from tenderhub.core.shared.errors import Invalid, RuleViolation
from tenderhub.core.shared.lifecycle import check_transition
from tenderhub.core.shared.money import percent_of


def validate_new_tender(tender: Tender) -> None:
    """Checks that need no clock: lots, money limits, invitees (条例 26, 法 17)."""
    if not tender.title.strip():
        raise Invalid("the tender needs a title", message_zh="招标项目名称不能为空", field="title")
    if not tender.lots:
        raise Invalid("a tender needs at least one lot", message_zh="招标项目至少包含一个标段", field="lots")
    codes = [lot.code for lot in tender.lots]
    if len(set(codes)) != len(codes):
        raise Invalid("lot codes must be unique", message_zh="标段编号不能重复", field="lots")
    for index, lot in enumerate(tender.lots):
        check_lot_money(tender, lot, f"lots[{index}]")
        if lot.evaluation_method is not None:
            validate_config(lot.evaluation_method, tender.regime.value)
    if tender.method is Method.INVITED:
        rule = rule_for(tender, "min_invitees")
        if len(set(tender.invitees)) < int(rule.limit or 0):
            raise RuleViolation(rule, field="invitees", count=len(set(tender.invitees)))


def check_lot_money(tender: Tender, lot: Lot, where: str) -> None:
    if lot.estimated_price <= 0:
        raise Invalid("the estimated price must be positive", message_zh="估算价（预算）必须大于零", field=f"{where}.estimated_price")
    rule = rule_for(tender, "bid_security_max_percent")
    ceiling = percent_of(lot.estimated_price, Decimal(str(rule.limit)))
    if lot.bid_security > ceiling:
        raise RuleViolation(rule, field=f"{where}.bid_security", base=lot.estimated_price, max=ceiling, amount=lot.bid_security)
    check_security_cap(tender, lot, where)
    perf = rule_for(tender, "performance_security_max_percent")
    if lot.performance_security_percent > Decimal(str(perf.limit)):
        raise RuleViolation(perf, field=f"{where}.performance_security_percent", base="-", max=f"{perf.limit}%", amount=f"{lot.performance_security_percent}%")
    if lot.bid_validity_days <= 0:
        raise RuleViolation(rule_for(tender, "bid_validity_stated"), field=f"{where}.bid_validity_days", days=lot.bid_validity_days)
    if lot.base_price is not None and lot.max_price is not None and lot.base_price > lot.max_price:
        raise Invalid("the base price may not exceed the maximum bid price", message_zh="标底不得高于最高投标限价", field=f"{where}.base_price")
    if lot.max_price is not None and lot.max_price <= 0:
        raise Invalid("the maximum bid price must be positive", message_zh="最高投标限价必须大于零", field=f"{where}.max_price")


def check_security_cap(tender: Tender, lot: Lot, where: str) -> None:
    if tender.regime is not Regime.WORKS:
        return
    key = "bid_security_cap_survey" if lot.category is Category.SURVEY_DESIGN else "bid_security_cap"
    if lot.category is Category.SERVICES:
        return
    rule = rule_for(tender, key)
    if lot.bid_security > Decimal(str(rule.limit)):
        raise RuleViolation(rule, field=f"{where}.bid_security", amount=lot.bid_security)


def publish(tender: Tender, act: Act, *, doc_sale_end: date, documents: list[Document]) -> None:
    """Publish the notice and issue the documents (法 24, 条例 16 / GP条例 31)."""
    validate_new_tender(tender)
    check_sale_period(tender, act, doc_sale_end)
    provisional = [check_bid_period(tender, act.at, lot.deadline, act.calendar, f"lots[{i}].deadline") for i, lot in enumerate(tender.lots)]
    tender.transition_to(TenderStatus.ACTIVE, at=act.at, by=act.by, reason=act.reason)
    for lot, flag in zip(tender.lots, provisional, strict=True):
        lot.deadline_provisional = flag
    tender.published_at, tender.doc_sale_end = act.at, doc_sale_end
    for doc in documents:
        tender.documents.append(doc)
        tender.record("procedure:document:issued", tender.id, act.at, act.by, digest=doc.digest, title=doc.title)
    for lot in tender.lots:
        tender.lot_transition(lot, LotStatus.BIDDING, at=act.at, by=act.by, reason="published")


def check_sale_period(tender: Tender, act: Act, doc_sale_end: date) -> None:
    rule = rule_for(tender, "doc_sale_period_min")
    from tenderhub.core.rules.model import Unit

    earliest, _ = earliest_day(act.calendar, act.at, int(rule.limit or 0), working=rule.unit is Unit.WORKING_DAYS)
    if doc_sale_end < earliest:
        raise RuleViolation(rule, field="doc_sale_end", start=local_date(act.at), end=doc_sale_end)


@dataclass
class ClarifyCommand:
    text: str
    lot_ids: list[str]
    new_deadline: datetime | None = None
    document: Document | None = None


def clarify(tender: Tender, act: Act, cmd: ClarifyCommand) -> Clarification:
    """Clarify or amend: ≥15 days before the deadline, or move the deadline (法 23, 条例 21)."""
    require_active(tender)
    lots = [tender.lot(i) for i in cmd.lot_ids] if cmd.lot_ids else tender.lots
    rule = rule_for(tender, "clarification_notice_min")
    earliest, _ = earliest_day(act.calendar, act.at, int(rule.limit or 0))
    for lot in lots:
        require_lot_status(lot, LotStatus.BIDDING)
        if act.at >= lot.deadline:
            # the deadline has passed: it can no longer be moved, the bids are due for opening (法 28, 34)
            raise RuleViolation(rule, field="at", earliest=earliest)
        deadline = cmd.new_deadline or lot.deadline
        if local_date(deadline) < earliest:
            raise RuleViolation(rule, field="new_deadline" if cmd.new_deadline else "at", earliest=earliest)
    if cmd.new_deadline is not None:
        for lot in lots:
            move_deadline(tender, lot, cmd.new_deadline, act)
    entry = Clarification(f"{tender.id}-c{len(tender.clarifications) + 1}", act.at, cmd.text, [lot.id for lot in lots], cmd.new_deadline)
    tender.clarifications.append(entry)
    if cmd.document is not None:
        tender.documents.append(cmd.document)
        tender.record("procedure:document:issued", tender.id, act.at, act.by, digest=cmd.document.digest, version=cmd.document.version)
    tender.record("procedure:clarification:issued", tender.id, act.at, act.by, text=cmd.text)
    return entry


def move_deadline(tender: Tender, lot: Lot, new: datetime, act: Act) -> None:
    from tenderhub.core.procedures.guards import check_deadline_day

    if new <= lot.deadline:
        raise Invalid(
            f"a clarification can only move the deadline later than {show(lot.deadline)}",
            message_zh=f"澄清只能将投标截止时间顺延至 {show(lot.deadline)} 之后",
            field="new_deadline",
        )
    provisional = check_deadline_day(tender, new, act.calendar, "new_deadline")
    old, lot.deadline, lot.deadline_provisional = lot.deadline, new, provisional
    tender.record("procedure:deadline:moved", lot.id, act.at, act.by, act.reason, old=old.isoformat(), new=new.isoformat())


def cancel(tender: Tender, act: Act, *, lot_id: str | None = None) -> None:
    """Cancel a tender or one lot; the reason is published (条例 31)."""
    if not act.reason.strip():
        raise RuleViolation(rule_for(tender, "cancel_needs_reason"), field="reason")
    lots = [tender.lot(lot_id)] if lot_id else tender.lots
    lots = [lot for lot in lots if lot.status not in (LotStatus.CANCELLED, LotStatus.ARCHIVED, LotStatus.CONTRACTED, LotStatus.COMPLETE)]
    # check every transition before making any, so a refusal leaves the tender untouched
    for lot in lots:
        check_transition(LOT_TRANSITIONS, lot.status, LotStatus.CANCELLED, what="lot")
    if lot_id is None:
        check_transition(TENDER_TRANSITIONS, tender.status, TenderStatus.CANCELLED, what="tender")
    for lot in lots:
        tender.lot_transition(lot, LotStatus.CANCELLED, at=act.at, by=act.by, reason=act.reason)
    if lot_id is None:
        tender.cancel_reason = act.reason
        tender.transition_to(TenderStatus.CANCELLED, at=act.at, by=act.by, reason=act.reason)


def retender(tender: Tender, act: Act, *, lot_id: str, deadline: datetime) -> None:
    """Re-tender a failed lot: a new round with a new deadline (法 28/42, GP法 36)."""
    require_active(tender)
    lot = tender.lot(lot_id)
    if lot.status is not LotStatus.FAILED:
        raise RuleViolation(rule_for(tender, "retender_after_failure"), field="lot_id", status=lot.status.value)
    provisional = check_bid_period(tender, act.at, deadline, act.calendar, "deadline")
    for bid in lot.bids:
        tender.bid_transition(bid, BidStatus.ARCHIVED, at=act.at, by=act.by, reason="re-tender: earlier round")
    lot.history.append(Round(lot.round, lot.deadline, lot.failed_at, lot.failure_reason, lot.bids))
    lot.round += 1
    lot.bids, lot.registrations, lot.opening, lot.evaluation = [], [], None, None
    lot.deadline, lot.deadline_provisional, lot.failure_reason, lot.failed_at = deadline, provisional, "", None
    tender.lot_transition(lot, LotStatus.BIDDING, at=act.at, by=act.by, reason=act.reason or "re-tender")


def archive(tender: Tender, act: Act, *, lot_id: str) -> None:
    """File a finished lot in the electronic archive (complete, failed or cancelled)."""
    lot = tender.lot(lot_id)
    tender.lot_transition(lot, LotStatus.ARCHIVED, at=act.at, by=act.by, reason=act.reason or "archived")


def fail_lot(tender: Tender, lot: Lot, act: Act, reason: str) -> None:
    lot.failure_reason, lot.failed_at = reason, act.at
    tender.lot_transition(lot, LotStatus.FAILED, at=act.at, by=act.by, reason=reason)

"""Candidate publicity and result announcement (条例 54; GP条例 43, 87号令 69), and the award notice."""

from __future__ import annotations

from tenderhub.core.awards.model import AwardNotice, Publicity, PublicizedCandidate
from tenderhub.core.procedures.guards import require_active, require_lot_status, rule_for, show
from tenderhub.core.procedures.model import Lot, Tender
from tenderhub.core.procedures.objections import pending_suspending
from tenderhub.core.procedures.states import LotStatus, Regime
from tenderhub.core.rules.model import Unit
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.days import earliest_day, period_end
from tenderhub.core.shared.errors import Conflict, Invalid, RuleViolation


def publicize(tender: Tender, act: Act, *, lot_id: str, days: int | None = None) -> Publicity:
    """Start the publicity within the legal time after the report, for at least the legal period."""
    require_active(tender)
    lot = tender.lot(lot_id)
    require_lot_status(lot, LotStatus.EVALUATED)
    assert lot.report_at is not None
    start_rule = rule_for(tender, "publicity_start_within")
    working = start_rule.unit is Unit.WORKING_DAYS
    latest = period_end(act.calendar, lot.report_at, int(start_rule.limit or 0), working=working)
    if act.at >= latest.at:
        raise RuleViolation(start_rule, field="at", latest=latest.last_day)
    period_rule = rule_for(tender, "publicity_min_duration")
    minimum = int(period_rule.limit or 0)
    days = minimum if days is None else days
    period_working = period_rule.unit is Unit.WORKING_DAYS
    if days < minimum:
        earliest, _ = earliest_day(act.calendar, act.at, minimum, working=period_working)
        raise RuleViolation(period_rule, field="days", earliest=earliest)
    end = period_end(act.calendar, act.at, days, working=period_working)
    lot.publicity = Publicity(act.at, end.at, days, end.provisional)
    tender.lot_transition(lot, LotStatus.PUBLICITY, at=act.at, by=act.by, reason=f"until {show(end.at)}")
    tender.record("awards:publicity:started", lot.id, act.at, act.by, end=end.at.isoformat())
    return lot.publicity


def choose(tender: Tender, lot: Lot, bidder_id: str | None, reason: str) -> PublicizedCandidate:
    """The winner: the first-ranked candidate, or a later one with a reason (条例 55)."""
    if not lot.candidates:
        raise Conflict("the lot has no candidates", message_zh="该标段没有中标候选人", field="bidder_id", code="no_candidates")
    ranked = sorted(lot.candidates, key=lambda c: c.rank)
    if bidder_id is None:
        return ranked[0]
    chosen = next((c for c in ranked if c.bidder_id == bidder_id), None)
    if chosen is None:
        raise Invalid(f"{bidder_id} is not a candidate", message_zh=f"{bidder_id} 不是中标候选人", field="bidder_id")
    if chosen.rank > 1 and not reason.strip():
        raise RuleViolation(rule_for(tender, "award_in_rank_order"), field="reason", rank=chosen.rank)
    return chosen


def award(tender: Tender, act: Act, *, lot_id: str, bidder_id: str | None = None) -> AwardNotice:
    require_active(tender)
    lot = tender.lot(lot_id)
    require_lot_status(lot, LotStatus.PUBLICITY, LotStatus.AWARDED)
    assert lot.publicity is not None
    rule = rule_for(tender, "award_after_publicity")
    if tender.regime is Regime.WORKS and (act.at < lot.publicity.end or pending_suspending(tender)):
        raise RuleViolation(rule, field="at", end=show(lot.publicity.end))
    # 条例 第55条: the next candidates are named in order, so whoever ranks at or above the
    # current winner (that winner and anyone who declined before) cannot be named again
    excluded = {c.bidder_id for c in lot.candidates if c.rank <= lot.award.rank} if lot.award else set()
    chosen = choose(tender, lot, bidder_id, act.reason)
    if chosen.bidder_id in excluded:
        raise Invalid("that candidate has already declined", message_zh="该候选人已放弃中标", field="bidder_id")
    contract_rule = rule_for(tender, "contract_within")
    due = period_end(act.calendar, act.at, int(contract_rule.limit or 0))
    lot.award = AwardNotice(act.at, chosen.bidder_id, chosen.bid_id, chosen.name, chosen.uscc, chosen.price, chosen.rank, due.at, due.provisional, act.reason if chosen.rank > 1 else "")
    if tender.regime is Regime.WORKS:
        report = period_end(act.calendar, act.at, int(rule_for(tender, "tender_report_within").limit or 0))
        lot.award.report_due = report.at
    tender.lot_transition(lot, LotStatus.AWARDED, at=act.at, by=act.by, reason=f"winner {chosen.name}")
    tender.record("awards:notice:issued", lot.id, act.at, act.by, bidder=chosen.bidder_id, amount=str(chosen.price))
    return lot.award


"""Recompute provisional deadlines once the State Council notice for their year is loaded."""

from __future__ import annotations

from datetime import timedelta

from tenderhub.core.procedures.guards import rule_for
from tenderhub.core.procedures.model import Lot, ObjectionStatus, Tender
from tenderhub.core.procedures.states import LotStatus
from tenderhub.core.rules.model import Unit
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.days import local_date, next_working_day, period_end


def recompute(tender: Tender, act: Act) -> int:
    """Recompute every provisional deadline of the tender; returns how many changed."""
    changed = sum(recompute_lot(tender, lot, act) for lot in tender.lots)
    for objection in tender.objections:
        if objection.status is ObjectionStatus.OPEN and objection.answer_due_provisional:
            rule = rule_for(tender, "objection_answer_days")
            due = period_end(act.calendar, objection.raised_at, int(rule.limit or 0), working=rule.unit is Unit.WORKING_DAYS)
            changed += note(tender, act, objection.id, objection.answer_due.isoformat(), due.last_day.isoformat())
            objection.answer_due, objection.answer_due_provisional = due.last_day, due.provisional
    return changed


def recompute_lot(tender: Tender, lot: Lot, act: Act) -> int:
    changed = 0
    if lot.status is LotStatus.BIDDING and lot.deadline_provisional:
        day, provisional = next_working_day(act.calendar, local_date(lot.deadline))
        new = lot.deadline + timedelta(days=(day - local_date(lot.deadline)).days)
        changed += note(tender, act, lot.id, lot.deadline.isoformat(), new.isoformat())
        lot.deadline, lot.deadline_provisional = new, provisional
    if lot.status is LotStatus.PUBLICITY and lot.publicity is not None and lot.publicity.end_provisional:
        rule = rule_for(tender, "publicity_min_duration")
        days = lot.publicity.days + lot.publicity.extended_by_days
        end = period_end(act.calendar, lot.publicity.start, days, working=rule.unit is Unit.WORKING_DAYS)
        changed += note(tender, act, lot.id, lot.publicity.end.isoformat(), end.at.isoformat())
        lot.publicity.end, lot.publicity.end_provisional = end.at, end.provisional
    if lot.status is LotStatus.AWARDED and lot.award is not None and lot.award.contract_due_provisional:
        due = period_end(act.calendar, lot.award.at, int(rule_for(tender, "contract_within").limit or 0))
        changed += note(tender, act, lot.id, lot.award.contract_due.isoformat(), due.at.isoformat())
        lot.award.contract_due, lot.award.contract_due_provisional = due.at, due.provisional
    return changed


def note(tender: Tender, act: Act, target: str, old: str, new: str) -> int:
    if old == new:
        return 0
    tender.record("procedure:deadline:recomputed", target, act.at, act.by, act.reason, old=old, new=new)
    return 1



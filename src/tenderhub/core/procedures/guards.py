"""Shared guards of the tender actions: rule lookup, active-tender and deadline checks."""

from __future__ import annotations

from datetime import date, datetime

from tenderhub.core.bids.model import Bid, PartialBidList, PartialList
from tenderhub.core.procedures.model import Lot, Tender
from tenderhub.core.procedures.states import LotStatus, TenderStatus
from tenderhub.core.rules.catalogue import lookup
from tenderhub.core.rules.model import Rule
from tenderhub.core.shared.clock import beijing
from tenderhub.core.shared.days import WorkdayCalendar, earliest_day, local_date, next_working_day
from tenderhub.core.shared.errors import Conflict, RuleViolation


def rule_for(tender: Tender, key: str) -> Rule:
    return lookup(tender.regime.value, key)


def show(at: datetime | date) -> str:
    """A time as people read it: Beijing time, minutes."""
    if isinstance(at, datetime):
        return beijing(at).strftime("%Y-%m-%d %H:%M")
    return at.isoformat()


def require_active(tender: Tender) -> None:
    """Actions on a tender need it published and not suspended (a suspended step's clock stops)."""
    if tender.status is not TenderStatus.ACTIVE:
        raise Conflict(
            f"tender {tender.code} is {tender.status.value}: the action is not possible now",
            message_zh=f"招标项目 {tender.code} 当前状态为 {tender.status.value}，不能进行此操作",
            field="status",
            code="tender_not_active",
        )


def require_lot_status(lot: Lot, *allowed: LotStatus) -> None:
    if lot.status not in allowed:
        names = ", ".join(s.value for s in allowed)
        raise Conflict(
            f"lot {lot.code} is {lot.status.value}; this needs {names}",
            message_zh=f"标段 {lot.code} 当前状态为 {lot.status.value}，此操作需要状态 {names}",
            field="status",
            code="lot_status",
        )


def all_bids(lot: Lot) -> list[Bid]:
    """Every bid of the lot; a partial load (ADR 0010) here is a programming error, never a
    smaller count: opening, closing decryption and evaluation decide on all bids."""
    if isinstance(lot.bids, PartialList):
        raise PartialBidList(f"lot {lot.code} was loaded with only some of its bids; this operation needs all of them")
    return lot.bids


def check_deadline_day(tender: Tender, deadline: datetime, calendar: WorkdayCalendar, field: str) -> bool:
    """A bid deadline must fall on a working day (民法典 第203条); returns provisional."""
    day = local_date(deadline)
    next_day, provisional = next_working_day(calendar, day)
    if next_day != day:
        raise RuleViolation(rule_for(tender, "deadline_working_day"), field=field, day=day, next_day=next_day)
    return provisional


def check_bid_period(tender: Tender, issued: datetime, deadline: datetime, calendar: WorkdayCalendar, field: str) -> bool:
    """At least 20 days from issuing the documents to the deadline (法 24 / GP法 35)."""
    rule = rule_for(tender, "bid_period_min")
    earliest, provisional = earliest_day(calendar, issued, int(rule.limit or 0))
    if local_date(deadline) < earliest:
        raise RuleViolation(rule, field=field, earliest=earliest)
    return check_deadline_day(tender, deadline, calendar, field) or provisional

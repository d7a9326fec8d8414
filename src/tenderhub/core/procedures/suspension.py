"""Suspension and resumption: a suspended step's clock stops and restarts on resumption."""

from __future__ import annotations

from datetime import timedelta

from tenderhub.core.procedures.model import Lot, Suspension, Tender
from tenderhub.core.procedures.states import LotStatus, TenderStatus
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.days import Deadline, local_date, next_working_day
from tenderhub.core.shared.errors import Invalid

DAY = timedelta(days=1)


def suspend(tender: Tender, act: Act, *, objection_id: str | None = None) -> Suspension:
    if not act.reason.strip():
        raise Invalid("a suspension needs a reason", message_zh="暂停须说明理由", field="reason")
    tender.transition_to(TenderStatus.SUSPENDED, at=act.at, by=act.by, reason=act.reason)
    entry = Suspension(act.at, act.by, act.reason, objection_id=objection_id)
    tender.suspensions.append(entry)
    return entry


def resume(tender: Tender, act: Act) -> int:
    """Resume and push every running clock later by the whole days it stood still."""
    current = tender.suspensions[-1] if tender.suspensions else None
    tender.transition_to(TenderStatus.ACTIVE, at=act.at, by=act.by, reason=act.reason or "resumed")
    if current is None:
        return 0
    current.resumed_at = act.at
    stopped = act.at - current.at
    days = -(-stopped // DAY) if stopped > timedelta(0) else 0
    for lot in tender.lots:
        shift_clocks(tender, lot, days, act)
    return days


def shift_clocks(tender: Tender, lot: Lot, days: int, act: Act) -> None:
    if days <= 0:
        return
    if lot.status is LotStatus.BIDDING:
        new = lot.deadline + days * DAY
        day, provisional = next_working_day(act.calendar, local_date(new))
        new += (day - local_date(new)).days * DAY
        old, lot.deadline, lot.deadline_provisional = lot.deadline, new, provisional or lot.deadline_provisional
        tender.record("procedure:deadline:moved", lot.id, act.at, act.by, "suspension", old=old.isoformat(), new=new.isoformat())
    elif lot.status is LotStatus.PUBLICITY and lot.publicity is not None:
        end_day, provisional = next_working_day(act.calendar, local_date(lot.publicity.end - DAY) + days * DAY)
        lot.publicity.end = Deadline(end_day, provisional).at
        lot.publicity.end_provisional = provisional or lot.publicity.end_provisional
        lot.publicity.extended_by_days += days
        tender.record("procedure:deadline:moved", lot.id, act.at, act.by, "suspension", publicity_end=lot.publicity.end.isoformat())

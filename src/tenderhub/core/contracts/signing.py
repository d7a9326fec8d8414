"""Signing the contract within 30 days of the award (法 46 / GP法 46) and recording performance."""

from __future__ import annotations

from decimal import Decimal

from tenderhub.core.contracts.model import Contract, PerformanceRecord
from tenderhub.core.procedures.guards import require_active, require_lot_status, rule_for
from tenderhub.core.procedures.model import Tender
from tenderhub.core.procedures.states import LotStatus, Regime, TenderStatus
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.days import period_end
from tenderhub.core.shared.errors import Invalid, RuleViolation
from tenderhub.core.shared.money import percent_of

KINDS = ("progress", "acceptance", "payment", "change", "completion")


def sign(tender: Tender, act: Act, *, lot_id: str, amount: Decimal | None, performance_security: Decimal, period_days: int) -> Contract:
    """Sign for ``amount`` (default: the awarded amount)."""
    require_active(tender)
    lot = tender.lot(lot_id)
    require_lot_status(lot, LotStatus.AWARDED)
    assert lot.award is not None
    amount = lot.award.amount if amount is None else amount
    if act.at >= lot.award.contract_due:
        raise RuleViolation(rule_for(tender, "contract_within"), field="at", latest=lot.award.contract_due.date())
    if amount != lot.award.amount:
        raise RuleViolation(rule_for(tender, "contract_matches_award"), field="amount", amount=amount, awarded=lot.award.amount)
    perf = rule_for(tender, "performance_security_max_percent")
    ceiling = percent_of(amount, Decimal(str(perf.limit)))
    if performance_security > ceiling:
        raise RuleViolation(perf, field="performance_security", base=amount, max=ceiling, amount=performance_security)
    refund = period_end(act.calendar, act.at, int(rule_for(tender, "security_refund_days").limit or 5)) if tender.regime is Regime.WORKS else None
    publish = period_end(act.calendar, act.at, 2, working=True) if tender.regime is Regime.GP else None
    due = refund.at if refund else act.at
    lot.contract = Contract(act.at, amount, performance_security, period_days, due, publish.at if publish else None)
    tender.lot_transition(lot, LotStatus.CONTRACTED, at=act.at, by=act.by, reason=f"contract {amount}")
    tender.record("contracts:contract:signed", lot.id, act.at, act.by, amount=str(amount))
    return lot.contract


def record_performance(tender: Tender, act: Act, *, lot_id: str, kind: str, text: str, amount: Decimal | None = None) -> PerformanceRecord:
    lot = tender.lot(lot_id)
    require_lot_status(lot, LotStatus.CONTRACTED)
    if kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}", message_zh=f"履约记录类型须为 {', '.join(KINDS)} 之一", field="kind")
    entry = PerformanceRecord(act.at, kind, text, amount)
    lot.performance.append(entry)
    tender.record("contracts:performance:recorded", lot.id, act.at, act.by, text, kind=kind)
    if kind == "completion":
        tender.lot_transition(lot, LotStatus.COMPLETE, at=act.at, by=act.by, reason=text)
        maybe_complete(tender, act)
    return entry


def maybe_complete(tender: Tender, act: Act) -> None:
    done = {LotStatus.COMPLETE, LotStatus.ARCHIVED, LotStatus.CANCELLED}
    if tender.status is TenderStatus.ACTIVE and all(lot.status in done for lot in tender.lots):
        tender.transition_to(TenderStatus.COMPLETE, at=act.at, by=act.by, reason="all lots complete")

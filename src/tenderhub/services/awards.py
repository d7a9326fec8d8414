"""Use cases after evaluation: publicity, award notice, contract, performance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenderhub.core.awards import publicity
from tenderhub.core.contracts import signing
from tenderhub.core.shared.roles import Actor
from tenderhub.services import parse as p
from tenderhub.services.context import Services
from tenderhub.services.credit_records import record_award
from tenderhub.services.tenders import change


def publicize(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    lot = p.text(data, "lot")
    days = p.integer(data, "days", minimum=0) if data.get("days") is not None else None
    return change(svc, actor, tender_id, lambda tender, act: publicity.publicize(tender, act, lot_id=lot, days=days))


def award(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    lot = p.text(data, "lot")

    def act_on(tender: Any, act: Any) -> None:
        notice = publicity.award(tender, act, lot_id=lot, bidder_id=winner_ref(tender.lot(lot), data.get("bidder")))
        record_award(tender, act, tender.lot(lot), notice, f"交易平台 / trading platform {svc.platform_code}")  # 中标: a credit record for the hub

    return change(svc, actor, tender_id, act_on, reason=p.text(data, "reason", default=""))


def winner_ref(lot: Any, ref: Any) -> str | None:
    """A candidate by bidder id, name or USCC (scenarios and people name bidders)."""
    if ref is None:
        return None
    for c in lot.candidates:
        if str(ref) in (c.bidder_id, c.name, c.uscc):
            return str(c.bidder_id)
    return str(ref)


def sign_contract(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    lot = p.text(data, "lot")
    amount = p.amount(data, "amount") if data.get("amount") is not None else None
    security, period = p.amount(data, "performance_security", default=0), p.integer(data, "period_days", default=0)

    return change(svc, actor, tender_id, lambda tender, act: signing.sign(
        tender, act, lot_id=lot, amount=amount, performance_security=security, period_days=period))


def record_performance(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    lot, kind, text = p.text(data, "lot"), p.text(data, "kind", default="progress"), p.text(data, "text")
    amount = p.amount(data, "amount") if data.get("amount") is not None else None
    return change(svc, actor, tender_id, lambda tender, act: signing.record_performance(tender, act, lot_id=lot, kind=kind, text=text, amount=amount))

"""Use cases after evaluation: publicity, award notice, contract, performance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenderhub.core.awards import publicity
from tenderhub.core.contracts import signing
from tenderhub.core.shared.roles import Actor
from tenderhub.queries.tenders import tender_view
from tenderhub.services import parse as p
from tenderhub.services.authz import require_manager
from tenderhub.services.context import Services
from tenderhub.services.tenders import load


def publicize(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id)
        require_manager(tender, actor)
        days = p.integer(data, "days", minimum=0) if data.get("days") is not None else None
        lot = tender.lot(p.text(data, "lot"))
        publicity.publicize(tender, svc.act(actor), lot_id=lot.id, days=days)
        uow.commit()
        return tender_view(tender, actor)


def award(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id)
        require_manager(tender, actor)
        lot = tender.lot(p.text(data, "lot"))
        bidder = winner_ref(lot, data.get("bidder"))
        publicity.award(tender, svc.act(actor, p.text(data, "reason", default="")), lot_id=lot.id, bidder_id=bidder)
        uow.commit()
        return tender_view(tender, actor)


def winner_ref(lot: Any, ref: Any) -> str | None:
    if ref is None:
        return None
    for c in lot.candidates:
        if str(ref) in (c.bidder_id, c.name, c.uscc):
            return str(c.bidder_id)
    return str(ref)


def sign_contract(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id)
        require_manager(tender, actor)
        lot = tender.lot(p.text(data, "lot"))
        amount = p.amount(data, "amount") if data.get("amount") is not None else (lot.award.amount if lot.award else p.amount(data, "amount"))
        signing.sign(tender, svc.act(actor), lot_id=lot.id, amount=amount, performance_security=p.amount(data, "performance_security", default=0),
                     period_days=p.integer(data, "period_days", default=0))
        uow.commit()
        return tender_view(tender, actor)


def record_performance(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id)
        require_manager(tender, actor)
        lot = tender.lot(p.text(data, "lot"))
        amount = p.amount(data, "amount") if data.get("amount") is not None else None
        signing.record_performance(tender, svc.act(actor), lot_id=lot.id, kind=p.text(data, "kind", default="progress"), text=p.text(data, "text"), amount=amount)
        uow.commit()
        return tender_view(tender, actor)

"""Use cases of bidding: register for a lot, submit, modify, withdraw; open at the deadline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenderhub.core.bids import opening, submission
from tenderhub.core.bids.model import DocumentRef, PriceForm, SecurityForm
from tenderhub.core.bids.submission import BidderInfo
from tenderhub.core.rules.catalogue import lookup
from tenderhub.core.shared.errors import RuleViolation
from tenderhub.core.shared.roles import Actor, Role
from tenderhub.queries.tenders import bid_view, opening_view, tender_view
from tenderhub.services import parse as p
from tenderhub.services.authz import require_operator_or_manager, require_role
from tenderhub.services.context import Services
from tenderhub.services.settling import settling_of
from tenderhub.services.tenders import load


def bidder_of(actor: Actor) -> BidderInfo:
    require_role(actor, Role.BIDDER)
    return BidderInfo(actor.user_id, actor.uscc, actor.name, actor.legal_representative)


def price_form(data: Mapping[str, Any]) -> PriceForm:
    form = p.mapping(data, "price_form") if "price_form" in data else data
    path = "price_form." if "price_form" in data else ""
    return PriceForm(
        price=p.amount(form, "price", path), period_days=p.integer(form, "period_days", path, default=1, minimum=1),
        quality=p.text(form, "quality", path, default="合格"),
        security_amount=p.amount(form, "security_amount", path, default=0),
        security_form=p.choice(form, "security_form", SecurityForm, path, default="bank_guarantee"),
        project_manager=p.text(form, "project_manager", path, default=""),
    )


def documents(data: Mapping[str, Any]) -> list[DocumentRef]:
    return [
        DocumentRef(p.text(d, "name", f"documents[{i}]."), p.text(d, "digest", f"documents[{i}]."), p.integer(d, "size", f"documents[{i}].", default=0))
        for i, d in enumerate(p.items(data, "documents", default=[]))
    ]


def require_not_blacklisted(svc: Services, regime: str, bidder: BidderInfo) -> None:
    """Joint punishment (cn-rules §8): a bidder on the hub's blacklist may not register or bid."""
    if svc.blacklist is None:
        return
    listing = svc.blacklist.is_listed(bidder.uscc, svc.clock.now())
    if listing is not None:
        until = listing.end.isoformat() if listing.end else "—"
        raise RuleViolation(lookup(regime, "blacklisted_bidder"), field="bidder", bidder=bidder.name,
                            authority=listing.authority, until=until)


def register(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    bidder = bidder_of(actor)
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True, bidder_id=bidder.bidder_id)
        lot = tender.lot(p.text(data, "lot"))
        require_not_blacklisted(svc, tender.regime.value, bidder)
        reg = submission.register(tender, svc.act(actor), lot_id=lot.id, bidder=bidder)
        uow.commit()
        return {"registration": reg.id, "lot": lot.code}


def submit(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    bidder = bidder_of(actor)
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True, bidder_id=bidder.bidder_id)  # one_bid_per_bidder looks at its own bids
        require_not_blacklisted(svc, tender.regime.value, bidder)
        bid = submission.submit(tender, svc.act(actor), lot_id=p.text(data, "lot"), bidder=bidder, form=price_form(data), documents=documents(data))
        uow.commit()
        return bid_view(bid)


def modify(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    bidder = bidder_of(actor)
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True, bid_id=p.text(data, "bid"))
        bid = submission.modify(tender, svc.act(actor), bid_id=p.text(data, "bid"), bidder_id=bidder.bidder_id, form=price_form(data), documents=documents(data))
        uow.commit()
        return bid_view(bid)


def withdraw(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    bidder = bidder_of(actor)
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True, bid_id=p.text(data, "bid"))
        bid = submission.withdraw(tender, svc.act(actor, p.text(data, "reason", default="")), bid_id=p.text(data, "bid"), bidder_id=bidder.bidder_id)
        uow.commit()
        return bid_view(bid)


def open_bids(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Open the lot; first wait (bounded, else 409 ``bids_settling``) for the bids of the tender
    receipted but not yet recorded (ADR 0025): the opening's time is read before the wait, so a
    bid entering after it is late (its receipt time is later) and none in time is overtaken."""
    act = svc.act(actor)
    settling_of(svc).wait_settled(tender_id)  # outside any transaction: the writer gate is not held
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True)
        require_operator_or_manager(tender, actor)
        lot = tender.lot(p.text(data, "lot"))
        opening.open_bids(tender, act, lot_id=lot.id)
        uow.commit()
        return {"lot": lot.id, "status": lot.status.value, "failure_reason": lot.failure_reason, "opening": opening_view(lot), "tender": tender_view(tender, actor)}

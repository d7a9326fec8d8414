"""Tender views, filtered by role (电子招标投标办法 第20–21条; 招标投标法 第37条).

* Before opening, a bidder sees its own registration and bid only; nobody sees who
  registered or downloaded the documents, nor how many.
* Expert names stay hidden until the result is published (award notice issued).
* Prices and bidders are public from the opening record on.
"""

from __future__ import annotations

from typing import Any

from tenderhub.core.bids.model import Bid
from tenderhub.core.procedures.model import Lot, Tender
from tenderhub.core.procedures.states import LotStatus
from tenderhub.core.shared.clock import beijing
from tenderhub.core.shared.roles import Actor, Role

SEALED = (LotStatus.DRAFT, LotStatus.BIDDING)
NAMES_PUBLIC = (LotStatus.AWARDED, LotStatus.CONTRACTED, LotStatus.COMPLETE, LotStatus.ARCHIVED)


def iso(at: Any) -> str | None:
    return None if at is None else beijing(at).isoformat()


def tender_summary(tender: Tender) -> dict[str, Any]:
    return {
        "id": tender.id, "code": tender.code, "title": tender.title, "regime": tender.regime.value,
        "method": tender.method.value, "status": tender.status.value, "tenderer": tender.tenderer.name,
        "sealing": tender.sealing.value,
        "published_at": iso(tender.published_at),
        "lots": [{"id": lot.id, "code": lot.code, "title": lot.title, "status": lot.status.value} for lot in tender.lots],
    }


def tender_view(tender: Tender, viewer: Actor) -> dict[str, Any]:
    view = tender_summary(tender)
    view.update({
        "tenderer": {"name": tender.tenderer.name, "uscc": tender.tenderer.uscc},
        "agency": {"name": tender.agency.name, "uscc": tender.agency.uscc} if tender.agency else None,
        "state_funded": tender.state_funded, "region": tender.region, "industry": tender.industry,
        "investment_project_code": tender.investment_project_code, "description": tender.description,
        "doc_sale_end": tender.doc_sale_end.isoformat() if tender.doc_sale_end else None,
        "documents": [{"id": d.id, "title": d.title, "version": d.version, "digest": d.digest, "issued_at": iso(d.issued_at)} for d in tender.documents],
        "clarifications": [{"id": c.id, "at": iso(c.at), "text": c.text, "moved_deadline_to": iso(c.moved_deadline_to)} for c in tender.clarifications],
        "objections": [objection_view(o, viewer, tender) for o in tender.objections],
        "suspensions": [{"at": iso(s.at), "reason": s.reason, "resumed_at": iso(s.resumed_at)} for s in tender.suspensions],
        "cancel_reason": tender.cancel_reason,
        "lots": [lot_view(tender, lot, viewer) for lot in tender.lots],
    })
    return view


def objection_view(o: Any, viewer: Actor, tender: Tender) -> dict[str, Any]:
    mine = o.raised_by == viewer.user_id
    return {
        "id": o.id, "lot": o.lot_id, "stage": o.stage.value, "raised_at": iso(o.raised_at),
        "text": o.text, "status": o.status.value, "answer": o.answer, "answered_at": iso(o.answered_at),
        "answer_due": o.answer_due.isoformat(), "answered_late": o.answered_late,
        "raised_by": o.raised_by if (mine or viewer.role in (Role.OPERATOR, Role.REGULATOR) or is_manager(tender, viewer)) else None,
    }


def is_manager(tender: Tender, viewer: Actor) -> bool:
    owners = {tender.tenderer.subject_id} | ({tender.agency.subject_id} if tender.agency else set())
    return viewer.role in (Role.TENDERER, Role.AGENCY) and viewer.subject_id in owners


def lot_view(tender: Tender, lot: Lot, viewer: Actor) -> dict[str, Any]:
    sealed = lot.status in SEALED
    view: dict[str, Any] = {
        "id": lot.id, "code": lot.code, "title": lot.title, "category": lot.category.value, "status": lot.status.value,
        "round": lot.round, "estimated_price": str(lot.estimated_price), "deadline": iso(lot.deadline),
        "deadline_provisional": lot.deadline_provisional, "max_price": None if lot.max_price is None else str(lot.max_price),
        "bid_security": str(lot.bid_security), "bid_validity_days": lot.bid_validity_days, "evaluation_method": lot.evaluation_method.method.value if lot.evaluation_method else "lowest_evaluated_price",
        "failure_reason": lot.failure_reason,
    }
    if sealed:
        view["my_registration"] = next((r.id for r in lot.registrations if r.bidder_id == viewer.user_id), None)
        view["my_bids"] = [bid_view(b) for b in lot.bids if b.bidder_id == viewer.user_id]
    else:
        view["bids"] = [bid_view(b) for b in lot.bids]
    view["opening"] = opening_view(lot)
    view["committee"] = committee_view(lot, viewer)
    view["candidates"] = [candidate_view(c) for c in lot.candidates] if lot.status not in (LotStatus.EVALUATING, LotStatus.EVALUATED) or is_manager(tender, viewer) or viewer.role in (Role.OPERATOR, Role.REGULATOR) else []
    view["publicity"] = None if lot.publicity is None else {"start": iso(lot.publicity.start), "end": iso(lot.publicity.end), "days": lot.publicity.days, "end_provisional": lot.publicity.end_provisional}
    view["award"] = None if lot.award is None else {"at": iso(lot.award.at), "bidder": lot.award.name, "uscc": lot.award.uscc, "amount": str(lot.award.amount), "rank": lot.award.rank, "contract_due": iso(lot.award.contract_due)}
    view["contract"] = None if lot.contract is None else {"signed_at": iso(lot.contract.signed_at), "amount": str(lot.contract.amount), "performance_security": str(lot.contract.performance_security)}
    view["performance"] = [{"at": iso(r.at), "kind": r.kind, "text": r.text, "amount": None if r.amount is None else str(r.amount)} for r in lot.performance]
    view["history"] = [{"round": r.number, "deadline": iso(r.deadline), "failure_reason": r.failure_reason, "bids": len(r.bids)} for r in lot.history]
    return view


def bid_view(bid: Bid) -> dict[str, Any]:
    """A bid; a sealed one shows its package and receipt, and its prices only once decrypted."""
    form = bid.price_form
    return {
        "id": bid.id, "bidder": bid.name, "uscc": bid.uscc, "status": bid.status.value, "version": bid.version,
        "submitted_at": iso(bid.submitted_at), "price": None if form is None else str(form.price),
        "period_days": None if form is None else form.period_days,
        "security_amount": None if form is None else str(form.security_amount),
        "security_form": None if form is None else form.security_form.value,
        "documents": [{"name": d.name, "digest": d.digest, "size": d.size} for d in bid.documents],
        "sealed": None if bid.sealed is None else {
            "suite": bid.sealed.suite, "digest": bid.sealed.digest, "size": bid.sealed.size, "receipt": bid.sealed.receipt_id,
            "received_at": iso(bid.sealed.received_at), "decryption": bid.sealed.decryption.value, "failure": bid.sealed.failure,
        },
    }


def opening_view(lot: Lot) -> dict[str, Any] | None:
    if lot.opening is None:
        return None
    return {
        "at": iso(lot.opening.at), "bid_count": lot.opening.bid_count,
        "base_price": None if lot.opening.base_price is None else str(lot.opening.base_price),
        "revoked": list(lot.opening.revoked),
        "signed_by": [s.bidder_id for s in lot.opening.signatures],
        "entries": [{"bidder": e.bidder_name, "uscc": e.uscc, "price": str(e.price), "period_days": e.period_days,
                     "quality": e.quality, "security": str(e.security_amount), "submitted_at": iso(e.submitted_at)} for e in lot.opening.entries],
    }


def candidate_view(c: Any) -> dict[str, Any]:
    return {"rank": c.rank, "bidder": c.name, "uscc": c.uscc, "price": str(c.price), "score": None if c.score is None else str(c.score)}


def committee_view(lot: Lot, viewer: Actor) -> dict[str, Any] | None:
    evaluation = lot.evaluation
    if evaluation is None:
        return None
    members = evaluation.committee.members
    names_public = lot.status in NAMES_PUBLIC
    return {
        "size": len([m for m in members if m.active]),
        "status": evaluation.status.value,
        "members": [
            {"id": m.id if (names_public or viewer.user_id == m.id) else None,
             "name": m.name if names_public or viewer.user_id == m.id else "（评标结果公布前保密）",
             "kind": m.kind.value, "specialty": m.specialty, "active": m.active}
            for m in members
        ],
    }

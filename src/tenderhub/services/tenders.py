"""Use cases of the tender aggregate: create, publish, clarify, object, suspend, cancel, re-tender."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from tenderhub.core.procedures import objections, publishing, suspension
from tenderhub.core.procedures.model import (
    Document,
    Lot,
    ObjectionStage,
    Party,
    Tender,
)
from tenderhub.core.procedures.states import Category, Method, Regime, Sealing
from tenderhub.core.rules.catalogue import by_code
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.errors import Invalid, NotFound, RuleViolation
from tenderhub.core.shared.ids import (
    bid_section_code,
    project_code,
    tender_project_code,
    validate_invest_project_code,
)
from tenderhub.core.shared.roles import Actor, Role
from tenderhub.queries.tenders import tender_view
from tenderhub.services import parse as p
from tenderhub.services.authz import require_manager, require_operator_or_manager, require_role
from tenderhub.services.context import Services
from tenderhub.services.credit import check_project

Guard = Callable[[Tender, Actor], None]


def new_id() -> str:
    return str(uuid.uuid4())


def create_tender(svc: Services, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    require_role(actor, Role.TENDERER, Role.AGENCY)
    invest = p.text(data, "investment_project_code", default="")
    check_project(svc.projects, validate_invest_project_code(invest) if invest else "")  # 招标投标法 第9条, at the hub
    with svc.uow(actor) as uow:
        tenderer = party_for(uow, actor, data)
        serial = uow.sequences.next("project")
        code = tender_project_code(project_code(svc.platform_code, serial), 1)
        tender = build_tender(svc, actor, data, tenderer, code)
        publishing.validate_new_tender(tender)
        tender.record("procedure:tender:created", tender.id, tender.created_at, actor.user_id, code=code)
        uow.tenders.add(tender)
        uow.commit()
        return tender_view(tender, actor)


def party_for(uow: Any, actor: Actor, data: Mapping[str, Any]) -> Party:
    """The tenderer: the acting tenderer itself, or the client named by an agency."""
    if actor.role is Role.TENDERER:
        return Party(actor.subject_id, actor.uscc, actor.name)
    uscc = p.text(data, "tenderer_uscc")
    subject = uow.subjects.get_by_uscc(uscc)
    return Party(subject.id, subject.uscc, subject.name)


def build_tender(svc: Services, actor: Actor, data: Mapping[str, Any], tenderer: Party, code: str) -> Tender:
    lots_data = p.items(data, "lots")
    if not lots_data:
        raise Invalid("a tender needs at least one lot", message_zh="招标项目至少包含一个标段", field="lots")
    invest = p.text(data, "investment_project_code", default="")
    tender = Tender(
        id=new_id(), code=code, regime=p.choice(data, "regime", Regime), method=p.choice(data, "method", Method, default="open"),
        title=p.text(data, "title"), tenderer=tenderer, created_at=svc.clock.now(),
        lots=[build_lot(lot, f"lots[{i}].", bid_section_code(code, i + 1)) for i, lot in enumerate(lots_data)],
        agency=Party(actor.subject_id, actor.uscc, actor.name) if actor.role is Role.AGENCY else None,
        state_funded=p.boolean(data, "state_funded", default=True), region=p.text(data, "region", default="110000"),
        industry=p.text(data, "industry", default=""), description=p.text(data, "description", default=""),
        investment_project_code=validate_invest_project_code(invest) if invest else "",
        invitees=[str(u) for u in p.items(data, "invitees", default=[])],
        sealing=sealing_of(svc, data),
    )
    return tender


def sealing_of(svc: Services, data: Mapping[str, Any]) -> Sealing:
    """Sealed bids unless this installation simulates (scenarios, tests, demo): ADR 0007."""
    sealing = p.choice(data, "sealing", Sealing, default="none" if svc.allow_unsealed else "envelope")
    if sealing is Sealing.NONE and not svc.allow_unsealed:
        raise RuleViolation(by_code("UNSEALED_BID_REFUSED"), field="sealing")
    return sealing


def build_lot(data: Mapping[str, Any], path: str, code: str) -> Lot:
    from tenderhub.services.evaluation import method_config

    if data.get("min_price") is not None:
        raise RuleViolation(by_code("NO_MINIMUM_PRICE"), field=f"{path}min_price")
    setup = p.mapping(data, "evaluation", path, default={"method": "lowest_price"})
    lot = Lot(
        id=new_id(), code=code, title=p.text(data, "title", path), category=p.choice(data, "category", Category, path, default="works"),
        estimated_price=p.amount(data, "estimated_price", path), deadline=p.timestamp(data, "deadline", path),
        max_price=p.amount(data, "max_price", path) if data.get("max_price") is not None else None,
        bid_security=p.amount(data, "bid_security", path, default=0),
        base_price=p.amount(data, "base_price", path) if data.get("base_price") is not None else None,
        bid_validity_days=p.integer(data, "bid_validity_days", path, default=90),
        performance_security_percent=p.decimal(data, "performance_security_percent", path, default=0),
    )
    lot.evaluation_method = method_config(setup, lot.category, f"{path}evaluation.")
    return lot


def load(uow: Any, tender_id: str, *, for_update: bool = False, bidder_id: str | None = None, bid_id: str | None = None) -> Tender:
    """The tender; ``for_update`` holds its write lock (use it in every use case that changes it).
    ``bidder_id``/``bid_id`` load only that bidder's bids / that bid into each ``lot.bids``
    (a ``PartialList``, ADR 0010); rules that need every bid refuse such a list."""
    if "\x00" in tender_id or len(tender_id) > 64:
        raise NotFound(f"no tender {tender_id[:64]!r}", message_zh="没有该招标项目", field="tender_id")
    get = uow.tenders.get_for_update if for_update else uow.tenders.get
    tender: Tender = get(tender_id, bidder_id=bidder_id, bid_id=bid_id) if bidder_id or bid_id else get(tender_id)
    return tender


def change(svc: Services, actor: Actor, tender_id: str, action: Callable[[Tender, Act], object], *,
           reason: str = "", guard: Guard = require_manager) -> dict[str, Any]:
    """One use case on one tender: load, authorize, act, commit; returns the actor's view."""
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True)
        guard(tender, actor)
        action(tender, svc.act(actor, reason))
        uow.commit()
        return tender_view(tender, actor)


def publish(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    sale_end, docs = p.day(data, "doc_sale_end"), p.items(data, "documents", default=[{"title": "招标文件"}])

    with svc.uow(actor) as uow:  # the registry is asked outside the write lock (a remote call may be slow)
        unlocked = load(uow, tender_id)
        require_manager(unlocked, actor)
    # still approved at publication; the code is fixed at creation, so the unlocked read is the one published
    check_project(svc.projects, unlocked.investment_project_code)

    def act_on(tender: Tender, act: Act) -> None:
        publishing.publish(tender, act, doc_sale_end=sale_end, documents=[document(d, f"documents[{i}].", 1, act.at) for i, d in enumerate(docs)])

    return change(svc, actor, tender_id, act_on)


def document(data: Mapping[str, Any], path: str, version: int, at: datetime, kind: str = "tender_documents") -> Document:
    return Document(new_id(), p.text(data, "title", path), version, p.text(data, "digest", path, default=""), at, kind)


def clarify(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    new_deadline = p.timestamp(data, "new_deadline") if data.get("new_deadline") else None
    text, lots = p.text(data, "text"), [str(x) for x in p.items(data, "lots", default=[])]
    amended = p.mapping(data, "document") if data.get("document") is not None else None

    def act_on(tender: Tender, act: Act) -> None:
        version = 1 + max((d.version for d in tender.documents), default=0)
        doc = document(amended, "document.", version, act.at, "amendment") if amended is not None else None
        publishing.clarify(tender, act, publishing.ClarifyCommand(text, lots, new_deadline, doc))

    return change(svc, actor, tender_id, act_on)


def raise_objection(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    require_role(actor, Role.BIDDER)
    stage, lot, text = p.choice(data, "stage", ObjectionStage, default="documents"), p.text(data, "lot"), p.text(data, "text")
    raised: list[Any] = []
    view = change(svc, actor, tender_id, lambda tender, act: raised.append(
        objections.raise_objection(tender, act, lot_id=lot, stage=stage, text=text)), guard=anyone)
    return {"objection": raised[0].id, "answer_due": raised[0].answer_due.isoformat(), "tender": view}


def object_at_opening(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """An objection to the opening, raised at the opening and answered on the spot (条例 第44条)."""
    return raise_objection(svc, actor, tender_id, {**data, "stage": "opening"})


def anyone(tender: Tender, actor: Actor) -> None:
    """No tender-specific check (the role was checked before)."""


def answer_objection(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    objection, answer, upheld = p.text(data, "objection"), p.text(data, "answer"), p.boolean(data, "upheld", default=False)
    return change(svc, actor, tender_id, lambda tender, act: objections.answer_objection(
        tender, act, objection_id=objection, answer=answer, upheld=upheld))


def suspend(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return change(svc, actor, tender_id, suspension.suspend, reason=p.text(data, "reason"), guard=require_operator_or_manager)


def resume(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return change(svc, actor, tender_id, suspension.resume, reason=p.text(data, "reason", default="resumed"), guard=require_operator_or_manager)


def cancel(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    lot = str(data["lot"]) if data.get("lot") is not None else None
    return change(svc, actor, tender_id, lambda tender, act: publishing.cancel(tender, act, lot_id=lot), reason=p.text(data, "reason", default=""))


def retender(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    lot, deadline = p.text(data, "lot"), p.timestamp(data, "deadline")
    return change(svc, actor, tender_id, lambda tender, act: publishing.retender(tender, act, lot_id=lot, deadline=deadline),
                  reason=p.text(data, "reason", default="re-tender"))


def archive(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    lot = p.text(data, "lot")
    return change(svc, actor, tender_id, lambda tender, act: publishing.archive(tender, act, lot_id=lot), reason=p.text(data, "reason", default=""))


def get_tender(svc: Services, actor: Actor, tender_id: str) -> dict[str, Any]:
    with svc.uow(actor) as uow:
        return tender_view(load(uow, tender_id), actor)


def list_tenders(svc: Services, actor: Actor, *, status: str | None = None, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    from tenderhub.queries.tenders import tender_summary

    with svc.uow(actor) as uow:
        return [tender_summary(t) for t in uow.tenders.list(status=status, limit=limit, offset=offset)]

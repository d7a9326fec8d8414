"""Use cases of evaluation: draw the committee, score, reject, finish, sign the report."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from tenderhub.core.evaluation import report as reports
from tenderhub.core.evaluation.committee import Member, MemberKind, form_committee
from tenderhub.core.evaluation.draw import draw_and_record
from tenderhub.core.evaluation.evaluation import Evaluation
from tenderhub.core.evaluation.experts import Expert
from tenderhub.core.evaluation.methods import (
    Category,
    Criterion,
    Method,
    MethodConfig,
    PriceFormula,
)
from tenderhub.core.procedures import evaluating
from tenderhub.core.procedures.states import Category as LotCategory
from tenderhub.core.shared.errors import Forbidden
from tenderhub.core.shared.roles import Actor, Role
from tenderhub.queries.tenders import tender_view
from tenderhub.services import parse as p
from tenderhub.services.authz import require_manager, require_role
from tenderhub.services.context import Services
from tenderhub.services.tenders import load, new_id

METHODS = {"lowest_price": Method.LOWEST_EVALUATED_PRICE, "lowest_evaluated_price": Method.LOWEST_EVALUATED_PRICE, "composite": Method.COMPOSITE}


def method_config(data: Mapping[str, Any], category: LotCategory, path: str) -> MethodConfig:
    """The evaluation method as written in the tender documents (条例 第49条)."""
    name = p.text(data, "method", path, default="lowest_price")
    if name not in METHODS:
        from tenderhub.core.shared.errors import Invalid

        raise Invalid(f"{path}method must be lowest_price or composite", message_zh=f"{path}method 须为 lowest_price 或 composite", field=f"{path}method")
    cat = Category.SERVICES if category in (LotCategory.SERVICES, LotCategory.SURVEY_DESIGN) else Category(category.value)
    criteria = [Criterion(p.text(c, "code", f"{path}criteria[{i}]."), p.text(c, "name", f"{path}criteria[{i}].", default=str(c.get("code", ""))),
                          p.decimal(c, "points", f"{path}criteria[{i}]."), p.boolean(c, "price", f"{path}criteria[{i}].", default=False))
                for i, c in enumerate(p.items(data, "criteria", path, default=[]))]
    formula = None
    if "price_formula" in data:
        f = p.mapping(data, "price_formula", path)
        fp = f"{path}price_formula."
        formula = PriceFormula(p.text(f, "name", fp, default="lowest_benchmark"), p.decimal(f, "coefficient", fp, default=1),
                               p.decimal(f, "above_penalty", fp, default=0), p.decimal(f, "below_penalty", fp, default=0))
    return MethodConfig(METHODS[name], cat, criteria, formula, p.integer(data, "candidates", path, default=3, minimum=1))


def draw_committee(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Draw experts at random from the pool, avoiding conflicts; the seed is recorded."""
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True)
        require_manager(tender, actor)
        lot = tender.lot(p.text(data, "lot"))
        act = svc.act(actor)
        pool: list[Expert] = uow.experts.list()
        requirements = {str(k): p.integer(data["experts"], str(k), "experts.", minimum=1) for k in p.mapping(data, "experts")}
        avoid = [b.uscc for b in lot.bids] + [tender.tenderer.uscc]
        seed = str(data.get("seed") or secrets.token_hex(8))
        draw = draw_and_record(pool, requirements, regime=tender.regime.value, avoid_uscc=avoid, seed=seed, at=act.at, by=act.by,
                               region=data.get("region"))
        reps = [Member(f"rep-{new_id()[:8]}", MemberKind.TENDERER_REPRESENTATIVE, str(name)) for name in p.items(data, "representatives", default=[])]
        committee = form_committee(tender.regime.value, draw=draw, pool=pool, representatives=reps, avoid_uscc=avoid,
                                   budget=lot.estimated_price, complex_or_high_impact=p.boolean(data, "complex", default=False))
        evaluating.begin(tender, act, lot_id=lot.id, committee=committee, evaluation_id=new_id())
        uow.commit()
        return {"lot": lot.code, "seed": seed, "committee_size": len(committee.members), "tender": tender_view(tender, actor)}


def sitting_member(tender: Any, lot_id: str, actor: Actor) -> str:
    require_role(actor, Role.EXPERT)
    _, evaluation = evaluating.current(tender, lot_id)
    if actor.user_id not in [m.id for m in evaluation.committee.active()]:
        raise Forbidden("only a sitting committee member may do this", message_zh="只有在任评标委员会成员可以评分", field="lot")
    return actor.user_id


MemberAction = Callable[[Evaluation, str, str, datetime], object]


def as_member(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any], action: MemberAction) -> dict[str, Any]:
    """One committee member's act on one bid: ``action(evaluation, member, bid_id, at)``."""
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True)
        lot = tender.lot(p.text(data, "lot"))
        member = sitting_member(tender, lot.id, actor)
        bid_id, at = bid_of(lot, p.text(data, "bid")), svc.clock.now()
        evaluating.on_evaluation(tender, lot.id, lambda ev: action(ev, member, bid_id, at))
        uow.commit()
        return {"lot": lot.code, "bid": bid_id}


def score(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    given = p.mapping(data, "points")
    points = {str(k): p.decimal(given, str(k), "points.") for k in given}
    done = as_member(svc, actor, tender_id, data, lambda ev, member, bid, at: ev.record_scores(member, bid, points, at=at))
    return {**done, "scored": sorted(points)}


def bid_of(lot: Any, ref: str) -> str:
    """A bid by id or by the bidder's name or USCC (scenarios name bidders)."""
    for bid in lot.bids:
        if ref in (bid.id, bid.name, bid.uscc, bid.bidder_id):
            return str(bid.id)
    return ref


def reject(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    ground, reason = p.text(data, "ground"), p.text(data, "reason")
    done = as_member(svc, actor, tender_id, data, lambda ev, member, bid, at: ev.reject_bid(bid, ground, reason, at=at, by=member))
    return {**done, "rejected": True}


def adjust_price(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    amount, reason = p.decimal(data, "amount"), p.text(data, "reason")
    done = as_member(svc, actor, tender_id, data, lambda ev, member, bid, at: ev.adjust_price(bid, amount, reason, at=at, by=member))
    return {**done, "adjusted": str(amount)}


def finish(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True)
        require_manager(tender, actor)
        lot = tender.lot(p.text(data, "lot"))
        report = evaluating.finish(tender, svc.act(actor), lot_id=lot.id)
        uow.commit()
        return {"lot": lot.code, "status": lot.status.value, "failed": report.failed, "failure_rule": report.failure_rule,
                "ranking": [{"bid": r.bid_id, "rank": r.rank, "total": str(r.total), "evaluated_price": str(r.evaluated_price)} for r in report.ranking],
                "tender": tender_view(tender, actor)}


def sign_report(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    require_role(actor, Role.EXPERT)
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True)
        lot = tender.lot(p.text(data, "lot"))
        if lot.evaluation is None or lot.evaluation.report is None:
            from tenderhub.core.shared.errors import Conflict

            raise Conflict("there is no report to sign yet", message_zh="评标报告尚未生成", field="lot", code="no_report")
        dissent = p.text(data, "dissent", default="")
        at = svc.clock.now()
        proof = personal_signature(svc, tender, lot.code, "evaluation_report", data, at=at)
        signed = reports.sign(lot.evaluation.report, actor.user_id, at=at, dissents=bool(dissent), reason=dissent)
        signed.document_signature = proof
        tender.record("evaluation:report:signed", lot.id, at, actor.user_id, dissent, personal=proof is not None)
        uow.commit()
        return {"lot": lot.code, "signed": actor.user_id, "electronic_signature": proof is not None}


def personal_signature(svc: Services, tender: Any, lot: str, kind: str, data: Mapping[str, Any], *,
                       at: datetime | None = None) -> dict[str, Any] | None:
    """A signer's own detached signature of the document (optional), verified at the platform's
    receipt time (server clock, never the signer's claimed ``signed_at``: ADR 0019) and kept with
    the platform's sealed receipt of that time, so ``tenderhub verify`` checks it at that time later.
    ``at``: the receipt time, the time of the use case's audit event (default: the clock now)."""
    if data.get("signature") is None:
        return None
    from tenderhub.crypto.documents import seal_receipt, verify_document
    from tenderhub.services.documents import canonical, content_of
    from tenderhub.services.sealed import vault_of

    signature, vault, now = dict(p.mapping(data, "signature")), vault_of(svc), at or svc.clock.now()
    verified = verify_document(signature, canonical(content_of(tender, kind, lot)), vault.identity.trust_list(now), now=now, at=now)
    if verified.kind != kind:
        raise Forbidden(f"the signature is for a {verified.kind}, not a {kind}", message_zh="签名的文件类型不符", field="signature")
    return seal_receipt(signature, vault.identity.certificate(now), vault.keys.pair("signing", "intl").private_pem,
                        suite="intl", received_at=now)




def replace_member(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A member withdraws or is recused: drawn again the same way; its scores are void (条例 第48条)."""
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True)
        require_manager(tender, actor)
        lot = tender.lot(p.text(data, "lot"))
        act = svc.act(actor)
        pool: list[Expert] = uow.experts.list()
        seed = str(data.get("seed") or secrets.token_hex(8))
        member = evaluating.on_evaluation(tender, lot.id, lambda ev: ev.replace_member(
            p.text(data, "member"), reason=p.text(data, "reason"), note=p.text(data, "note", default=""),
            pool=pool, seed=seed, at=act.at, by=act.by))
        uow.commit()
        return {"lot": lot.code, "replacement": member.id, "seed": seed}

"""Objections (异议, 条例 22/44/54) and challenges (质疑, GP法 52–53) and their answers."""

from __future__ import annotations

from datetime import timedelta

from tenderhub.core.procedures.guards import require_lot_status, rule_for, show
from tenderhub.core.procedures.model import Objection, ObjectionStage, ObjectionStatus, Tender
from tenderhub.core.procedures.states import LotStatus, Regime, TenderStatus
from tenderhub.core.procedures.suspension import resume, suspend
from tenderhub.core.rules.model import Unit
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.days import local_date, period_end
from tenderhub.core.shared.errors import Conflict, Invalid, NotFound, RuleViolation

SUSPENDING = (ObjectionStage.DOCUMENTS, ObjectionStage.RESULT)


def raise_objection(tender: Tender, act: Act, *, lot_id: str, stage: ObjectionStage, text: str) -> Objection:
    if not text.strip():
        raise Invalid("an objection needs its grounds", message_zh="异议须写明理由", field="text")
    if tender.status not in (TenderStatus.ACTIVE, TenderStatus.SUSPENDED):
        raise Conflict(f"tender {tender.code} is {tender.status.value}", message_zh="招标项目当前不接受异议", field="status", code="tender_not_active")
    lot = tender.lot(lot_id)
    check_window(tender, act, lot_id, stage)
    answer_rule = rule_for(tender, "objection_answer_days")
    due = period_end(act.calendar, act.at, int(answer_rule.limit or 0), working=answer_rule.unit is Unit.WORKING_DAYS)
    objection = Objection(f"{tender.id}-o{len(tender.objections) + 1}", lot.id, stage, act.by, act.at, text, due.last_day, due.provisional)
    tender.objections.append(objection)
    tender.record("procedure:objection:raised", lot.id, act.at, act.by, text, stage=stage.value, objection=objection.id)
    if tender.regime is Regime.WORKS and stage in SUSPENDING and tender.status is TenderStatus.ACTIVE:
        suspend(tender, Act(act.at, act.by, act.calendar, f"objection {objection.id} pending (条例第22/54条)"), objection_id=objection.id)
    return objection


def check_window(tender: Tender, act: Act, lot_id: str, stage: ObjectionStage) -> None:
    lot = tender.lot(lot_id)
    if stage is ObjectionStage.DOCUMENTS:
        require_lot_status(lot, LotStatus.BIDDING)
        rule = rule_for(tender, "objection_to_docs_deadline")
        if rule.unit is Unit.WORKING_DAYS:
            latest = period_end(act.calendar, tender.published_at or act.at, int(rule.limit or 0), working=True).last_day
        else:
            latest = local_date(lot.deadline) - timedelta(days=int(rule.limit or 0))
        if local_date(act.at) > latest:
            raise RuleViolation(rule, field="at", latest=latest)
    elif stage is ObjectionStage.RESULT:
        require_lot_status(lot, LotStatus.PUBLICITY)
        assert lot.publicity is not None
        rule = rule_for(tender, "objection_to_result_window")
        limit = lot.publicity.end
        if rule.unit is Unit.WORKING_DAYS:
            limit = period_end(act.calendar, lot.publicity.start, int(rule.limit or 0), working=True).at
        if act.at >= limit:
            raise RuleViolation(rule, field="at", end=show(lot.publicity.end), latest=show(limit))
    else:
        if lot.status is not LotStatus.OPENED and tender.regime is Regime.WORKS:
            closed = show(lot.opening.at) if lot.opening else "-"
            raise RuleViolation(rule_for(tender, "opening_objection_on_the_spot"), field="stage", closed=closed)
        require_lot_status(lot, LotStatus.OPENED)


def answer_objection(tender: Tender, act: Act, *, objection_id: str, answer: str, upheld: bool = False) -> Objection:
    objection = find(tender, objection_id)
    if objection.status is not ObjectionStatus.OPEN:
        raise Conflict(f"objection {objection_id} is already answered", message_zh="该异议已答复", field="objection_id", code="objection_answered")
    if not answer.strip():
        raise Invalid("the answer is empty", message_zh="答复内容不能为空", field="answer")
    objection.status, objection.answer, objection.answered_at = ObjectionStatus.ANSWERED, answer, act.at
    objection.answered_late = local_date(act.at) > objection.answer_due
    tender.record("procedure:objection:answered", objection.lot_id, act.at, act.by, answer, objection=objection.id, upheld=upheld, late=objection.answered_late)
    if upheld and objection.stage is ObjectionStage.RESULT:
        lot = tender.lot(objection.lot_id)
        tender.lot_transition(lot, LotStatus.EVALUATING, at=act.at, by=act.by, reason=f"objection {objection.id} upheld: re-evaluation")
    by_objection = bool(tender.suspensions) and tender.suspensions[-1].objection_id is not None
    if tender.status is TenderStatus.SUSPENDED and by_objection and not pending_suspending(tender):
        resume(tender, Act(act.at, act.by, act.calendar, f"objection {objection.id} answered"))
    return objection


def pending_suspending(tender: Tender) -> list[Objection]:
    return [o for o in tender.objections if o.status is ObjectionStatus.OPEN and o.stage in SUSPENDING]


def find(tender: Tender, objection_id: str) -> Objection:
    for objection in tender.objections:
        if objection.id == objection_id:
            return objection
    raise NotFound(f"no objection {objection_id!r}", message_zh=f"没有异议 {objection_id}", field="objection_id")

"""Tenders (招标项目): create, list, view, publish, clarify, objections, suspend, cancel, re-tender."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import ConfigDict, Field

from tenderhub.core.procedures.model import ObjectionStage
from tenderhub.core.procedures.states import Category, Method, Regime, TenderStatus
from tenderhub.core.shared.roles import Actor
from tenderhub.services import tenders
from tenderhub.services.context import Services
from tenderhub.web.common.auth import current_actor, services
from tenderhub.web.common.bodies import Amount, In, Number, as_data
from tenderhub.web.common.problems import ACTION, described
from tenderhub.web.trading.views import Objection, TenderSummary, TenderView

router = APIRouter(prefix="/api/tenders", tags=["tenders 招标项目"])
VIEW: dict[str, Any] = {"response_model_exclude_unset": True, "responses": ACTION}


class CriterionIn(In):
    code: str = Field(examples=["tech"])
    name: str | None = Field(default=None, examples=["技术标"])
    points: Number = Field(examples=[40])
    price: bool | None = Field(default=None, description="true for the price criterion")


class PriceFormulaIn(In):
    name: str | None = Field(default=None, examples=["lowest_benchmark"])
    coefficient: Number | None = None
    above_penalty: Number | None = None
    below_penalty: Number | None = None


class EvaluationIn(In):
    method: str | None = Field(default=None, description="lowest_price or composite", examples=["composite"])
    criteria: list[CriterionIn] | None = None
    price_formula: PriceFormulaIn | None = None
    candidates: int | str | None = Field(default=None, description="How many ranked candidates (default 3)")


class LotIn(In):
    title: str = Field(examples=["施工一标段"])
    category: Category | None = None
    estimated_price: Amount = Field(examples=["12000000"])
    deadline: str = Field(description="Bid deadline = opening time, ISO 8601, Beijing time unless an offset is given", examples=["2026-12-21T09:30"])
    max_price: Amount | None = Field(default=None, description="最高投标限价")
    bid_security: Amount | None = Field(default=None, description="投标保证金 (≤ 2% of the estimate for works)")
    performance_security_percent: Number | None = Field(default=None, description="履约保证金 percent of the contract (≤ 10)")
    evaluation: EvaluationIn | None = None


class TenderIn(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "regime": "works", "title": "朝阳区道路大修工程",
        "lots": [{"title": "施工一标段", "category": "works", "estimated_price": "12000000", "bid_security": "200000",
                  "deadline": "2026-12-21T09:30", "evaluation": {"method": "lowest_price"}}]}]})

    regime: Regime = Field(description="works (招标投标法) or gp (政府采购法)")
    method: Method | None = None
    title: str
    lots: list[LotIn]
    tenderer_uscc: str | None = Field(default=None, description="An agency names its client (the tenderer) by USCC")
    state_funded: bool | None = None
    region: str | None = Field(default=None, examples=["110000"])
    industry: str | None = None
    description: str | None = None
    investment_project_code: str | None = Field(default=None, description="投资项目统一代码")
    invitees: list[str] | None = Field(default=None, description="USCCs invited (邀请招标)")


class DocumentIn(In):
    title: str = Field(examples=["招标文件"])
    digest: str | None = Field(default=None, description="SM3/SHA-256 digest of the file")


class PublishIn(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"doc_sale_end": "2026-12-07", "documents": [{"title": "招标文件"}]}]})

    doc_sale_end: str = Field(description="Last day the documents are obtainable (≥ 5 days), YYYY-MM-DD")
    documents: list[DocumentIn] | None = None


class ClarifyIn(In):
    text: str = Field(examples=["第3.2条工期修改为180日历天"])
    lots: list[str] | None = Field(default=None, description="Lot ids or codes concerned (default all)")
    new_deadline: str | None = Field(default=None, description="A later deadline; a clarification less than 15 days before it must move it")


class ObjectionIn(In):
    lot: str = Field(description="Lot id or code")
    stage: ObjectionStage | None = None
    text: str


class AnswerIn(In):
    objection: str
    answer: str
    upheld: bool | None = None


class ReasonIn(In):
    reason: str | None = None


class SuspendIn(In):
    reason: str


class CancelIn(In):
    reason: str | None = None
    lot: str | None = Field(default=None, description="Cancel one lot only")


class RetenderIn(In):
    lot: str
    deadline: str = Field(examples=["2027-01-25T09:30"])
    reason: str | None = None


@router.get("", response_model=list[TenderSummary], responses=described(401, 422), summary="招标项目列表 / List tenders")
def list_tenders(status: TenderStatus | None = None, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10**9),
                 actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> list[dict[str, Any]]:
    return tenders.list_tenders(svc, actor, status=status.value if status else None, limit=limit, offset=offset)


@router.post("", status_code=201, response_model=TenderView, summary="新建招标项目 / Create a tender (draft)", **VIEW)
def create(body: TenderIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return tenders.create_tender(svc, actor, as_data(body))


@router.get("/{tender_id}", response_model=TenderView, summary="查看招标项目 / View a tender (role-filtered)", **VIEW)
def get(tender_id: str, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return tenders.get_tender(svc, actor, tender_id)


@router.post("/{tender_id}/publish", response_model=TenderView, summary="发布招标公告 / Publish", **VIEW)
def publish(tender_id: str, body: PublishIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return tenders.publish(svc, actor, tender_id, as_data(body))


@router.post("/{tender_id}/clarifications", response_model=TenderView, summary="澄清或修改招标文件 / Clarify", **VIEW)
def clarify(tender_id: str, body: ClarifyIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return tenders.clarify(svc, actor, tender_id, as_data(body))


@router.post("/{tender_id}/objections", response_model=Objection, summary="提出异议 / Raise an objection", **VIEW)
def raise_objection(tender_id: str, body: ObjectionIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return tenders.raise_objection(svc, actor, tender_id, as_data(body))


@router.post("/{tender_id}/objections/answer", response_model=TenderView, summary="答复异议 / Answer an objection", **VIEW)
def answer_objection(tender_id: str, body: AnswerIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return tenders.answer_objection(svc, actor, tender_id, as_data(body))


@router.post("/{tender_id}/suspend", response_model=TenderView, summary="暂停 / Suspend", **VIEW)
def suspend(tender_id: str, body: SuspendIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return tenders.suspend(svc, actor, tender_id, as_data(body))


@router.post("/{tender_id}/resume", response_model=TenderView, summary="恢复 / Resume", **VIEW)
def resume(tender_id: str, body: ReasonIn | None = None, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return tenders.resume(svc, actor, tender_id, as_data(body))


@router.post("/{tender_id}/cancel", response_model=TenderView, summary="终止招标 / Cancel", **VIEW)
def cancel(tender_id: str, body: CancelIn | None = None, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return tenders.cancel(svc, actor, tender_id, as_data(body))


@router.post("/{tender_id}/retender", response_model=TenderView, summary="重新招标 / Re-tender a failed lot", **VIEW)
def retender(tender_id: str, body: RetenderIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return tenders.retender(svc, actor, tender_id, as_data(body))

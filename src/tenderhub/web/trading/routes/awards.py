"""After evaluation: candidate publicity (公示), award notice (中标通知书), contract, performance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import Field

from tenderhub.core.shared.roles import Actor
from tenderhub.services import awards
from tenderhub.services.context import Services
from tenderhub.web.common.auth import current_actor, services
from tenderhub.web.common.bodies import Amount, as_data
from tenderhub.web.common.problems import ACTION
from tenderhub.web.trading.routes.bids import LotRef
from tenderhub.web.trading.views import TenderView

router = APIRouter(prefix="/api/tenders/{tender_id}", tags=["awards 定标与合同"])
VIEW: dict[str, Any] = {"response_model_exclude_unset": True, "responses": ACTION, "response_model": TenderView}


class PublicityIn(LotRef):
    days: int | str | None = Field(default=None, description="Publicity days (≥ 3 for works; default the legal minimum)")


class AwardIn(LotRef):
    bidder: str | None = Field(default=None, description="The winner by name, USCC or id (default: the first candidate)")
    reason: str | None = Field(default=None, description="Why not the first candidate, if another is chosen")


class ContractIn(LotRef):
    amount: Amount | None = Field(default=None, description="Contract price (default: the awarded price)")
    performance_security: Amount | None = Field(default=None, description="履约保证金 (≤ 10% of the contract)")
    period_days: int | str | None = None


class PerformanceIn(LotRef):
    kind: str | None = Field(default=None, description="progress, payment, completion …", examples=["progress"])
    text: str = Field(examples=["完成路基工程"])
    amount: Amount | None = None


@router.post("/publicity", summary="中标候选人公示 / Publicize the candidates", **VIEW)
def publicize(tender_id: str, body: PublicityIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return awards.publicize(svc, actor, tender_id, as_data(body))


@router.post("/award", summary="发出中标通知书 / Award", **VIEW)
def award(tender_id: str, body: AwardIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return awards.award(svc, actor, tender_id, as_data(body))


@router.post("/contract", summary="签订合同 / Sign the contract", **VIEW)
def contract(tender_id: str, body: ContractIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return awards.sign_contract(svc, actor, tender_id, as_data(body))


@router.post("/performance", summary="记录履约 / Record performance", **VIEW)
def performance(tender_id: str, body: PerformanceIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return awards.record_performance(svc, actor, tender_id, as_data(body))

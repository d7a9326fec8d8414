"""Bids (投标): register, submit, modify, withdraw before the deadline; open at the deadline.

Before opening a bidder sees only its own registration and bid; nobody sees who registered
(电子招标投标办法 第20–21条). The views returned here are filtered by the queries.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import ConfigDict, Field

from tenderhub.core.bids.model import SecurityForm
from tenderhub.core.shared.roles import Actor
from tenderhub.services import bids
from tenderhub.services.context import Services
from tenderhub.web.common.auth import current_actor, services
from tenderhub.web.common.bodies import Amount, In, as_data
from tenderhub.web.common.problems import ACTION
from tenderhub.web.trading.views import BidView, Opened, Registration

router = APIRouter(prefix="/api/tenders/{tender_id}", tags=["bids 投标"])
VIEW: dict[str, Any] = {"response_model_exclude_unset": True, "responses": ACTION}


class LotRef(In):
    lot: str = Field(description="Lot id or code (标段)")


class BidDocumentIn(In):
    name: str = Field(examples=["投标文件.pdf"])
    digest: str = Field(examples=["sha256:9f86d081884c7d65…"])
    size: int | str | None = None


class PriceFormIn(In):
    """The 开标一览表: what is read out at the opening."""

    price: Amount = Field(description="投标报价 (yuan)", examples=["11500000"])
    period_days: int | str | None = Field(default=None, description="工期 / 交货期 (days)", examples=[180])
    quality: str | None = Field(default=None, examples=["合格"])
    security_amount: Amount | None = Field(default=None, description="投标保证金 paid", examples=["200000"])
    security_form: SecurityForm | None = None
    project_manager: str | None = None
    documents: list[BidDocumentIn] | None = None


class SubmitIn(PriceFormIn, LotRef):
    model_config = ConfigDict(json_schema_extra={"examples": [{"lot": "L1-code", "price": "11500000", "period_days": 180, "security_amount": "200000"}]})


class ModifyIn(PriceFormIn):
    bid: str = Field(description="The bid id being modified (a new version replaces it)")


class WithdrawIn(In):
    bid: str
    reason: str | None = None


@router.post("/registrations", status_code=201, response_model=Registration, summary="报名 / Register for a lot", **VIEW)
def register(tender_id: str, body: LotRef, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return bids.register(svc, actor, tender_id, as_data(body))


@router.post("/bids", status_code=201, response_model=BidView, summary="递交投标文件 / Submit a bid", **VIEW)
def submit(tender_id: str, body: SubmitIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return bids.submit(svc, actor, tender_id, as_data(body))


@router.post("/bids/modify", response_model=BidView, summary="修改投标文件 / Modify a bid before the deadline", **VIEW)
def modify(tender_id: str, body: ModifyIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return bids.modify(svc, actor, tender_id, as_data(body))


@router.post("/bids/withdraw", response_model=BidView, summary="撤回投标文件 / Withdraw a bid before the deadline", **VIEW)
def withdraw(tender_id: str, body: WithdrawIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return bids.withdraw(svc, actor, tender_id, as_data(body))


@router.post("/opening", response_model=Opened, summary="开标 / Open the bids at the deadline", **VIEW)
def open_bids(tender_id: str, body: LotRef, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return bids.open_bids(svc, actor, tender_id, as_data(body))

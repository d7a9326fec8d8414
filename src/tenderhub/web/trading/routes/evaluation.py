"""Evaluation (评标): draw the committee, score, reject, adjust prices, finish, sign the report.

Expert names stay hidden until the award (招标投标法 第37条); the draw seed is recorded.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import ConfigDict, Field

from tenderhub.core.shared.roles import Actor
from tenderhub.services import evaluation
from tenderhub.services.context import Services
from tenderhub.web.common.auth import current_actor, services
from tenderhub.web.common.bodies import Amount, Number, as_data
from tenderhub.web.common.problems import ACTION
from tenderhub.web.trading.routes.bids import LotRef
from tenderhub.web.trading.views import Drawn, Finished, Scored, Signed

router = APIRouter(prefix="/api/tenders/{tender_id}", tags=["evaluation 评标"])
VIEW: dict[str, Any] = {"response_model_exclude_unset": True, "responses": ACTION}


class DrawIn(LotRef):
    model_config = ConfigDict(json_schema_extra={"examples": [{"lot": "L1-code", "experts": {"road": 3, "cost": 2}, "seed": "demo-seed-1"}]})

    experts: dict[str, int | str] = Field(description="How many experts to draw per specialty")
    seed: str | None = Field(default=None, description="Random seed (recorded; default random)")
    region: str | None = None
    representatives: list[str] | None = Field(default=None, description="Names of the tenderer's representatives")
    complex: bool | None = Field(default=None, description="A complex or high-impact project (larger committee)")


class BidRef(LotRef):
    bid: str = Field(description="Bid id, or the bidder's name or USCC")


class ScoreIn(BidRef):
    points: dict[str, Number] = Field(description="Points per criterion code (the price criterion is computed)", examples=[{"tech": 36, "business": 18}])


class RejectIn(BidRef):
    ground: str = Field(description="The ground for rejection (否决投标情形), e.g. signature, qualification")
    reason: str


class AdjustIn(BidRef):
    amount: Amount = Field(description="The corrected price (算术错误修正)")
    reason: str


class SignIn(LotRef):
    dissent: str | None = Field(default=None, description="A dissenting opinion, if any (signed with dissent)")


@router.post("/committee", response_model=Drawn, summary="抽取评标专家 / Draw the committee", **VIEW)
def draw(tender_id: str, body: DrawIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return evaluation.draw_committee(svc, actor, tender_id, as_data(body))


@router.post("/scores", response_model=Scored, summary="专家评分 / Score a bid", **VIEW)
def score(tender_id: str, body: ScoreIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return evaluation.score(svc, actor, tender_id, as_data(body))


@router.post("/rejections", response_model=Scored, summary="否决投标 / Reject a bid", **VIEW)
def reject(tender_id: str, body: RejectIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return evaluation.reject(svc, actor, tender_id, as_data(body))


@router.post("/price-adjustments", response_model=Scored, summary="修正报价 / Correct a price", **VIEW)
def adjust(tender_id: str, body: AdjustIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return evaluation.adjust_price(svc, actor, tender_id, as_data(body))


@router.post("/evaluation/finish", response_model=Finished, summary="完成评标 / Finish the evaluation", **VIEW)
def finish(tender_id: str, body: LotRef, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return evaluation.finish(svc, actor, tender_id, as_data(body))


@router.post("/report/signatures", response_model=Signed, summary="签署评标报告 / Sign the report", **VIEW)
def sign(tender_id: str, body: SignIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return evaluation.sign_report(svc, actor, tender_id, as_data(body))

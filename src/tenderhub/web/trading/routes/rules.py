"""The legal rules catalogue (public): every limit with its law and article."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from tenderhub.core.rules.catalogue import all_rules
from tenderhub.web.common.bodies import Out
from tenderhub.web.common.problems import Citation, Message, described

router = APIRouter(prefix="/api/rules", tags=["rules 法律规则"])


class RuleOut(Out):
    code: str = Field(examples=["works.bid_period_min"])
    key: str
    regimes: list[str]
    citations: list[Citation]
    law: str
    article: int
    title: Message
    message: Message
    limit: str | None
    unit: str


@router.get("", response_model=list[RuleOut], responses=described(422), summary="法律规则目录 / The rules catalogue")
def list_rules(regime: Literal["works", "gp"] | None = None) -> list[dict[str, Any]]:
    return [r.as_dict() for r in all_rules() if regime is None or regime in r.regimes]

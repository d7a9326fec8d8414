"""The legal calendar: the State Council's yearly holiday notice (operator)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import ConfigDict, Field

from tenderhub.core.shared.roles import Actor
from tenderhub.services import calendar
from tenderhub.services.context import Services
from tenderhub.web.common.auth import current_actor, services
from tenderhub.web.common.bodies import In, as_data
from tenderhub.web.common.problems import described
from tenderhub.web.trading.views import NoticeLoaded

router = APIRouter(prefix="/api/calendar", tags=["calendar 法定节假日"])


class NoticeIn(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "year": 2027, "holidays": ["2027-01-01", "2027-01-02"], "workdays": ["2027-02-14"],
        "source": "国务院办公厅关于2027年部分节假日安排的通知"}]})

    year: int | str
    holidays: list[str] = Field(description="Days off, YYYY-MM-DD")
    workdays: list[str] | None = Field(default=None, description="Weekend days that are worked (调休上班)")
    source: str | None = Field(default=None, description="The notice's title and number")


@router.post("/notices", response_model=NoticeLoaded, responses=described(400, 401, 403, 409, 422),
             summary="导入节假日安排通知 / Load a holiday notice (recomputes provisional deadlines)")
def load_notice(body: NoticeIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return calendar.load_notice(svc, actor, as_data(body))

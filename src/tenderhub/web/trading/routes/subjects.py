"""Market subjects (市场主体), platform users and the expert pool (评标专家库)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import ConfigDict, Field

from tenderhub.core.shared.roles import Actor, Role
from tenderhub.core.subjects.model import SubjectKind
from tenderhub.services import subjects
from tenderhub.services.context import Services
from tenderhub.web.common.auth import current_actor, services
from tenderhub.web.common.bodies import In, as_data
from tenderhub.web.common.problems import described
from tenderhub.web.trading.views import ExpertAdded, Registered, UserCreated

router = APIRouter(prefix="/api", tags=["subjects 主体与用户"])


class SubjectIn(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "uscc": "91110105MA00000025", "kind": "bidder", "name": "北京路桥建设有限公司", "legal_representative": "李强"}]})

    uscc: str = Field(description="统一社会信用代码 (GB 32100, check digit verified)")
    kind: SubjectKind
    name: str
    legal_representative: str | None = None
    region: str | None = Field(default=None, examples=["110000"])
    address: str | None = None
    contact_phone: str | None = None
    contact_person: str | None = Field(default=None, description="Name of the first user")
    related_uscc: list[str] | None = Field(default=None, description="Related parties (控股/管理关系), checked at bidding")


class UserIn(In):
    role: Role
    name: str
    id: str | None = None
    subject_id: str | None = None
    label: str | None = Field(default=None, description="Label of the issued token")


class ExpertIn(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "陈工", "specialties": ["road"]}]})

    name: str
    specialties: list[str]
    id: str | None = None
    region: str | None = None
    employer_uscc: str | None = Field(default=None, description="Employer (avoided when it bids)")
    conflicts: list[str] | None = Field(default=None, description="USCCs the expert must avoid (回避)")
    senior_title: bool | None = None
    equivalent_level: bool | None = None
    years_in_field: int | str | None = None
    id_number: str | None = None
    phone: str | None = None


@router.post("/subjects", status_code=201, response_model=Registered, responses=described(400, 401, 403, 409, 422),
             summary="主体注册 / Register a subject (self-registration; the token is shown once)")
def register(body: SubjectIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return subjects.register_subject(svc, actor, as_data(body))


@router.post("/users", status_code=201, response_model=UserCreated, responses=described(400, 401, 403, 409, 422),
             summary="新建用户 / Create a user (operator)")
def create_user(body: UserIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return subjects.create_user(svc, actor, as_data(body))


@router.post("/experts", status_code=201, response_model=ExpertAdded, responses=described(400, 401, 403, 409, 422),
             summary="专家入库 / Add an expert to the pool (operator)")
def add_expert(body: ExpertIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return subjects.add_expert(svc, actor, as_data(body))


class ImportIn(In):
    uscc: str = Field(description="统一社会信用代码 of a subject registered at the hub")
    contact_person: str | None = Field(default=None, description="Name of the first user")


class CreditRecordIn(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "uscc": "91110105MA00000025", "kind": "penalty", "title": "串通投标，处中标项目金额千分之五罚款",
        "date": "2026-12-01", "authority": "北京市发展和改革委员会", "basis": {"law": "招标投标法", "article": 53}}]})

    uscc: str
    kind: Literal["penalty", "award", "performance"]
    title: str
    authority: str
    date: str | None = Field(default=None, description="ISO 8601; default now")
    basis: dict[str, Any] | None = Field(default=None, description="{law, article}; required for a penalty")
    name: str | None = Field(default=None, description="Needed when the subject is not registered here")
    tender_code: str | None = None
    id: str | None = Field(default=None, description="The record's id (repeat it to resend the same record)")


@router.post("/subjects/import", status_code=201, responses=described(400, 401, 403, 404, 409, 422),
             summary="从公共服务平台导入主体 / Import a subject registered at the hub (operator)")
def import_subject(body: ImportIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return subjects.import_subject(svc, actor, as_data(body))


@router.post("/credit-records", status_code=201, responses=described(400, 401, 403, 404, 409, 422),
             summary="报送信用记录 / Report a credit record (penalty, award, performance) to the hub (operator, regulator)")
def report_credit(body: CreditRecordIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return subjects.report_credit(svc, actor, as_data(body))

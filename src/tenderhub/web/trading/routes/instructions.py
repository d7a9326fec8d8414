"""Supervision instructions (监督指令) received online, and the platform's exchange feed.

``POST /api/instructions`` takes an instruction signed by a key the platform trusts (the hub's,
or a supervision authority's) and answers with the platform's signed acknowledgement: 201 the
first time, 200 with the same acknowledgement on a repeat. ``GET /api/exchange/...`` publish
the platform's signing key and its signed OCDS releases (the conformance kit reads them).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse

from tenderhub.core.shared.roles import Actor
from tenderhub.services import exchange, instructions
from tenderhub.services.context import Services
from tenderhub.web.common.auth import current_actor, services
from tenderhub.web.common.problems import described

router = APIRouter(tags=["supervision 监督与数据交换"])
INSTRUCTION_EXAMPLE = {
    "instruction": {"id": "SUP-2026-0001", "kind": "suspend", "tender_id": "…", "reason": "投诉处理期间暂停",
                    "basis": {"law": "招标投标法实施条例", "article": 62}, "issued_at": "2026-12-10T09:00:00+08:00",
                    "issuer": {"name": "北京市发展和改革委员会", "key_fingerprint": "…"}},
    "signature": "base64 of the signature over the canonical JSON of instruction",
}
REPEATED: dict[int | str, dict[str, Any]] = {200: {"description": "The same instruction again: the same acknowledgement (nothing happens twice)"}}


@router.post("/api/instructions", status_code=201, responses={**REPEATED, **described(400, 401, 403, 404, 409, 422)},
             summary="接收监督指令 / Receive a signed supervision instruction")
def post_instruction(body: Any = Body(..., examples=[INSTRUCTION_EXAMPLE]), svc: Services = Depends(services)) -> JSONResponse:
    """Kinds ``suspend`` (暂停), ``resume`` (恢复), ``correct`` (责令改正), ``inquire`` (询问)."""
    if not isinstance(body, dict):
        body = {"instruction": None}
    created, ack = instructions.receive(svc, body)
    return JSONResponse(ack, status_code=201 if created else 200)


@router.get("/api/instructions/{instruction_id}", responses=described(401, 403, 404),
            summary="监督指令及回执 / An instruction received and its acknowledgement")
def get_instruction(instruction_id: str, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return instructions.get(svc, actor, instruction_id)


@router.get("/api/exchange/key", summary="数据交换签名公钥 / The key that signs releases and acknowledgements")
def exchange_key(svc: Services = Depends(services)) -> dict[str, str]:
    return exchange.key_info(svc)


@router.get("/api/exchange/releases", responses=described(422),
            summary="已签名的 OCDS 发布 / The platform's signed releases, in feed order")
def exchange_releases(cursor: int = 0, limit: int = exchange.PAGE, svc: Services = Depends(services)) -> dict[str, Any]:
    return exchange.feed(svc, cursor, limit)


@router.get("/api/exchange/releases/{release_id:path}", responses=described(404),
            summary="一个已签名的 OCDS 发布 / One signed release")
def exchange_release(release_id: str, svc: Services = Depends(services)) -> dict[str, Any]:
    return exchange.release(svc, release_id)

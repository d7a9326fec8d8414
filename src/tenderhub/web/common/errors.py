"""One place maps errors to HTTP (STYLE rule 7): domain kinds, request validation, the rest."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tenderhub.core.shared.errors import DomainError
from tenderhub.core.shared.roles import Role
from tenderhub.web.common.problems import problem

log = logging.getLogger("tenderhub.web")

STATUS_OF_KIND = {"invalid": 422, "rule_violation": 422, "conflict": 409, "forbidden": 403, "not_found": 404}


class Unauthenticated(Exception):
    """The request carried a token that is malformed, unknown or revoked."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, on_domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(Unauthenticated, on_unauthenticated)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, on_unexpected)


def on_domain_error(request: Request, error: DomainError) -> JSONResponse:
    body = error.as_dict()
    status = STATUS_OF_KIND.get(error.kind, 422)
    kind = error.kind
    if status == 403 and anonymous(request):
        status, kind = 401, "unauthorized"
    extra: dict[str, Any] = {k: body[k] for k in ("rule", "law", "article", "citations") if k in body}
    return problem(status, kind, (error.message_zh, error.message_en), instance=request.url.path,
                   field=error.field, code=error.code, extra=extra)


def anonymous(request: Request) -> bool:
    actor = getattr(request.state, "actor", None)
    return actor is None or actor.role is Role.PUBLIC


def on_unauthenticated(request: Request, error: Unauthenticated) -> JSONResponse:
    return problem(401, "unauthorized", (error.zh, error.en), instance=request.url.path, field="authorization")


def on_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    errors = [{"field": field_path(e.get("loc", ())), "type": e.get("type", ""), "message": str(e.get("msg", ""))}
              for e in error.errors()]
    first = errors[0] if errors else {"field": None, "message": "invalid request"}
    en = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
    return problem(422, "invalid", (f"请求格式有误：{en}", en), instance=request.url.path, field=first["field"],
                   extra={"errors": errors})


def field_path(loc: Sequence[Any]) -> str | None:
    """``("body", "lots", 0, "deadline")`` → ``lots[0].deadline`` (the services' notation)."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or (str(loc[0]) if loc else None)


def on_http_error(request: Request, error: HTTPException) -> JSONResponse:
    kinds = {400: ("bad_request", "请求体无法解析（须为 UTF-8 JSON）", "The request body could not be parsed (UTF-8 JSON expected)"),
             404: ("not_found", "没有这个地址", "No such route"), 405: ("method_not_allowed", "不支持的请求方法", "Method not allowed")}
    kind, zh, en = kinds.get(error.status_code, ("invalid", "请求有误", str(error.detail)))
    return problem(error.status_code, kind, (zh, en), instance=request.url.path)


def on_unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "server_error", ("服务器内部错误，已记录", "Internal server error; it has been logged"),
                   instance=request.url.path)

"""RFC 9457 problem details: the one error body of the API (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

PROBLEM_TYPE = "application/problem+json"
TITLES = {
    "invalid": ("输入有误", "Invalid input"),
    "rule_violation": ("违反法定规则", "A legal rule refuses the action"),
    "conflict": ("当前状态不允许此操作", "Not allowed in the current state"),
    "forbidden": ("无权操作", "Forbidden"),
    "unauthorized": ("需要有效的 API 令牌", "A valid API token is required"),
    "not_found": ("未找到", "Not found"),
    "bad_request": ("请求无法解析", "Malformed request"),
    "method_not_allowed": ("不支持的请求方法", "Method not allowed"),
    "server_error": ("服务器内部错误", "Internal server error"),
}


class Message(BaseModel):
    zh: str = Field(examples=["投标截止时间距招标文件发出之日不得少于 20 日"])
    en: str = Field(examples=["The bid deadline must be at least 20 days after the documents are issued"])


class Citation(BaseModel):
    law: str = Field(examples=["中华人民共和国招标投标法"])
    article: int = Field(examples=[24])


class Problem(BaseModel):
    """A refusal: what went wrong, on which field, under which rule and article."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="Problem type URI (relative: /problems/{kind})", examples=["/problems/rule_violation"])
    title: str = Field(examples=["A legal rule refuses the action / 违反法定规则"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["The bid deadline must be at least 20 days after the documents are issued"])
    instance: str | None = Field(default=None, description="The request path", examples=["/api/tenders/3f0c…/publish"])
    kind: str = Field(examples=["rule_violation"])
    field: str | None = Field(default=None, description="The offending field path, e.g. lots[0].deadline", examples=["lots[0].deadline"])
    code: str = Field(examples=["works.bid_period_min"])
    rule: str | None = Field(default=None, examples=["works.bid_period_min"])
    law: str | None = Field(default=None, examples=["中华人民共和国招标投标法"])
    article: int | None = Field(default=None, examples=[24])
    citations: list[Citation] = Field(default_factory=list)
    message: Message
    errors: list[dict[str, Any]] | None = Field(default=None, description="Every field error (request validation only)")


def problem(status: int, kind: str, message: tuple[str, str], *, instance: str = "", field: str | None = None,
            code: str | None = None, extra: dict[str, Any] | None = None) -> JSONResponse:
    """A problem response; ``extra`` adds rule/law/article/citations or errors."""
    title_zh, title_en = TITLES.get(kind, TITLES["server_error"])
    zh, en = message
    body = {"type": f"/problems/{kind}", "title": f"{title_en} / {title_zh}", "status": status, "detail": en,
            "instance": instance or None, "kind": kind, "field": field, "code": code or kind,
            "rule": None, "law": None, "article": None, "citations": [], "message": {"zh": zh, "en": en}}
    body.update(extra or {})
    headers = {"WWW-Authenticate": 'Bearer realm="tenderhub"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def described(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the problems a route may answer with."""
    texts = {400: "Malformed request (the body is not JSON / UTF-8)", 401: "No or invalid API token (the public may not do this)",
             403: "The acting party may not do this", 404: "No such tender, lot or bid",
             409: "Not allowed in the current state", 422: "Invalid input or a legal rule refuses the action",
             500: "Internal server error"}
    return {s: {"model": Problem, "description": texts[s], "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for s in statuses}


ACTION = described(400, 401, 403, 404, 409, 422)
"""The problems of a use case on one tender."""

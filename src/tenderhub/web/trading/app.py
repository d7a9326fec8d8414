"""``create_app(platform)``: the trading platform's JSON API (OpenAPI at ``/openapi.json``)."""

from __future__ import annotations

from fastapi import FastAPI

from tenderhub import __version__
from tenderhub.bootstrap import Platform
from tenderhub.web.common import errors
from tenderhub.web.trading.routes import (
    awards,
    bids,
    calendar,
    evaluation,
    identity,
    instructions,
    rules,
    sealed,
    subjects,
    tenders,
)
from tenderhub.web.trading.views import Health

DESCRIPTION = """\
电子招标投标交易平台 API —— 招标、投标、开标、评标、定标、合同全流程。
The trading platform API of tenderhub: tender, bid, open, evaluate, award, contract.

* 认证 / Auth: `Authorization: Bearer <token>` (per-user API token); without it you act as the public.
* 错误 / Errors: RFC 9457 `application/problem+json` naming the field, the rule and its law and article.
* 保密 / Confidentiality: before opening a bidder sees only its own bid and nobody sees who
  registered (电子招标投标办法 第20–21条); expert names stay hidden until the award (招标投标法 第37条).
"""
ROUTERS = (subjects, tenders, bids, sealed, evaluation, awards, calendar, rules, identity, instructions)


def create_app(platform: Platform) -> FastAPI:
    app = FastAPI(title="tenderhub 交易平台 API / Trading platform API", description=DESCRIPTION, version=__version__)
    app.state.platform = platform
    app.state.services = platform.services
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.add_api_route("/healthz", healthz, methods=["GET"], response_model=Health, tags=["health"], summary="健康检查 / Health")
    return app


def healthz() -> dict[str, str]:
    return {"status": "ok"}

"""``create_hub_app(hub)``: the hub's (公共服务平台) HTTP API.

| route | what |
| --- | --- |
| ``POST /hub/platforms`` | register a trading platform (hub administrator token) |
| ``GET /hub/platforms``, ``GET /hub/platforms/{id}`` | the public registry |
| ``GET /hub/key`` | the hub's receipt-signing public key |
| ``POST /hub/releases`` | ingest one signed OCDS release; 201 with a signed receipt, 200 on a repeat |
| ``POST /hub/platforms:forward`` | register a platform forwarded by a lower hub, signed by it (``tree.py``) |
| ``POST /hub/tree-heads:forward`` | a lower hub's signed tree head and consistency proof (``monitor.py``) |
| ``POST /hub/releases:forward``, ``POST /hub/chain-heads:forward`` | a lower hub's forwards, each proven in its log (``proven.py``, ADR 0029) |
| ``GET /hub/lower-hubs``, ``GET /hub/lower-hubs/{id}[/tree-heads]`` | the lower hubs' logs: state, tree heads accepted, fork evidence |
| ``GET /hub/lower-hubs/{id}/flags``, ``POST …/flags/{flag}:clear`` | a lower hub's flags (fork, false claim) with their evidence; clearing one (hub administrator; ``clearing.py``, ADR 0031) |
| ``POST /hub/releases:batch`` | ingest up to 1000 signed releases in one transaction, one outcome each (``batch.py``) |
| ``GET /hub/releases/{id}`` | one release as its platform signed it (alone, or in a batch: ``batch``), its receipt; ``?ocid=`` when the id is in two processes |
| ``GET /hub/feed?cursor=C&limit=N`` | the changes feed |
| ``GET /hub/records/{ocid}`` | the record: releases and compiled release |
| ``POST /hub/chain-heads`` | log a platform's signed audit chain head; receipt with leaf index and STH |
| ``GET /hub/platforms/{id}/chain-heads`` | the heads logged for a platform (``after``, ``limit``) |
| ``GET /hub/log/sth`` | the signed tree head of the transparency log |
| ``GET /hub/log/inclusion?index=I&size=N`` | the audit path of leaf I in the tree of size N |
| ``GET /hub/log/consistency?first=M&second=N`` | the consistency proof between two sizes |
| ``GET /hub/log/entries?start=S&end=E`` | entries (canonical JSON), a page of at most 1000 |
| ``GET /hub/schemas``, ``GET /hub/schemas/{name}`` | the JSON Schemas of the protocol's messages (``messages.py``), also in ``/openapi.json`` |
| ``POST``/``GET /hub/blacklist``, ``GET``/``DELETE /hub/blacklist/{uscc}`` | the blacklist (``blacklist.py``) |
| ``/hub/subjects``, ``/hub/trust-list``, ``/hub/sso/…``, ``/hub/projects``, ``/hub/credit`` | shared registration and identity (``subjects.py``, ``trust.py``, ``sso.py``, ``projects.py``, ``credit.py``) |
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from tenderhub import __version__
from tenderhub.hub import (
    batch,
    blacklist,
    clearing,
    credit,
    feed,
    messages,
    monitor,
    projects,
    proven,
    registry,
    sso,
    subjects,
    transparency,
    tree,
    trust,
)
from tenderhub.hub.access import require_admin, the_hub
from tenderhub.hub.context import Hub
from tenderhub.hub.ingest import ingest
from tenderhub.hub.portal import routes as portal
from tenderhub.hub.validation import ReleaseInvalid
from tenderhub.web.common import errors
from tenderhub.web.common.problems import problem

DESCRIPTION = """\
公共服务平台 —— 交易平台登记、数据交换（签名的 OCDS 发布）、变更订阅。
The hub (public service platform): registry of trading platforms, ingestion of signed OCDS
releases with signed receipts, a changes feed that never skips a late commit, and records.
"""


def create_hub_app(hub: Hub, *, admin_token: str | None = None) -> FastAPI:
    """``admin_token``: required (Bearer) to register a platform; ``None`` leaves it open (tests)."""
    app = FastAPI(title="tenderhub 公共服务平台 / Hub API", description=DESCRIPTION, version=__version__)
    app.state.hub, app.state.admin_token = hub, admin_token
    errors.install(app)
    app.add_exception_handler(ReleaseInvalid, on_release_invalid)  # type: ignore[arg-type]
    for path, handler, method in ROUTES:
        app.add_api_route(path, handler, methods=[method], tags=["hub"])
    blacklist.install(app, hub)
    batch.install(app)  # POST /hub/releases:batch
    tree.install(app)  # POST /hub/platforms:forward (a lower hub's platforms, hub/tree.py)
    monitor.install(app)  # POST /hub/tree-heads:forward, GET /hub/lower-hubs[/{id}[/tree-heads]] (hub/monitor.py)
    proven.install(app)  # POST /hub/releases:forward, /hub/chain-heads:forward, GET /hub/lower-hubs/{id}/unproven|refusals
    clearing.install(app)  # GET /hub/lower-hubs/{id}/flags, POST …/flags/{flag}:clear (hub administrator; hub/clearing.py)
    subjects.install(app, hub)
    trust.install(app, hub)
    sso.install(app, hub)
    projects.install(app, hub)
    credit.install(app, hub)
    portal.install(app, hub)  # /portal/…, /hub/packages/…, /hub/releases.jsonl, /hub/datasets/… (hub/portal/routes.py)
    messages.install(app)  # GET /hub/schemas[/{name}], the message schemas in the OpenAPI document (last: every route added)
    return app


def on_release_invalid(request: Request, error: ReleaseInvalid) -> JSONResponse:
    """422: the schema's problems, or a rule's (``kind`` rule_violation, with rule, law and article)."""
    cited = {k: v for k, v in error.as_dict().items() if k in ("rule", "law", "article", "citations")}
    return problem(422, error.kind, (error.message_zh, error.message_en), instance=request.url.path,
                   field=error.field, code=error.code, extra={"problems": error.problems, **cited})


def register_platform(request: Request, body: Any = Body(...), authorization: str | None = Header(None)) -> JSONResponse:
    """登记交易平台 / Register a trading platform (signing key or certificate, and item-11 information)."""
    require_admin(request, authorization)
    return JSONResponse(registry.register(the_hub(request), body), status_code=201)


def list_platforms(request: Request) -> list[dict[str, Any]]:
    """交易平台名录 / The public registry of trading platforms."""
    return registry.listing(the_hub(request))


def get_platform(request: Request, platform_id: str) -> dict[str, Any]:
    return registry.get(the_hub(request), platform_id)


def hub_key(request: Request) -> dict[str, str]:
    """验签公钥 / The key that signs the hub's receipts."""
    return the_hub(request).key_info()


def post_release(request: Request, body: Any = Body(...)) -> JSONResponse:
    """接收签名的 OCDS 发布 / Ingest one signed release: 201 new, 200 the same again, 409 id reused, 422 invalid."""
    outcome = ingest(the_hub(request), body)
    return JSONResponse(outcome.receipt, status_code=201 if outcome.created else 200)


def get_release(request: Request, release_id: str, ocid: str | None = None) -> dict[str, Any]:
    return feed.release(the_hub(request), release_id, ocid)


def get_feed(request: Request, cursor: str | None = None, limit: int | None = None) -> dict[str, Any]:
    """变更订阅 / The changes feed in commit order; poll again with ``next_cursor``."""
    return feed.read_feed(the_hub(request), cursor, limit)


def get_record(request: Request, ocid: str) -> dict[str, Any]:
    return feed.record(the_hub(request), ocid)


def post_chain_head(request: Request, body: Any = Body(...)) -> JSONResponse:
    """记录审计链头 / Log a platform's signed audit chain head: 201 new, 200 the same again, 409 another hash."""
    created, receipt = transparency.log_chain_head(the_hub(request), body)
    return JSONResponse(receipt, status_code=201 if created else 200)


def get_chain_heads(request: Request, platform_id: str, after: int = -1, limit: int = transparency.PAGE) -> dict[str, Any]:
    """平台已记录的审计链头 / The audit chain heads logged for a platform, in log order."""
    return transparency.platform_heads(the_hub(request), platform_id, after, limit)


def get_sth(request: Request) -> dict[str, Any]:
    """签名树头 / The transparency log's signed tree head (key: ``GET /hub/key``)."""
    return transparency.tree_head(the_hub(request)).as_dict()


def get_inclusion(request: Request, index: int, size: int | None = None) -> dict[str, Any]:
    """包含性证明 / The audit path of leaf ``index`` in the tree of ``size`` leaves (default: all)."""
    return transparency.inclusion(the_hub(request), index, size)


def get_consistency(request: Request, first: int, second: int | None = None) -> dict[str, Any]:
    """一致性证明 / The consistency proof from size ``first`` to size ``second`` (default: all)."""
    return transparency.consistency(the_hub(request), first, second)


def get_entries(request: Request, start: int = 0, end: int | None = None) -> dict[str, Any]:
    """日志条目 / Log entries from ``start`` to ``end`` (exclusive), at most 1000; ``next`` continues."""
    return transparency.entries(the_hub(request), start, end)


def healthz() -> dict[str, str]:
    return {"status": "ok"}


ROUTES = (
    ("/hub/platforms", register_platform, "POST"),
    ("/hub/platforms", list_platforms, "GET"),
    ("/hub/platforms/{platform_id}", get_platform, "GET"),
    ("/hub/platforms/{platform_id}/chain-heads", get_chain_heads, "GET"),
    ("/hub/chain-heads", post_chain_head, "POST"),
    ("/hub/log/sth", get_sth, "GET"),
    ("/hub/log/inclusion", get_inclusion, "GET"),
    ("/hub/log/consistency", get_consistency, "GET"),
    ("/hub/log/entries", get_entries, "GET"),
    ("/hub/key", hub_key, "GET"),
    ("/hub/releases", post_release, "POST"),
    ("/hub/releases/{release_id:path}", get_release, "GET"),
    ("/hub/feed", get_feed, "GET"),
    ("/hub/records/{ocid:path}", get_record, "GET"),
    ("/healthz", healthz, "GET"),
)

"""The hub's blacklist (黑名单, cn-rules §8): one list that every trading platform checks
(joint punishment, 联合惩戒).

* ``POST /hub/blacklist`` (hub administrator): list a subject — dataset 302 黑名单:
  ``{uscc, name, reason, basis {law, article}, start, end, authority}``; ``end`` may be null
  (no end); times are ISO 8601, Beijing time unless an offset is given; ``end`` is exclusive.
* ``DELETE /hub/blacklist/{uscc}`` (hub administrator): remove the subject's current listings —
  dataset 303 撤销黑名单; the entries stay, stamped with the removal.
* ``GET /hub/blacklist``: the public list of the entries active now.
* ``GET /hub/blacklist/{uscc}?at=T``: the subject's listing active at ``T`` (default now), or 404.

The table lives in the hub's ``MetaData`` (``tables.metadata``); ``install`` also creates it
when missing, so a hub database opened before this module existed gains it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import Body, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from tenderhub.core.shared.clock import parse_beijing
from tenderhub.core.shared.errors import Invalid, NotFound
from tenderhub.core.shared.ids import validate_uscc
from tenderhub.db.types import JsonType, UtcDateTime
from tenderhub.hub import tables
from tenderhub.hub.access import require_admin, the_hub
from tenderhub.hub.context import Hub

LISTED, REMOVED = "302", "303"  # 公共资源交易平台系统数据规范: 黑名单, 撤销黑名单

entries = sa.Table(
    "hub_blacklist",
    tables.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uscc", sa.String(18), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("basis", JsonType, nullable=False),
    sa.Column("authority", sa.String(200), nullable=False),
    sa.Column("start", UtcDateTime, nullable=False),
    sa.Column("end", UtcDateTime, nullable=True),
    sa.Column("listed_at", UtcDateTime, nullable=False),
    sa.Column("removed_at", UtcDateTime, nullable=True),
    sa.Column("removal_reason", sa.Text, nullable=True),
)


# ---- parsing -------------------------------------------------------------------------------


def text(data: dict[str, Any], key: str, path: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{path}{key}: a non-empty text is required", message_zh=f"{path}{key}：必填文本", field=f"{path}{key}")
    return value.strip()


def moment(value: Any, key: str) -> datetime:
    try:
        return parse_beijing(str(value))
    except ValueError as exc:
        raise Invalid(f"{key} must be an ISO 8601 time", message_zh=f"{key} 须为 ISO 8601 时间", field=key) from exc


def basis_of(data: dict[str, Any]) -> dict[str, Any]:
    basis = data.get("basis")
    if not isinstance(basis, dict):
        raise Invalid("basis {law, article} is required", message_zh="basis 须注明法律依据 {law, article}", field="basis")
    article = basis.get("article")
    if not isinstance(article, int) or isinstance(article, bool) or article <= 0:
        raise Invalid("basis.article must be a positive article number", message_zh="basis.article 须为正整数条号", field="basis.article")
    return {"law": text(basis, "law", "basis."), "article": article}


def listing_row(hub: Hub, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", message_zh="请求体须为 JSON 对象", field="body")
    start = moment(data.get("start") or hub.clock.now().isoformat(), "start")
    end = None if data.get("end") is None else moment(data["end"], "end")
    if end is not None and end <= start:
        raise Invalid("end must come after start", message_zh="end 须晚于 start", field="end")
    return {"uscc": validate_uscc(text(data, "uscc")), "name": text(data, "name"), "reason": text(data, "reason"),
            "basis": basis_of(data), "authority": text(data, "authority"), "start": start, "end": end,
            "listed_at": hub.clock.now()}


# ---- the store -----------------------------------------------------------------------------


def view(row: Any) -> dict[str, Any]:
    removed = None if row.removed_at is None else {"dataset": REMOVED, "at": row.removed_at.isoformat(), "reason": row.removal_reason}
    return {"id": row.id, "dataset": LISTED, "uscc": row.uscc, "name": row.name, "reason": row.reason,
            "basis": row.basis, "authority": row.authority, "start": row.start.isoformat(),
            "end": None if row.end is None else row.end.isoformat(), "listed_at": row.listed_at.isoformat(),
            "removed": removed}


def active_at(at: datetime) -> Any:
    return sa.and_(entries.c.removed_at.is_(None), entries.c.start <= at,
                   sa.or_(entries.c.end.is_(None), entries.c.end > at))


def add(hub: Hub, data: Any) -> dict[str, Any]:
    values = listing_row(hub, data)
    with hub.engine.begin() as conn:
        new_id = conn.execute(sa.insert(entries).values(**values)).inserted_primary_key[0]  # type: ignore[index]
        return view(conn.execute(sa.select(entries).where(entries.c.id == new_id)).one())


def remove(hub: Hub, uscc: str, reason: str) -> list[dict[str, Any]]:
    current = sa.and_(entries.c.uscc == uscc, entries.c.removed_at.is_(None))
    with hub.engine.begin() as conn:
        ids = [r.id for r in conn.execute(sa.select(entries.c.id).where(current))]
        if not ids:
            raise NotFound(f"{uscc} is not on the blacklist", message_zh=f"{uscc} 不在黑名单中", field="uscc")
        conn.execute(sa.update(entries).where(entries.c.id.in_(ids)).values(removed_at=hub.clock.now(), removal_reason=reason))
        return [view(r) for r in conn.execute(sa.select(entries).where(entries.c.id.in_(ids)).order_by(entries.c.id))]


def active(hub: Hub, at: datetime, uscc: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(entries).where(active_at(at)).order_by(entries.c.uscc, entries.c.id)
    if uscc is not None:
        query = query.where(entries.c.uscc == uscc)
    with hub.engine.connect() as conn:
        return [view(r) for r in conn.execute(query)]


# ---- the routes ----------------------------------------------------------------------------


def post_listing(request: Request, body: Any = Body(...), authorization: str | None = Header(None)) -> JSONResponse:
    """列入黑名单 / List a subject on the blacklist (dataset 302; hub administrator token)."""
    require_admin(request, authorization)
    return JSONResponse(add(the_hub(request), body), status_code=201)


def delete_listing(request: Request, uscc: str, reason: str = "撤销黑名单", authorization: str | None = Header(None)) -> dict[str, Any]:
    """撤销黑名单 / Remove a subject's current listings (dataset 303; hub administrator token)."""
    require_admin(request, authorization)
    return {"dataset": REMOVED, "uscc": uscc, "removed": remove(the_hub(request), uscc, reason)}


def list_active(request: Request) -> list[dict[str, Any]]:
    """黑名单公示 / The entries active now."""
    hub = the_hub(request)
    return active(hub, hub.clock.now())


def get_listing(request: Request, uscc: str, at: str | None = None) -> dict[str, Any]:
    """查询黑名单 / The subject's listing active at ``at`` (default now), or 404."""
    hub = the_hub(request)
    found = active(hub, hub.clock.now() if at is None else moment(at, "at"), uscc)
    if not found:
        raise NotFound(f"{uscc} is not on the blacklist", message_zh=f"{uscc} 不在黑名单中", field="uscc")
    return max(found, key=lambda e: (e["end"] is None, e["end"] or ""))


ROUTES = (
    ("/hub/blacklist", post_listing, "POST"),
    ("/hub/blacklist", list_active, "GET"),
    ("/hub/blacklist/{uscc}", get_listing, "GET"),
    ("/hub/blacklist/{uscc}", delete_listing, "DELETE"),
)


def install(app: FastAPI, hub: Hub) -> None:
    """Create the table if missing and add the blacklist routes to the hub app."""
    entries.create(hub.engine, checkfirst=True)
    for path, handler, method in ROUTES:
        app.add_api_route(path, handler, methods=[method], tags=["hub", "blacklist"])

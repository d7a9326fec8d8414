"""The hub's OCDS publication endpoints (OCDS 1.1 packages, ``exchange.ocds.packages``):

| route | what |
| --- | --- |
| ``GET /hub/releases.jsonl?cursor=&limit=`` | a feed range as JSON Lines, one release per line; ``X-Next-Cursor`` |
| ``GET /hub/packages/releases?cursor=&limit=`` | a feed range as one release package (bulk); ``X-Next-Cursor`` and ``Link: rel=next``; 204 when the range is empty |
| ``GET /hub/packages/releases/{ocid}`` | the release package of one contracting process |
| ``GET /hub/packages/records/{ocid}`` | its record package (releases, compiled and versioned release) |

Every release is served in its public view (``privacy.view_for(Role.PUBLIC, …)``); the signed
originals stay at ``GET /hub/releases/{id}`` and in the feed. Ranges use the feed's cursor
(``feed.parse_cursor``, ``limit`` 1–1000).
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tenderhub.core.shared.roles import Role
from tenderhub.exchange.ocds.packages import Publisher, record_package, release_package
from tenderhub.exchange.privacy import view_for
from tenderhub.hub import feed, tables
from tenderhub.hub.context import Hub
from tenderhub.hub.datasets import releases_of

PUBLISHER = Publisher("tenderhub 公共服务平台")


def public(release: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = view_for(Role.PUBLIC, release)
    return found


def feed_range(hub: Hub, cursor: str | None, limit: int | None) -> tuple[list[dict[str, Any]], str]:
    after, size = feed.parse_cursor(cursor), feed.parse_limit(limit)
    r = tables.releases
    query = sa.select(r.c.position, r.c.canonical).where(r.c.position > after).order_by(r.c.position).limit(size)
    with hub.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [public(json.loads(row.canonical)) for row in rows], str(rows[-1].position if rows else after)


def releases_jsonl(request: Request, cursor: str | None = None, limit: int | None = None) -> Response:
    """发布 JSON Lines / A feed range, one release per line."""
    releases, next_cursor = feed_range(request.app.state.hub, cursor, limit)
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in releases)
    return Response(body, media_type="application/jsonl; charset=utf-8", headers={"X-Next-Cursor": next_cursor})


def bulk_package(request: Request, cursor: str | None = None, limit: int | None = None) -> Response:
    """批量发布包 / A feed range as one OCDS release package; 204 when nothing is new (a
    package needs at least one release)."""
    releases, next_cursor = feed_range(request.app.state.hub, cursor, limit)
    if not releases:
        return Response(status_code=204, headers={"X-Next-Cursor": next_cursor})
    package = release_package(releases, publisher=PUBLISHER, uri=str(request.url))
    link = str(request.url.include_query_params(cursor=next_cursor))
    return JSONResponse(package, headers={"X-Next-Cursor": next_cursor, "Link": f'<{link}>; rel="next"'})


def ocid_release_package(request: Request, ocid: str) -> dict[str, Any]:
    """发布包 / The release package of one contracting process."""
    releases = [public(r) for r in releases_of(request.app.state.hub, ocid)]
    return release_package(releases, publisher=PUBLISHER, uri=str(request.url))


def ocid_record_package(request: Request, ocid: str) -> dict[str, Any]:
    """记录包 / The record package of one contracting process."""
    releases = [public(r) for r in releases_of(request.app.state.hub, ocid)]
    return record_package(releases, publisher=PUBLISHER, uri=str(request.url))


def install(app: FastAPI) -> None:
    tags: list[str | Enum] = ["hub", "packages"]
    app.add_api_route("/hub/releases.jsonl", releases_jsonl, methods=["GET"], tags=tags)
    app.add_api_route("/hub/packages/releases", bulk_package, methods=["GET"], tags=tags)
    app.add_api_route("/hub/packages/releases/{ocid:path}", ocid_release_package, methods=["GET"], tags=tags)
    app.add_api_route("/hub/packages/records/{ocid:path}", ocid_record_package, methods=["GET"], tags=tags)

"""``GET /portal/``: the server-rendered search page (Jinja2, ``templates/portal.html``).

The same parameters as ``GET /portal/announcements``; a bad one is shown on the page (422)
next to its field. The trading platform's web app has no HTML (JSON API only); this page is
the hub's public face, in Chinese, without scripts.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from tenderhub.core.shared.errors import Invalid
from tenderhub.hub.context import Hub
from tenderhub.hub.portal import filters
from tenderhub.hub.portal.views import announcement_view
from tenderhub.hub.search import TYPE_NAMES, search

LIMIT = 20


@cache
def environment() -> jinja2.Environment:
    loader = jinja2.PackageLoader("tenderhub.hub.portal", "templates")
    return jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined)


def render(**context: Any) -> str:
    return environment().get_template("portal.html").render(**context)


def portal_page(request: Request, cursor: str | None = None, limit: int = LIMIT) -> HTMLResponse:
    """公共服务平台门户 / The portal's search page."""
    hub: Hub = request.app.state.hub
    raw = {k: v for k, v in request.query_params.items() if k in filters.PARAMS}
    context: dict[str, Any] = {"params": raw, "types": [(t.value, n) for t, n in TYPE_NAMES.items()],
                               "items": [], "error": None, "next_url": None}
    try:
        parsed = filters.parse(raw)
        with hub.engine.connect() as conn:
            found = search(conn, parsed.query, parsed.filters, limit=limit, cursor=cursor)
    except Invalid as exc:
        context["error"] = {"field": exc.field, "message": exc.message_zh or str(exc)}
        return HTMLResponse(render(**context), status_code=422)
    context["items"] = [announcement_view(a) for a in found.items]
    if found.next_cursor:
        context["next_url"] = "/portal/?" + urlencode({**raw, "limit": limit, "cursor": found.next_cursor})
    return HTMLResponse(render(**context))


def install(app: FastAPI) -> None:
    app.add_api_route("/portal/", portal_page, methods=["GET"], tags=["portal"], response_class=HTMLResponse)

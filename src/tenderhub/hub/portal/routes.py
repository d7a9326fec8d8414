"""The portal's HTTP API, installed on the hub app by ``install(app, hub)``.

| route | what |
| --- | --- |
| ``GET /portal/announcements?type=&q=&region=&industry=&method=&from=&to=&min_value=&max_value=&cursor=&limit=`` | search, newest first, keyset paging (``next_cursor``); 422 names a bad parameter |
| ``GET /portal/announcements/{id}`` | one announcement |
| ``GET /portal/tenders/{ocid}`` | every announcement of a contracting process |
| ``GET /portal/companies/{uscc}`` | a company's blacklist entries and credit records |
| ``POST /portal/subscriptions`` | save a search: secret Atom feed URL, webhook secret |
| ``DELETE /portal/subscriptions/{id}`` | unsubscribe (``Authorization: Bearer <secret>``) |
| ``GET /portal/subscriptions/{id}/atom?token=`` | the Atom 1.0 feed of the saved search |
| ``GET /portal/subscriptions/{id}/deliveries?token=`` | the webhook deliveries (attempts, status) |
| ``GET /portal/`` | the HTML search page (``page.py``) |

It also installs the publication endpoints (``hub.packages``) and the national datasets
(``hub.datasets``), and, on the app's start and stop, the portal indexer (``indexer.py``: it
follows the changes feed) and the webhook delivery worker.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from fastapi import Body, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

from tenderhub.core.shared.errors import NotFound
from tenderhub.core.shared.ids import validate_uscc
from tenderhub.hub import blacklist, datasets, packages
from tenderhub.hub.access import the_hub
from tenderhub.hub.context import Hub
from tenderhub.hub.portal import atom, filters, page, subscriptions
from tenderhub.hub.portal.delivery import DeliveryWorker
from tenderhub.hub.portal.indexer import PortalIndexer
from tenderhub.hub.portal.views import announcement_view
from tenderhub.hub.search import Page, for_ocid, get, search

CREDIT_MODULE = "tenderhub.hub.credit"


def find(hub: Hub, raw: dict[str, Any], cursor: str | None, limit: int) -> tuple[filters.Search, Page]:
    parsed = filters.parse(raw)
    with hub.engine.connect() as conn:
        return parsed, search(conn, parsed.query, parsed.filters, limit=limit, cursor=cursor)


def list_announcements(request: Request, cursor: str | None = None, limit: int = 20) -> dict[str, Any]:
    """公告检索 / Search announcements (newest first); pass ``next_cursor`` back as ``cursor``."""
    parsed, found = find(the_hub(request), dict(request.query_params), cursor, limit)
    return {"items": [announcement_view(a) for a in found.items], "next_cursor": found.next_cursor,
            "total": found.total_estimate, "filters": parsed.params}


def get_announcement(request: Request, uid: str) -> dict[str, Any]:
    """公告详情 / One announcement."""
    with the_hub(request).engine.connect() as conn:
        found = get(conn, uid)
    if found is None:
        raise NotFound(f"no announcement {uid}", message_zh=f"没有公告 {uid}", field="id")
    return announcement_view(found)


def get_tender(request: Request, ocid: str) -> dict[str, Any]:
    """项目公告 / Every announcement of one contracting process, oldest first."""
    with the_hub(request).engine.connect() as conn:
        found = for_ocid(conn, ocid)
    if not found:
        raise NotFound(f"no announcements of {ocid}", message_zh=f"{ocid} 没有公告", field="ocid")
    return {"ocid": ocid, "announcements": [announcement_view(a) for a in found]}


def blacklist_history(hub: Hub, uscc: str) -> list[dict[str, Any]]:
    """Every listing of the subject, removed ones included (stamped with the removal)."""
    e = blacklist.entries
    with hub.engine.connect() as conn:
        return [blacklist.view(r) for r in conn.execute(sa.select(e).where(e.c.uscc == uscc).order_by(e.c.id))]


def credit_records(hub: Hub, uscc: str) -> dict[str, Any] | None:
    """``tenderhub.hub.credit.credit_summary(hub, uscc)`` where that module exists."""
    if importlib.util.find_spec(CREDIT_MODULE) is None:
        return None
    summary: dict[str, Any] = importlib.import_module(CREDIT_MODULE).credit_summary(hub, uscc)
    return summary


def get_company(request: Request, uscc: str) -> dict[str, Any]:
    """企业信用与处罚信息 / A company's blacklist status (datasets 302/303) and credit records."""
    hub, code = the_hub(request), validate_uscc(uscc, field="uscc")
    now = hub.clock.now()
    entries = blacklist_history(hub, code)
    active = blacklist.active(hub, now, code)
    credit = credit_records(hub, code)
    return {"uscc": code, "blacklisted": bool(active), "blacklist": {"active": active, "history": entries},
            "credit": credit, "credit_available": credit is not None}


def post_subscription(request: Request, body: Any = Body(...)) -> JSONResponse:
    """订阅 / Save a search: the secret feed URL and the webhook signing secret (shown once)."""
    return JSONResponse(subscriptions.create(the_hub(request), body), status_code=201)


def delete_subscription(request: Request, subscription_id: str, authorization: str | None = Header(None)) -> dict[str, Any]:
    """退订 / Unsubscribe: ``Authorization: Bearer <the subscription secret>``; pending webhooks are cancelled."""
    secret = (authorization or "").removeprefix("Bearer ").strip() or None
    return subscriptions.unsubscribe(the_hub(request), subscription_id, secret)


def get_atom(request: Request, subscription_id: str, token: str | None = None) -> Response:
    """订阅的 Atom 源 / The saved search as an Atom 1.0 feed (newest 50)."""
    hub = the_hub(request)
    row = subscriptions.for_feed(hub, subscription_id, token, active=True)
    saved = subscriptions.saved_search(row)
    with hub.engine.connect() as conn:
        found = search(conn, saved.query, saved.filters, limit=atom.ENTRIES)
    body = atom.feed(row, found.items, str(request.base_url), str(request.url))
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def get_deliveries(request: Request, subscription_id: str, token: str | None = None) -> dict[str, Any]:
    """推送记录 / The webhook deliveries of a subscription (the feed token authorises)."""
    hub = the_hub(request)
    subscriptions.for_feed(hub, subscription_id, token)
    return {"id": subscription_id, "deliveries": subscriptions.delivery_log(hub, subscription_id)}


ROUTES = (
    ("/portal/announcements", list_announcements, "GET"),
    ("/portal/announcements/{uid:path}", get_announcement, "GET"),
    ("/portal/tenders/{ocid:path}", get_tender, "GET"),
    ("/portal/companies/{uscc}", get_company, "GET"),
    ("/portal/subscriptions", post_subscription, "POST"),
    ("/portal/subscriptions/{subscription_id}", delete_subscription, "DELETE"),
    ("/portal/subscriptions/{subscription_id}/atom", get_atom, "GET"),
    ("/portal/subscriptions/{subscription_id}/deliveries", get_deliveries, "GET"),
)


def install(app: FastAPI, hub: Hub) -> None:
    """The portal, publication and dataset routes; the webhook worker runs while the app does."""
    for path, handler, method in ROUTES:
        app.add_api_route(path, handler, methods=[method], tags=["portal"])
    page.install(app)
    packages.install(app)
    datasets.install(app)
    run_worker(app, hub)


def run_worker(app: FastAPI, hub: Hub) -> None:
    """Wrap the app's lifespan: the portal indexer and the webhook worker start with the app
    and stop with it. (A hub app mounted inside another app, as in ``embedded.py``, runs no
    lifespan of its own: the embedded system starts them itself.)"""
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(inner: Any) -> AsyncIterator[Any]:
        workers = (PortalIndexer(hub), DeliveryWorker(hub))
        for worker in workers:
            worker.start()
        try:
            async with previous(inner) as state:
                yield state
        finally:
            for worker in workers:
                worker.stop()

    app.router.lifespan_context = lifespan


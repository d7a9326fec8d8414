"""Subscriptions (增值服务): a saved portal search delivered as an Atom 1.0 feed and, when a
webhook URL is given, as signed webhook POSTs.

``create(hub, body)``: ``{owner, webhook_url?, q?, type?, region?, …}`` (the filters of
``GET /portal/announcements``); the owner is an e-mail address or a token of 8–200 letters,
digits, ``-`` or ``_``. The answer carries, once, the secret feed URL
(``/portal/subscriptions/{id}/atom?token=…``) and the webhook signing secret.

``enqueue(conn, announcement, at)``: called by the portal indexer for each new announcement,
in the transaction that indexes it; writes one ``portal_deliveries`` row per matching active
subscription with a webhook (unique per subscription and announcement, so a re-indexed
announcement is not sent twice). The candidates come from ``portal_subscription_keys``
(one row per type or ``*`` and region prefix or ``""``, written with the subscription)
through its index: an announcement of type *t* in region 110105 looks up the keys
(t | *) × ("", 11, 1101, 110105), and only those candidates are checked in full
(``filters.admits``): no scan of every subscription per announcement.

``unsubscribe(hub, id, secret)``: ``DELETE /portal/subscriptions/{id}`` with
``Authorization: Bearer <secret>`` (the webhook secret given at creation). The subscription
becomes inactive (its keys go, its pending deliveries are ``cancelled``, its Atom feed is
gone); its delivery log stays readable. A repeat answers the same.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from tenderhub.core.shared.errors import Forbidden, Invalid, NotFound
from tenderhub.hub.context import Hub
from tenderhub.hub.portal import filters
from tenderhub.hub.portal.store import deliveries, subscription_keys, subscriptions
from tenderhub.hub.portal.views import announcement_view
from tenderhub.hub.search import Announcement
from tenderhub.hub.search.tokens import region_prefix

EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,200}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def owner_of(body: dict[str, Any]) -> str:
    owner = body.get("owner")
    if not isinstance(owner, str) or not (EMAIL.match(owner) or TOKEN.match(owner)):
        raise Invalid("owner: an e-mail address or a token of 8–200 letters, digits, - or _",
                      message_zh="owner：须为电子邮箱或 8–200 位令牌", field="owner")
    return owner


def non_public(host: str) -> bool:
    """``localhost`` or a literal address that is not globally routable (loopback, private,
    link-local such as the cloud metadata 169.254.169.254, reserved; IPv4-mapped IPv6 too)."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return not (mapped or address).is_global


def webhook_of(body: dict[str, Any], *, private_ok: bool = False) -> str | None:
    url = body.get("webhook_url")
    if url in (None, ""):
        return None
    if not isinstance(url, str) or not URL.match(url) or len(url) > 2000:
        raise Invalid("webhook_url: an http(s) URL", message_zh="webhook_url：须为 http(s) 地址", field="webhook_url")
    try:
        parts = urlsplit(url)
        host = parts.hostname if parts.port is None or parts.port > 0 else None  # .port raises ValueError out of 0–65535
    except ValueError:
        host = None
    if not host:
        raise Invalid("webhook_url: an http(s) URL with a host (and a valid port)", message_zh="webhook_url：须为含主机名（及有效端口）的 http(s) 地址",
                      field="webhook_url")
    if not private_ok and non_public(host):
        raise Invalid(f"webhook_url: {host} is a loopback, private, link-local or reserved address; webhooks go to public addresses only",
                      message_zh=f"webhook_url：{host} 为本机、内网、链路本地或保留地址，推送地址须为公网地址", field="webhook_url")
    return url


def create(hub: Hub, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("a JSON object is required", message_zh="请求体须为 JSON 对象", field="body")
    search = filters.parse({k: body.get(k) for k in filters.PARAMS})
    at = hub.clock.now()
    row = {"id": uuid.uuid4().hex, "owner": owner_of(body), "query": search.query, "filters": search.params,
           "webhook_url": webhook_of(body, private_ok=hub.private_webhooks), "secret": secrets.token_urlsafe(32), "feed_token": secrets.token_urlsafe(24),
           "created_at": at, "active": True}
    with hub.engine.begin() as conn:
        conn.execute(sa.insert(subscriptions).values(**row))
        conn.execute(sa.insert(subscription_keys), keys_of(str(row["id"]), search))
    return {"id": row["id"], "owner": row["owner"], "filters": search.params, "webhook_url": row["webhook_url"],
            "feed_url": f"/portal/subscriptions/{row['id']}/atom?token={row['feed_token']}", "secret": row["secret"],
            "created_at": at.isoformat()}


ANY = "*"


def keys_of(subscription_id: str, search: filters.Search) -> list[dict[str, str]]:
    """The (type, region prefix) keys under which the subscription is found."""
    f = search.filters
    region = region_prefix(f.region) if f.region else ""
    return [{"subscription_id": subscription_id, "type": t, "region": region} for t in [t.value for t in f.types] or [ANY]]


def prefixes(region: str) -> list[str]:
    return ["", *(region[:n] for n in (2, 4, 6) if len(region) >= n)]


def saved_search(row: Any) -> filters.Search:
    return filters.parse(row.filters)


def find(hub: Hub, subscription_id: str) -> Any:
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(subscriptions).where(subscriptions.c.id == subscription_id)).first()
    if row is None:
        raise NotFound(f"no subscription {subscription_id}", message_zh=f"没有订阅 {subscription_id}", field="id")
    return row


def for_feed(hub: Hub, subscription_id: str, token: str | None, *, active: bool = False) -> Any:
    """The subscription, if ``token`` is its feed token (``Forbidden`` otherwise); with
    ``active``, ``NotFound`` once unsubscribed."""
    row = find(hub, subscription_id)
    if active and not row.active:
        raise NotFound(f"subscription {subscription_id} was cancelled", message_zh=f"订阅 {subscription_id} 已退订", field="id")
    if not token or not secrets.compare_digest(token.encode(), row.feed_token.encode()):
        raise Forbidden("token: the feed URL's token is required", message_zh="token：须使用订阅地址中的令牌", field="token")
    return row


def unsubscribe(hub: Hub, subscription_id: str, secret: str | None) -> dict[str, Any]:
    """Deactivate the subscription if ``secret`` is its secret; pending deliveries are cancelled."""
    row = find(hub, subscription_id)
    if not secret or not secrets.compare_digest(secret.encode(), row.secret.encode()):
        raise Forbidden("authorization: Bearer <the subscription secret> is required",
                        message_zh="authorization：须提供订阅密钥（Bearer）", field="authorization")
    d = deliveries
    with hub.engine.begin() as conn:
        conn.execute(sa.update(subscriptions).where(subscriptions.c.id == subscription_id).values(active=False))
        conn.execute(sa.delete(subscription_keys).where(subscription_keys.c.subscription_id == subscription_id))
        done = conn.execute(sa.update(d).where(d.c.subscription_id == subscription_id, d.c.status == "pending").values(status="cancelled"))
    return {"id": subscription_id, "active": False, "cancelled_deliveries": done.rowcount}


def candidates(conn: sa.Connection, a: Announcement) -> list[Any]:
    """The active subscriptions with a webhook whose keys admit the type and region of ``a``."""
    k, s = subscription_keys, subscriptions
    keyed = sa.select(k.c.subscription_id).where(k.c.type.in_([a.type.value, ANY]), k.c.region.in_(prefixes(a.region)))
    query = sa.select(s).where(s.c.id.in_(keyed), s.c.active.is_(True), s.c.webhook_url.is_not(None))
    return list(conn.execute(query).all())


def enqueue(conn: sa.Connection, a: Announcement, at: datetime) -> int:
    """One pending delivery per candidate subscription whose search admits ``a``."""
    rows = candidates(conn, a)
    if not rows:
        return 0
    done = {r.subscription_id for r in conn.execute(
        sa.select(deliveries.c.subscription_id).where(deliveries.c.announcement_uid == a.uid))}
    count = 0
    for row in rows:
        if row.id not in done and filters.admits(saved_search(row), a):
            conn.execute(sa.insert(deliveries).values(**delivery_row(row.id, a, at)))
            count += 1
    return count


def delivery_row(subscription_id: str, a: Announcement, at: datetime) -> dict[str, Any]:
    delivery_id = uuid.uuid4().hex
    body = {"delivery_id": delivery_id, "subscription_id": subscription_id, "event": "announcement.published",
            "announcement": announcement_view(a)}
    return {"delivery_id": delivery_id, "subscription_id": subscription_id, "announcement_uid": a.uid,
            "body": json.dumps(body, ensure_ascii=False, sort_keys=True), "status": "pending", "attempts": 0,
            "next_attempt_at": at, "created_at": at}


def delivery_log(hub: Hub, subscription_id: str) -> list[dict[str, Any]]:
    """The deliveries of a subscription (oldest first) with attempts and status."""
    d = deliveries
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(d).where(d.c.subscription_id == subscription_id).order_by(d.c.created_at, d.c.delivery_id)).all()
    return [{"delivery_id": r.delivery_id, "announcement": r.announcement_uid, "status": r.status, "attempts": r.attempts,
             "last_status": r.last_status, "last_error": r.last_error,
             "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None} for r in rows]

"""The webhook delivery worker: POSTs each pending delivery, with retries and backoff.

Each POST carries the stored JSON body byte for byte and the headers
``X-Tenderhub-Delivery`` (the delivery id: the receiver's idempotency key, the same on every
retry), ``X-Tenderhub-Event`` and ``X-Tenderhub-Signature: sha256=<hex HMAC-SHA256 of the
body with the subscription secret>``. A 2xx answer marks the delivery ``delivered``; a
connection error, a timeout, 408, 429 or a 5xx schedules a retry after ``backoff(attempts)``
(1 s doubling, at most 10 min) until ``MAX_ATTEMPTS``, then ``failed``; any other answer
(a 4xx: the receiver refuses it) is ``failed`` at once. Every attempt is counted with its
status code or error. One worker per hub (``DeliveryWorker``, a thread started with the app;
``follow`` is its loop, which the embedded system runs in its own thread).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from tenderhub.hub.context import Hub
from tenderhub.hub.portal.store import deliveries, subscriptions
from tenderhub.hub.portal.subscriptions import non_public

MAX_ATTEMPTS = 8
BATCH = 50
TIMEOUT = 10.0
log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4 … seconds, at most 600."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 600))


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute the HMAC over the raw body, compare in constant time."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


def due(hub: Hub, now: datetime) -> list[Any]:
    d, s = deliveries, subscriptions
    query = (sa.select(d.c.delivery_id, d.c.body, d.c.attempts, s.c.webhook_url, s.c.secret)
             .join(s, s.c.id == d.c.subscription_id)
             .where(d.c.status == "pending", d.c.next_attempt_at <= now)
             .order_by(d.c.next_attempt_at, d.c.delivery_id).limit(BATCH))
    with hub.engine.connect() as conn:
        return list(conn.execute(query).all())


def attempt(client: httpx.Client, row: Any) -> tuple[int | None, str | None]:
    body = row.body.encode("utf-8")
    headers = {"Content-Type": "application/json", "X-Tenderhub-Delivery": row.delivery_id,
               "X-Tenderhub-Event": "announcement.published", "X-Tenderhub-Signature": signature(row.secret, body)}
    try:
        answer = client.post(row.webhook_url, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    return answer.status_code, None


def outcome(status: int | None, attempts: int) -> str:
    if status is not None and 200 <= status < 300:
        return "delivered"
    retryable = status is None or status in (408, 429) or status >= 500
    return "pending" if retryable and attempts < MAX_ATTEMPTS else "failed"


def refused_address(url: str) -> str | None:
    """Why ``url`` must not be called: its host resolves to a non-public address (checked
    again at each attempt, since a name may resolve elsewhere after the subscription was made);
    ``None`` when every address is public or the name does not resolve (httpx then says so)."""
    parts = urlsplit(url)
    try:
        found = socket.getaddrinfo(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return None
    bad = sorted({str(info[4][0]) for info in found if non_public(str(info[4][0]))})
    return f"refused: {parts.hostname} resolves to a non-public address ({', '.join(bad)})" if bad else None


def record(hub: Hub, row: Any, status: int | None, error: str | None, *, final: bool = False) -> str:
    attempts, now = row.attempts + 1, hub.clock.now()
    state = "failed" if final else outcome(status, attempts)
    values: dict[str, Any] = {"attempts": attempts, "status": state, "last_status": status, "last_error": error,
                              "next_attempt_at": now + backoff(attempts)}
    if state == "delivered":
        values["delivered_at"] = now
    with hub.engine.begin() as conn:
        conn.execute(sa.update(deliveries).where(deliveries.c.delivery_id == row.delivery_id).values(**values))
    return state


def run_once(hub: Hub, client: httpx.Client) -> int:
    """Attempt every delivery due now; the number attempted."""
    rows = due(hub, hub.clock.now())
    for row in rows:
        refusal = None if hub.private_webhooks else refused_address(row.webhook_url)
        if refusal is not None:
            record(hub, row, None, refusal, final=True)
        else:
            record(hub, row, *attempt(client, row))
    return len(rows)


class DeliveryWorker:
    """A daemon thread running ``run_once`` every ``interval`` seconds until ``stop()``."""

    def __init__(self, hub: Hub, interval: float = 1.0) -> None:
        self.hub, self.interval = hub, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="portal-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT + 5)

    def _loop(self) -> None:
        follow(self.hub, self._stop, idle=self.interval)


def follow(hub: Hub, stop: threading.Event, *, idle: float = 1.0, sleep: Callable[[float], Any] | None = None) -> None:
    """``run_once`` every ``idle`` seconds until ``stop`` is set."""
    wait = sleep or stop.wait
    with httpx.Client() as client:
        while not stop.is_set():
            try:
                run_once(hub, client)
            except Exception:  # a database hiccup must not end the worker
                log.exception("portal webhook delivery failed")
            wait(idle)

"""What the upper hub refused for good, as the lower hub's forwarder keeps it (``hub/tree.py``).

A forwarded registration or chain head the upper hub refuses with a 4xx (a platform id taken
upstream by another key, a platform that changed its key, a head the upper hub cannot take) is
not retried: retrying the same signed bytes cannot help. The forwarder records it here (what,
which, the answer's status, code and message, when first and last refused) and goes on with the
rest, so one refusal does not blind the tree; transient errors (network, 5xx, 408, 429) are
still retried. ``GET /hub/upstream/refusals`` shows the record to the hub's administrator and to
everyone (the ids and the upper hub's reasons are public facts of the registry).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI, Request

from tenderhub.db.types import UtcDateTime
from tenderhub.hub import tables
from tenderhub.hub.access import the_hub
from tenderhub.hub.context import Hub
from tenderhub.hub.relay import hub_call, raise_if_unavailable

log = logging.getLogger("tenderhub.hub.upstream")
PATH = "/hub/upstream/refusals"
REGISTRATION, CHAIN_HEAD = "registration", "chain_head"

refusals = sa.Table(
    "hub_upstream_refusals",
    tables.metadata,
    sa.Column("what", sa.String(32), primary_key=True),  # registration | chain_head
    sa.Column("subject", sa.String(200), primary_key=True),  # the platform id, or "<platform id>#<seq>"
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("code", sa.String(64), nullable=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("first_refused_at", UtcDateTime, nullable=False),
    sa.Column("refused_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str | None
    message: str


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> Refusal | None:
    """Post to the upper hub: ``None`` when it took it (200/201), the ``Refusal`` for a 4xx;
    ``Transient`` (``relay.raise_if_unavailable``) when it may answer later."""
    answer = hub_call(client, "POST", path, json=body)
    if answer.status_code in (200, 201):
        return None
    raise_if_unavailable(answer)
    try:
        found = answer.json()
    except ValueError:
        found = None
    if not isinstance(found, dict):
        return Refusal(answer.status_code, None, answer.text[:500])
    message = found.get("message")
    text = message.get("en") if isinstance(message, dict) else found.get("detail") or answer.text
    return Refusal(answer.status_code, found.get("code"), str(text)[:2000])


def record(hub: Hub, what: str, subject: str, refusal: Refusal) -> None:
    """Keep the refusal (the latest answer; the first time stays)."""
    now, r = hub.clock.now(), refusals
    log.warning("the upper hub refused %s %s for good: HTTP %s %s %s", what, subject, refusal.status, refusal.code, refusal.message)
    values = {"status": refusal.status, "code": refusal.code, "message": refusal.message, "refused_at": now}
    with hub.engine.begin() as conn:
        where = sa.and_(r.c.what == what, r.c.subject == subject)
        if conn.execute(sa.update(r).where(where).values(**values)).rowcount == 0:
            conn.execute(sa.insert(r).values(what=what, subject=subject, first_refused_at=now, **values))


def entries(hub: Hub) -> list[dict[str, Any]]:
    r = refusals
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(r).order_by(r.c.first_refused_at, r.c.what, r.c.subject)).all()
    return [{"what": x.what, "subject": x.subject, "status": x.status, "code": x.code, "message": x.message,
             "first_refused_at": x.first_refused_at.isoformat(), "refused_at": x.refused_at.isoformat()} for x in rows]


def get_refusals(request: Request) -> dict[str, Any]:
    """上级平台拒收记录 / What the upper hub refused for good (registrations, chain heads) and why."""
    return {"refusals": entries(the_hub(request))}


def install(app: FastAPI) -> None:
    app.add_api_route(PATH, get_refusals, methods=["GET"], tags=["hub"])

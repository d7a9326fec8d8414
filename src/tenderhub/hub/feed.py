"""Reading the hub: the changes feed, one release, and the record of a contracting process.

``read_feed(hub, cursor, limit)``: the releases after ``cursor`` in feed order (the order the
ingest transactions committed, see ``ingest.py``), and ``next_cursor`` to poll with next. A
cursor is the last feed position seen, as a string; ``""`` or ``"0"`` starts at the beginning.
A poll that finds nothing returns the same cursor.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from tenderhub.core.shared.errors import Invalid, NotFound
from tenderhub.exchange.ocds.merge import compile_release
from tenderhub.hub import tables
from tenderhub.hub.context import Hub

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


def parse_cursor(cursor: str | None) -> int:
    if cursor in (None, ""):
        return 0
    assert cursor is not None
    if not cursor.isdigit() or len(cursor) > 18:
        raise Invalid("cursor: use the next_cursor of a previous page", message_zh="cursor：请使用上一页返回的 next_cursor", field="cursor")
    return int(cursor)


def parse_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit: between 1 and {MAX_LIMIT}", message_zh=f"limit：须在 1 到 {MAX_LIMIT} 之间", field="limit")
    return limit


def read_feed(hub: Hub, cursor: str | None = None, limit: int | None = None) -> dict[str, Any]:
    after, size = parse_cursor(cursor), parse_limit(limit)
    f, r = tables.feed, tables.releases
    query = (sa.select(f.c.position, f.c.platform_id, r.c.canonical).join(r, r.c.id == f.c.release_id)
             .where(f.c.position > after).order_by(f.c.position).limit(size))
    with hub.engine.connect() as conn:
        rows = conn.execute(query).all()
    items = [{"position": row.position, "platform_id": row.platform_id, "release": json.loads(row.canonical)} for row in rows]
    last = rows[-1].position if rows else after
    return {"items": items, "next_cursor": str(last), "limit": size}


def release(hub: Hub, release_id: str) -> dict[str, Any]:
    r, rc, f = tables.releases, tables.receipts, tables.feed
    query = (sa.select(r.c.canonical, r.c.platform_id, r.c.signature, f.c.position, rc.c.body, rc.c.signature.label("receipt_signature"))
             .join(rc, rc.c.release_id == r.c.id).join(f, f.c.release_id == r.c.id).where(r.c.id == release_id))
    with hub.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no release {release_id}", message_zh=f"没有发布 {release_id}", field="release_id")
    return {"release": json.loads(row.canonical), "platform_id": row.platform_id, "signature": row.signature,
            "position": row.position, "receipt": {"receipt": row.body, "signature": row.receipt_signature, "suite": "intl"}}


def record(hub: Hub, ocid: str) -> dict[str, Any]:
    """The OCDS record: every release of the process (date order) and the compiled release."""
    r = tables.releases
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(r.c.canonical).where(r.c.ocid == ocid).order_by(r.c.date, r.c.id)).all()
    if not rows:
        raise NotFound(f"no contracting process {ocid}", message_zh=f"没有采购过程 {ocid}", field="ocid")
    releases = [json.loads(row.canonical) for row in rows]
    return {"ocid": ocid, "releases": releases, "compiledRelease": compile_release(releases)}

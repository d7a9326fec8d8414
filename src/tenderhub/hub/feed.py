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

from tenderhub.core.shared.errors import Conflict, Invalid, NotFound
from tenderhub.exchange.ocds.merge import compile_release
from tenderhub.hub import stored, tables
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
    r = tables.releases
    query = sa.select(r.c.position, r.c.platform_id, r.c.canonical).where(r.c.position > after).order_by(r.c.position).limit(size)
    with hub.engine.connect() as conn:
        rows = conn.execute(query).all()
    items = [{"position": row.position, "platform_id": row.platform_id, "release": json.loads(row.canonical)} for row in rows]
    last = rows[-1].position if rows else after
    return {"items": items, "next_cursor": str(last), "limit": size}


def release(hub: Hub, release_id: str, ocid: str | None = None) -> dict[str, Any]:
    """The release as its platform signed it (``signature``, or ``batch``: its proof in a
    signed batch), its position and its receipt. Release ids are unique within an ocid
    (ADR 0013): when two processes hold the id, ``ocid`` chooses (409 ``ambiguous_release_id``
    without it)."""
    r = tables.releases
    query = stored.stored_query().where(r.c.id == release_id, *([r.c.ocid == ocid] if ocid else [])).order_by(r.c.position).limit(2)
    with hub.engine.connect() as conn:
        rows = conn.execute(query).all()
    if not rows:
        raise NotFound(f"no release {release_id}", message_zh=f"没有发布 {release_id}", field="release_id")
    if len(rows) > 1:
        raise Conflict(f"release id {release_id} is used in several contracting processes: add ?ocid=",
                       message_zh=f"发布 id {release_id} 用于多个交易项目：请加 ?ocid=", field="ocid", code="ambiguous_release_id")
    row = rows[0]
    return {**stored.envelope_of(row), "position": row.position, "receipt": stored.receipt_of(row)}


def record(hub: Hub, ocid: str) -> dict[str, Any]:
    """The OCDS record: every release of the process (date order) and the compiled release."""
    r = tables.releases
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(r.c.canonical).where(r.c.ocid == ocid).order_by(r.c.date, r.c.id)).all()
    if not rows:
        raise NotFound(f"no contracting process {ocid}", message_zh=f"没有采购过程 {ocid}", field="ocid")
    releases = [json.loads(row.canonical) for row in rows]
    return {"ocid": ocid, "releases": releases, "compiledRelease": compile_release(releases)}

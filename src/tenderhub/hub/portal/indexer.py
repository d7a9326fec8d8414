"""The portal indexer: a follower of the hub's commit-ordered changes feed.

Ingest stores a release, its log leaf, its feed position and its receipt, and nothing of the
portal. The indexer reads the feed (``hub_releases`` by position) after its stored cursor
(``portal_index_cursor``, one row), derives the announcements of each new release (``announcements.publish``: procedure
summary, index rows, webhook deliveries) and advances the cursor **in the same transaction**
as those rows: a batch is indexed exactly once, and an indexer stopped between batches
resumes at the first release it has not indexed. Feed positions are handed out at commit
(ADR 0008), so a reader at position *n* never finds a new row below *n*: a release whose
transaction started first and committed last is indexed when it appears, not skipped.

The cursor row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the write
lock), so two indexers never index the same batch: the second waits and then reads the
advanced cursor. The portal is therefore eventually consistent with the feed: the background
thread (``follow``) polls every ``IDLE`` seconds when it has caught up, typically < 1 s behind.
``catch_up(hub)`` drains it in the foreground (tests, ``tenderhub demo``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from tenderhub.hub import tables
from tenderhub.hub.context import Hub
from tenderhub.hub.portal import announcements
from tenderhub.hub.portal.store import index_cursor

BATCH = 200  # releases per transaction
IDLE = 0.2  # seconds between polls once caught up
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    releases: int
    announcements: int
    position: int


def position(hub: Hub) -> int:
    """The last feed position indexed."""
    with hub.engine.connect() as conn:
        return int(conn.execute(sa.select(index_cursor.c.position).where(index_cursor.c.id == 1)).scalar_one())


def index_next(hub: Hub, limit: int = BATCH) -> Step:
    """Index the releases after the cursor (at most ``limit``) and advance it, in one transaction."""
    with hub.engine.connect() as conn, conn.begin():
        after = lock_cursor(conn)
        rows = unindexed(conn, after, limit)
        count = sum(len(announcements.publish(conn, release_of(r.canonical), r.platform_id, r.received_at)) for r in rows)
        last = rows[-1].position if rows else after
        if rows:
            conn.execute(sa.update(index_cursor).where(index_cursor.c.id == 1).values(position=last))
    return Step(len(rows), count, last)


def lock_cursor(conn: sa.Connection) -> int:
    """The cursor, locked to the commit (SQLite: the database write lock, taken before reading)."""
    c = index_cursor
    if conn.dialect.name == "sqlite":
        conn.execute(sa.update(c).where(c.c.id == 1).values(position=c.c.position))
        return int(conn.execute(sa.select(c.c.position).where(c.c.id == 1)).scalar_one())
    return int(conn.execute(sa.select(c.c.position).where(c.c.id == 1).with_for_update()).scalar_one())


def unindexed(conn: sa.Connection, after: int, limit: int) -> list[Any]:
    r = tables.releases
    query = (sa.select(r.c.position, r.c.platform_id, r.c.canonical, r.c.received_at)
             .where(r.c.position > after).order_by(r.c.position).limit(limit))
    return list(conn.execute(query).all())


def release_of(canonical: str) -> dict[str, Any]:
    try:
        found: dict[str, Any] = orjson.loads(canonical)
    except orjson.JSONDecodeError:  # integers beyond 64 bits: the standard library reads them
        found = json.loads(canonical)
    return found


def catch_up(hub: Hub, limit: int = BATCH) -> dict[str, int]:
    """Index everything the feed holds now, in the foreground; totals and the cursor."""
    releases = found = 0
    while True:
        step = index_next(hub, limit)
        releases, found = releases + step.releases, found + step.announcements
        if step.releases == 0:
            return {"releases": releases, "announcements": found, "position": step.position}


def follow(hub: Hub, stop: threading.Event, *, idle: float = IDLE, sleep: Callable[[float], Any] | None = None) -> None:
    """Index batch after batch until ``stop`` is set; wait ``idle`` seconds when caught up.
    A failed batch (the database busy, a connection lost) is rolled back and tried again."""
    wait = sleep or stop.wait
    while not stop.is_set():
        try:
            step = index_next(hub)
        except Exception:  # a database hiccup must not end the indexer
            log.exception("portal indexing failed; retrying")
            wait(idle)
            continue
        if step.releases == 0:
            wait(idle)


class PortalIndexer:
    """``follow`` in a daemon thread, from ``start()`` to ``stop()``."""

    def __init__(self, hub: Hub, idle: float = IDLE) -> None:
        self.hub, self.idle = hub, idle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=follow, args=(self.hub, self._stop), kwargs={"idle": self.idle},
                                        name="portal-indexer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

"""Putting announcements into the portal index (in the caller's transaction)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tenderhub.hub.search.model import Announcement, AnnouncementType, as_utc
from tenderhub.hub.search.schema import SLOTS, announcements
from tenderhub.hub.search.tokens import document_tokens, month_of, value_digits


def tokens_of(a: Announcement) -> str:
    at = as_utc(a.published_at)
    facets = {"t": a.type.value, "i": a.industry, "m": a.method, "p": month_of(at.year, at.month),
              "v": None if a.value is None or a.value < 0 else value_digits(a.value)}
    return document_tokens(a.title, a.body, facets, a.region)


def second_of(a: Announcement) -> int:
    return int(as_utc(a.published_at).timestamp())


def row(a: Announcement, sort_key: int) -> dict[str, Any]:
    """The table row of ``a`` (also for bulk loads, which choose the sort keys themselves:
    ``second_of(a) * SLOTS + n``, n unique within the second)."""
    return {"sort_key": sort_key, "uid": a.uid, "type": a.type.value, "title": a.title, "body": a.body,
            "ocid": a.ocid, "platform": a.platform, "region": a.region, "industry": a.industry,
            "method": a.method, "published_at": as_utc(a.published_at), "value": a.value,
            "tokens": tokens_of(a)}


def _next_key(conn: sa.Connection, second: int) -> int:
    base = second * SLOTS
    top = conn.execute(sa.select(sa.func.max(announcements.c.sort_key)).where(
        announcements.c.sort_key >= base, announcements.c.sort_key < base + SLOTS)).scalar()
    return base if top is None else int(top) + 1


def index(conn: sa.Connection, a: Announcement) -> int:
    """Add ``a`` (or replace the announcement with the same ``uid``); its sort key.

    Writers of the index are expected to be serialized (one ingestion worker): two
    concurrent writers may pick the same sort key and one of them fails on the primary key.
    """
    remove(conn, a.uid)
    key = _next_key(conn, second_of(a))
    conn.execute(sa.insert(announcements), [row(a, key)])
    return key


def remove(conn: sa.Connection, uid: str) -> bool:
    """Take the announcement ``uid`` out of the index; whether it was there."""
    done = conn.execute(sa.delete(announcements).where(announcements.c.uid == uid))
    return bool(done.rowcount)


def announcement_of(r: Any) -> Announcement:
    """An ``Announcement`` from a selected row of ``portal_announcements``."""
    return Announcement(uid=r.uid, type=AnnouncementType(r.type), title=r.title, body=r.body,
                        ocid=r.ocid, platform=r.platform, region=r.region,
                        published_at=as_utc(r.published_at), industry=r.industry,
                        method=r.method, value=r.value)


def get(conn: sa.Connection, uid: str) -> Announcement | None:
    """The announcement ``uid``, or None."""
    found = conn.execute(sa.select(*_COLUMNS).where(announcements.c.uid == uid)).first()
    return None if found is None else announcement_of(found)


def for_ocid(conn: sa.Connection, ocid: str) -> list[Announcement]:
    """Every announcement of a contracting process, oldest first."""
    rows = conn.execute(sa.select(*_COLUMNS).where(announcements.c.ocid == ocid).order_by(announcements.c.sort_key))
    return [announcement_of(r) for r in rows]


_COLUMNS = [c for c in announcements.c if c.name != "tokens"]

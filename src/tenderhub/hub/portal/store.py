"""The portal's tables: subscriptions and webhook deliveries (on the hub's ``MetaData``), and
the search index (``tenderhub.hub.search``, its own ``MetaData`` with FTS5 / GIN).

* ``portal_subscriptions``: a saved search (query and filters as JSON), the owner (e-mail or
  token), an optional webhook URL, the secret that signs webhook bodies and the token of the
  secret Atom feed URL.
* ``portal_procedures``: per release, the summary of its procedure as of that release
  (``procedures.py``: title, lots, buyer, codes, suppliers); the latest row of an ocid is
  what the next release's announcements start from. Insert-only: concurrent ingests of one
  procedure never wait for each other here.
* ``portal_subscription_keys``: what a subscription can match, one row per (announcement
  type or ``*``, region prefix or ``""``): new announcements find their candidate
  subscriptions through the index on (type, region) instead of scanning them all.
* ``portal_index_cursor``: one row, the last feed position the portal indexer has indexed
  (``indexer.py``), advanced in the transaction that writes the index rows.
* ``portal_deliveries``: one row per (subscription, announcement), written by the indexer in
  the transaction that indexes the announcement; ``delivery_id`` is the idempotency key the receiver sees; the worker counts
  ``attempts`` and moves ``status`` pending → delivered | failed.
"""

from __future__ import annotations

import sqlalchemy as sa

from tenderhub.db.types import JsonType, UtcDateTime
from tenderhub.hub import tables
from tenderhub.hub.search import create_tables as create_search_tables

subscriptions = sa.Table(
    "portal_subscriptions",
    tables.metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("filters", JsonType, nullable=False),
    sa.Column("webhook_url", sa.Text, nullable=True),
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("feed_token", sa.String(100), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
)

deliveries = sa.Table(
    "portal_deliveries",
    tables.metadata,
    sa.Column("delivery_id", sa.String(40), primary_key=True),
    sa.Column("subscription_id", sa.String(40), sa.ForeignKey("portal_subscriptions.id"), nullable=False, index=True),
    sa.Column("announcement_uid", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.UniqueConstraint("subscription_id", "announcement_uid", name="portal_deliveries_once"),
)
subscription_keys = sa.Table(
    "portal_subscription_keys",
    tables.metadata,
    sa.Column("subscription_id", sa.String(40), sa.ForeignKey("portal_subscriptions.id"), primary_key=True),
    sa.Column("type", sa.String(32), primary_key=True),  # an AnnouncementType value, or "*"
    sa.Column("region", sa.String(6), primary_key=True),  # a region prefix (11, 1101, 110105), or ""
)
sa.Index("portal_subscription_keys_match", subscription_keys.c.type, subscription_keys.c.region)

index_cursor = sa.Table(
    "portal_index_cursor",
    tables.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("position", sa.BigInteger, nullable=False),
)

sa.Index("portal_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at)

procedures = sa.Table(
    "portal_procedures",
    tables.metadata,
    sa.Column("n", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("release_id", sa.String(300), nullable=False, unique=True),
    sa.Column("ocid", sa.String(200), nullable=False),
    sa.Column("summary", JsonType, nullable=False),
)
sa.Index("portal_procedures_ocid", procedures.c.ocid, procedures.c.n)


def create_tables(engine: sa.Engine) -> None:
    """The search index and the portal tables, if missing (idempotent)."""
    create_search_tables(engine)
    tables.metadata.create_all(engine, tables=[subscriptions, deliveries, procedures, subscription_keys, index_cursor])
    with engine.begin() as conn:
        if conn.execute(sa.select(index_cursor.c.id)).first() is None:
            conn.execute(sa.insert(index_cursor).values(id=1, position=0))

"""The hub's own tables (its own ``MetaData``, its own database: never shared with a platform).

* ``platforms``: the registry of trading platforms, with their signing key and the public
  information the work plan's item 11 requires; also the lower hubs of the tree (``kind``
  ``hub``) and, in ``via``, the lower hub a forwarded platform came through (``hub/tree.py``).
* ``releases``: every accepted OCDS release, stored as its canonical JSON (byte-exact), with
  the digest, the platform signature and the platform that sent it.
* ``feed``: the changes feed; ``position`` is taken from ``feed_head`` inside the ingest
  transaction, so positions are handed out in commit order (see ``ingest.py``).
* ``feed_head``: one row, the last position handed out (the row lock serializes ingests).
* ``receipts``: the hub-signed receipt of each release, returned again on a repeated post.
"""

from __future__ import annotations

import sqlalchemy as sa

from tenderhub.db.types import JsonType, UtcDateTime

metadata = sa.MetaData()

platforms = sa.Table(
    "hub_platforms",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("suite", sa.String(8), nullable=False),
    sa.Column("public_pem", sa.Text, nullable=False),
    sa.Column("certificate_pem", sa.Text, nullable=True),
    sa.Column("key_fingerprint", sa.String(64), nullable=False),
    sa.Column("info", JsonType, nullable=False),
    sa.Column("registered_at", UtcDateTime, nullable=False),
    # "platform" (a trading platform) or "hub" (a lower hub of the tree, hub/tree.py)
    sa.Column("kind", sa.String(8), nullable=False, server_default="platform"),
    sa.Column("via", sa.String(64), nullable=True),  # the lower hub that forwarded the registration
)

releases = sa.Table(
    "hub_releases",
    metadata,
    sa.Column("id", sa.String(300), primary_key=True),
    sa.Column("ocid", sa.String(200), nullable=False, index=True),
    sa.Column("platform_id", sa.String(64), sa.ForeignKey("hub_platforms.id"), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("canonical", sa.Text, nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("date", sa.String(64), nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
)

feed = sa.Table(
    "hub_feed",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("release_id", sa.String(300), sa.ForeignKey("hub_releases.id"), nullable=False, unique=True),
    sa.Column("ocid", sa.String(200), nullable=False),
    sa.Column("platform_id", sa.String(64), nullable=False),
)

feed_head = sa.Table(
    "hub_feed_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last", sa.BigInteger, nullable=False),
)

receipts = sa.Table(
    "hub_receipts",
    metadata,
    sa.Column("release_id", sa.String(300), sa.ForeignKey("hub_releases.id"), primary_key=True),
    sa.Column("body", JsonType, nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
)


def create_all(engine: sa.Engine) -> None:
    """Create the tables if missing and the single ``feed_head`` row (idempotent)."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        if conn.execute(sa.select(feed_head.c.id)).first() is None:
            conn.execute(sa.insert(feed_head).values(id=1, last=0))

"""The schema (ADR 0003): one JSON ``doc`` per aggregate plus the columns we query on.

Ids are 36-char strings generated in Python; every constraint is named by ``NAMING`` so
Alembic batch mode on SQLite can find them. Migrations are hand-checked against this
module by ``migrate.check`` (autogenerate diff must be empty).
"""

from __future__ import annotations

import sqlalchemy as sa

from tenderhub.db.types import JsonType, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

Id = sa.String(36)
Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only


def _doc_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("doc", JsonType, nullable=False),
    ]


tenders = sa.Table(
    "tenders",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("regime", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False, index=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("tenderer_id", Id, nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    *_doc_columns(),
)

tender_bids = sa.Table(  # the bids of each lot, out of the tender document (ADR 0010)
    "tender_bids",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("tender_id", Id, sa.ForeignKey("tenders.id"), nullable=False, index=True),
    sa.Column("lot_id", Id, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),  # position in the lot's list of bids
    sa.Column("bidder_id", Id, nullable=False, index=True),
    sa.Column("status", sa.String(32), nullable=False),
    *_doc_columns(),
)

tender_registrations = sa.Table(  # who registered for each lot, out of the tender document (ADR 0010)
    "tender_registrations",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("tender_id", Id, sa.ForeignKey("tenders.id"), nullable=False, index=True),
    sa.Column("lot_id", Id, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),  # position in the lot's list of registrations
    sa.Column("bidder_id", Id, nullable=False, index=True),
    *_doc_columns(),
)

subjects = sa.Table(
    "subjects",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("uscc", sa.String(18), nullable=False, unique=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    *_doc_columns(),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), nullable=True, index=True),
    *_doc_columns(),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
)

experts = sa.Table(
    "experts",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("region", sa.String(64), nullable=False, index=True),
    *_doc_columns(),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("seq", Serial, primary_key=True, autoincrement=True),
    sa.Column("id", Id, nullable=False, unique=True),
    sa.Column("tag", sa.String(100), nullable=False, index=True),
    sa.Column("target", sa.String(200), nullable=False, index=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("ip", sa.String(64), nullable=False),
    sa.Column("device", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("data", JsonType, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("seq", Serial, primary_key=True, autoincrement=True),
    sa.Column("id", Id, nullable=False, unique=True),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("payload", JsonType, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=True, index=True),
    sa.Column("attempts", sa.Integer, nullable=False),
)

calendar_notices = sa.Table(
    "calendar_notices",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("doc", JsonType, nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
    sa.Column("loaded_by", sa.String(200), nullable=False),
)

sequences = sa.Table(
    "sequences",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

blobs = sa.Table(  # content-addressed files (tenderhub.blobs); rows are never updated
    "blobs",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("kind", sa.String(64), nullable=False, index=True),
    sa.Column("owner", sa.String(200), nullable=False, index=True),
)

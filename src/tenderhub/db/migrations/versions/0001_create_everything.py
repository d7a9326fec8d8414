"""create everything: aggregates as JSON documents, audit chain, outbox, calendar, sequences

Revision ID: 0001
Revises:
Create Date: 2026-11-27

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode: constraints named by tables.NAMING) and PostgreSQL.
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub.
[x] New NOT NULL columns have a server_default or a backfill step (new tables: n/a).
[x] No rename-and-drop in one release.
[x] Large tables: n/a (first revision).
[x] JSON documents: n/a (first revision).
[x] audit_events rows are never updated or deleted.
[x] downgrade() undoes upgrade() exactly; the round trip test passes.
[x] ``tenderhub.db.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _serial() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id(name: str = "id", **kw: object) -> sa.Column[str]:
    return sa.Column(name, sa.String(36), **kw)  # type: ignore[arg-type]


def _doc() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", _json(), nullable=False),
    ]


INDEXES = [
    ("audit_events", "tag"),
    ("audit_events", "target"),
    ("experts", "region"),
    ("outbox", "sent_at"),
    ("tenders", "status"),
    ("tenders", "tenderer_id"),
    ("users", "subject_id"),
    ("api_tokens", "user_id"),
]


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", _serial(), autoincrement=True, nullable=False),
        _id(nullable=False),
        sa.Column("tag", sa.String(100), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("device", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("id", name=op.f("uq_audit_events_id")),
    )
    op.create_table(
        "calendar_notices",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("doc", _json(), nullable=False),
        sa.Column("loaded_at", _time(), nullable=False),
        sa.Column("loaded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_notices")),
    )
    op.create_table(
        "experts",
        _id(nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        *_doc(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experts")),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", _serial(), autoincrement=True, nullable=False),
        _id(nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("sent_at", _time(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("id", name=op.f("uq_outbox_id")),
    )
    op.create_table(
        "sequences",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sequences")),
    )
    op.create_table(
        "subjects",
        _id(nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        *_doc(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
        sa.UniqueConstraint("uscc", name=op.f("uq_subjects_uscc")),
    )
    op.create_table(
        "tenders",
        _id(nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("regime", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        _id("tenderer_id", nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        *_doc(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenders")),
        sa.UniqueConstraint("code", name=op.f("uq_tenders_code")),
    )
    op.create_table(
        "users",
        _id(nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        _id("subject_id", nullable=True),
        *_doc(),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_users_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        _id("user_id", nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("revoked_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_api_tokens")),
    )
    for table, column in INDEXES:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def downgrade() -> None:
    for table, column in reversed(INDEXES):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
    for table in (
        "api_tokens",
        "users",
        "tenders",
        "subjects",
        "sequences",
        "outbox",
        "experts",
        "calendar_notices",
        "audit_events",
    ):
        op.drop_table(table)

"""blobs: the content-addressed files the platform stores (digest, size, kind, owner)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode: constraints named by tables.NAMING) and PostgreSQL.
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub
    (a migration is frozen in time; the app's code moves on).
[x] New NOT NULL columns have a server_default or a backfill step (a new table: n/a).
[x] No rename-and-drop in one release.
[x] Large tables: n/a (a new, empty table).
[x] JSON documents: n/a.
[x] audit_events rows are never updated or deleted (untouched).
[x] downgrade() undoes upgrade() exactly; the round trip test passes.
[x] ``tenderhub.db.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = ("kind", "owner")


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_blobs")),
    )
    with op.batch_alter_table("blobs") as batch:
        for column in INDEXES:
            batch.create_index(batch.f(f"ix_blobs_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("blobs") as batch:
        for column in reversed(INDEXES):
            batch.drop_index(batch.f(f"ix_blobs_{column}"))
    op.drop_table("blobs")

"""the upper hub keeps what a lower hub forwarded and could not prove in its log (hub_lower_unproven) and what it refused of a lower hub's forwards (hub_lower_refusals)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

ADR 0029: a lower hub forwards releases and chain heads with the proof of their inclusion in
its own log; a signed claim that fails is kept with its evidence (``hub_lower_unproven``), and
every item the upper hub refuses of a lower hub's signed forwards is recorded per lower hub
(``hub_lower_refusals``, summarised in ``GET /hub/lower-hubs``; ``hub/proven.py``). The lower
hubs' tree heads go into the upper hub's log as leaves (no table: ``tlog_leaves``). A database
adopted by ``hub.migrate.prepare`` (built by ``create_all``) already has them: each step is
skipped when its table exists.

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode) and PostgreSQL (tests/hub/test_hub_migrations.py).
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub.
[x] New NOT NULL columns have a server_default: no column is added to an existing table.
[x] No rename-and-drop.
[x] Large tables: none touched (two new, small tables).
[x] JSON documents: ``hub_lower_unproven.subjects`` and ``.evidence`` are new.
[x] tlog_leaves and tlog_nodes rows are never updated or deleted (not touched).
[x] downgrade() undoes upgrade() exactly; the round trip test passes.
[x] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")  # type: ignore[return-value]


def _tables() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def upgrade() -> None:
    if "hub_lower_unproven" not in _tables():
        op.create_table("hub_lower_unproven",
                        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
                        sa.Column("hub_id", sa.String(length=64), nullable=False),
                        sa.Column("what", sa.String(length=32), nullable=False),
                        sa.Column("subjects", _json(), nullable=False),
                        sa.Column("detected_at", _time(), nullable=False),
                        sa.Column("evidence", _json(), nullable=False),
                        sa.PrimaryKeyConstraint("id"))
        with op.batch_alter_table("hub_lower_unproven") as batch_op:
            batch_op.create_index(batch_op.f("ix_hub_lower_unproven_hub_id"), ["hub_id"], unique=False)
    if "hub_lower_refusals" not in _tables():
        op.create_table("hub_lower_refusals",
                        sa.Column("hub_id", sa.String(length=64), nullable=False),
                        sa.Column("what", sa.String(length=32), nullable=False),
                        sa.Column("subject", sa.String(length=300), nullable=False),
                        sa.Column("status", sa.Integer(), nullable=False),
                        sa.Column("code", sa.String(length=64), nullable=True),
                        sa.Column("message", sa.Text(), nullable=False),
                        sa.Column("first_refused_at", _time(), nullable=False),
                        sa.Column("refused_at", _time(), nullable=False),
                        sa.Column("times", sa.Integer(), nullable=False),
                        sa.PrimaryKeyConstraint("hub_id", "what", "subject"))


def downgrade() -> None:
    op.drop_table("hub_lower_refusals")
    with op.batch_alter_table("hub_lower_unproven") as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_lower_unproven_hub_id"))
    op.drop_table("hub_lower_unproven")

"""hubs form a tree (电子招标投标办法 第45条): hub_platforms.kind and .via, hub_upstream_cursor

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

``kind`` tells a trading platform (``platform``) from a lower hub (``hub``); ``via`` names the
lower hub that forwarded a platform's registration; ``hub_upstream_cursor`` is the one-row
cursor of the forwarder (``hub/tree.py``). A database adopted by ``hub.migrate.prepare`` (built
by ``create_all`` from the current models, then stamped 0001) already has them: each step here
is skipped when its object exists.

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode) and PostgreSQL (tests/hub/test_hub_migrations.py).
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub.
[x] New NOT NULL columns have a server_default: ``kind`` defaults to 'platform' (every
    existing row is a trading platform); ``via`` is nullable.
[x] No rename-and-drop.
[x] Large tables: hub_platforms is small (one row per platform); no index added.
[x] JSON documents: unchanged.
[x] tlog_leaves and tlog_nodes rows are never updated or deleted (not touched).
[x] downgrade() undoes upgrade() exactly; the round trip test passes.
[x] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _columns() -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns("hub_platforms")}


def upgrade() -> None:
    missing = {"kind", "via"} - _columns()
    if missing:
        with op.batch_alter_table("hub_platforms", schema=None) as batch_op:
            if "kind" in missing:
                batch_op.add_column(sa.Column("kind", sa.String(length=8), server_default="platform", nullable=False))
            if "via" in missing:
                batch_op.add_column(sa.Column("via", sa.String(length=64), nullable=True))
    if "hub_upstream_cursor" not in sa.inspect(op.get_bind()).get_table_names():
        op.create_table("hub_upstream_cursor",
                        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
                        sa.Column("position", sa.BigInteger(), nullable=False),
                        sa.PrimaryKeyConstraint("id"))


def downgrade() -> None:
    op.drop_table("hub_upstream_cursor")
    with op.batch_alter_table("hub_platforms", schema=None) as batch_op:
        batch_op.drop_column("via")
        batch_op.drop_column("kind")

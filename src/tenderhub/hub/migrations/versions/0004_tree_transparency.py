"""the hub tree carries the transparency log: hub_chain_heads.signature, hub_lower_tree_heads, hub_lower_forks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Written on a branch where 0003 (batch signatures, release rows) did not exist yet; re-chained
after 0003 when the branches met (nothing here depends on 0003).

``hub_chain_heads.signature`` keeps the platform's signature of each logged head, so a lower
hub forwards the head upward as the platform signed it (``hub/tree.py``); heads logged before
this revision keep NULL and are not forwarded. ``hub_lower_tree_heads`` holds every signed tree
head accepted from a lower hub, ``hub_lower_forks`` the evidence against a lower hub whose log
forked (``hub/monitor.py``). A database adopted by ``hub.migrate.prepare`` (built by
``create_all`` from the current models) already has them: each step is skipped when its
object exists.

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode) and PostgreSQL (tests/hub/test_hub_migrations.py).
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub.
[x] New NOT NULL columns have a server_default: the only new column (``signature``) is nullable.
[x] No rename-and-drop.
[x] Large tables: hub_chain_heads gets one nullable column, no rewrite on PostgreSQL (no default);
    SQLite's batch mode copies the table once. No index added.
[x] JSON documents: ``hub_lower_forks.evidence`` is new.
[x] tlog_leaves and tlog_nodes rows are never updated or deleted (not touched).
[x] downgrade() undoes upgrade() exactly; the round trip test passes.
[x] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _tables() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def upgrade() -> None:
    if "signature" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("hub_chain_heads")}:
        with op.batch_alter_table("hub_chain_heads", schema=None) as batch_op:
            batch_op.add_column(sa.Column("signature", sa.Text(), nullable=True))
    if "hub_lower_tree_heads" not in _tables():
        op.create_table("hub_lower_tree_heads",
                        sa.Column("hub_id", sa.String(length=64), nullable=False),
                        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
                        sa.Column("root", sa.String(length=64), nullable=False),
                        sa.Column("timestamp", _time(), nullable=False),
                        sa.Column("signature", sa.Text(), nullable=False),
                        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
                        sa.Column("accepted_at", _time(), nullable=False),
                        sa.PrimaryKeyConstraint("hub_id", "size"))
    if "hub_lower_forks" not in _tables():
        op.create_table("hub_lower_forks",
                        sa.Column("hub_id", sa.String(length=64), nullable=False),
                        sa.Column("detected_at", _time(), nullable=False),
                        sa.Column("evidence", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
                        sa.PrimaryKeyConstraint("hub_id"))


def downgrade() -> None:
    op.drop_table("hub_lower_forks")
    op.drop_table("hub_lower_tree_heads")
    with op.batch_alter_table("hub_chain_heads", schema=None) as batch_op:
        batch_op.drop_column("signature")

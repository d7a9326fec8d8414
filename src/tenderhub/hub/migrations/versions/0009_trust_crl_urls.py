"""the hub keeps the URLs its administrator registered for fetching a CA's CRL (hub_trust_crl_urls)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

Written on a branch where 0008 was the head: it is re-chained after any revision merged
meanwhile (nothing here depends on another revision's objects).

``hub_trust_crl_urls``: one row per (CA, URL) where that CA publishes its CRL, registered by
the hub administrator (``hub/crlsources.py``); the hub fetches them with the distribution
points of its CA certificates (``hub/crlpull.py``). A database adopted by
``hub.migrate.prepare`` (built by ``create_all`` from the current models) already has it: the
step is skipped when the table exists.

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite and PostgreSQL (tests/hub/test_hub_migrations.py).
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub.
[x] New NOT NULL columns have a server_default: no column is added to an existing table.
[x] No rename-and-drop.
[x] Large tables: none touched (one new, small table).
[x] JSON documents: none.
[x] tlog_leaves and tlog_nodes rows are never updated or deleted (not touched).
[x] downgrade() undoes upgrade() exactly; the round trip test passes.
[x] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "hub_trust_crl_urls" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table("hub_trust_crl_urls",
                    sa.Column("ca_fingerprint", sa.String(length=64), nullable=False),
                    sa.Column("url", sa.String(length=2000), nullable=False),
                    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint("ca_fingerprint", "url"))


def downgrade() -> None:
    op.drop_table("hub_trust_crl_urls")

"""the hub's trust list gets CRLs (hub_trust_crls); a lower hub records what its upper hub refused for good (hub_upstream_refusals)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Written on a branch where 0004 was the head: it is re-chained after any revision merged
meanwhile (nothing here depends on another revision's objects).

``hub_trust_crls`` keeps the newest CRL of each CA of the trust list (and of intermediates under
them), checked against its CA before it is kept (``hub/crls.py``); ``hub_upstream_refusals`` the
registrations and chain heads the upper hub refused for good, so forwarding goes on past them
(``hub/upstream.py``, ``hub/tree.py``). A database adopted by ``hub.migrate.prepare`` (built by
``create_all`` from the current models) already has them: each step is skipped when its table
exists.

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode) and PostgreSQL (tests/hub/test_hub_migrations.py).
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub.
[x] New NOT NULL columns have a server_default: no column is added to an existing table.
[x] No rename-and-drop.
[x] Large tables: none touched (two new, small tables).
[x] JSON documents: none.
[x] tlog_leaves and tlog_nodes rows are never updated or deleted (not touched).
[x] downgrade() undoes upgrade() exactly; the round trip test passes.
[x] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _tables() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def upgrade() -> None:
    if "hub_trust_crls" not in _tables():
        op.create_table("hub_trust_crls",
                        sa.Column("issuer_fingerprint", sa.String(length=64), nullable=False),
                        sa.Column("issuer_name", sa.String(length=500), nullable=False),
                        sa.Column("issuer_pem", sa.Text(), nullable=False),
                        sa.Column("crl_pem", sa.Text(), nullable=False),
                        sa.Column("this_update", _time(), nullable=False),
                        sa.Column("next_update", _time(), nullable=True),
                        sa.Column("revoked", sa.Integer(), nullable=False),
                        sa.Column("published_at", _time(), nullable=False),
                        sa.PrimaryKeyConstraint("issuer_fingerprint"))
    if "hub_upstream_refusals" not in _tables():
        op.create_table("hub_upstream_refusals",
                        sa.Column("what", sa.String(length=32), nullable=False),
                        sa.Column("subject", sa.String(length=200), nullable=False),
                        sa.Column("status", sa.Integer(), nullable=False),
                        sa.Column("code", sa.String(length=64), nullable=True),
                        sa.Column("message", sa.Text(), nullable=False),
                        sa.Column("first_refused_at", _time(), nullable=False),
                        sa.Column("refused_at", _time(), nullable=False),
                        sa.PrimaryKeyConstraint("what", "subject"))


def downgrade() -> None:
    op.drop_table("hub_upstream_refusals")
    op.drop_table("hub_trust_crls")

"""hub_releases: no foreign key from platform_id to hub_platforms

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28

ADR 0033. A release row's ``platform_id`` is the owner of its ocid: the ingest stores a release
only when ``hub_ocids`` names its platform as the ocid's owner (``stored.claim``), and that row
keeps its own foreign key to ``hub_platforms``; platforms are never deleted. The key check per
release row (on PostgreSQL a lookup in ``hub_platforms`` under a row lock, ≈ 4 µs a row in a
synthetic test of 1 000-row ``COPY``s) checked again what the claim already guarantees.

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode; the key was created without a name, so the batch names it by
    ``NAMING`` to drop it) and PostgreSQL (its default name ``hub_releases_platform_id_fkey``).
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub: no type changes.
[x] New NOT NULL columns have a server_default: no new column.
[x] No rename-and-drop.
[x] Large tables: PostgreSQL drops a constraint without a rewrite; SQLite's batch mode copies
    hub_releases once (its way of dropping a constraint).
[x] JSON documents: none touched.
[x] tlog_leaves and tlog_nodes rows are never updated or deleted (not touched).
[x] A database adopted from today's ``create_all`` (no key) is left as it is.
[x] downgrade() puts the key back (PostgreSQL checks the stored rows, which the claim made valid).
[x] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade (the test's round trip).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PG_NAME = "hub_releases_platform_id_fkey"
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
SQLITE_NAME = "fk_hub_releases_platform_id_hub_platforms"


def has_key() -> bool:
    """A hub adopted from ``create_all`` of today's tables (``migrate.py``) never had the key."""
    keys = sa.inspect(op.get_bind()).get_foreign_keys("hub_releases")
    return any(key["referred_table"] == "hub_platforms" for key in keys)


def upgrade() -> None:
    if not has_key():
        return
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(PG_NAME, "hub_releases", type_="foreignkey")
        return
    with op.batch_alter_table("hub_releases", naming_convention=NAMING) as batch:
        batch.drop_constraint(SQLITE_NAME, type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(PG_NAME, "hub_releases", "hub_platforms", ["platform_id"], ["id"])
        return
    with op.batch_alter_table("hub_releases", naming_convention=NAMING) as batch:
        batch.create_foreign_key(SQLITE_NAME, "hub_platforms", ["platform_id"], ["id"])

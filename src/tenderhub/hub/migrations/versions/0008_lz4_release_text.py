"""PostgreSQL: the release rows' canonical JSON and receipt compressed by lz4, not pglz

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28

ADR 0027. A release row (≈ 3 KB: the canonical JSON, its receipt) is compressed by
PostgreSQL's TOAST on insert; with the default ``pglz`` that compression is the largest part
of the server's work per row (docs/benchmarks.md, hub-ingest, third pass). ``lz4`` (PostgreSQL
14 and later, when the server was built with it) compresses JSON a little less and much
faster. Only the columns' compression method changes: rows already stored keep theirs (both
are read transparently), new rows are written with lz4. A server without lz4 is left as it
is. SQLite: nothing to do.

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (nothing to do) and PostgreSQL (tests/hub/test_hub_migrations.py).
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub: no type changes.
[x] New NOT NULL columns have a server_default: no new column.
[x] No rename-and-drop.
[x] Large tables: ``SET COMPRESSION`` rewrites nothing (a catalog change; existing rows keep pglz).
[x] JSON documents: none touched.
[x] tlog_leaves and tlog_nodes rows are never updated or deleted (not touched).
[x] downgrade() undoes upgrade() exactly (back to pglz for new rows); the round trip test passes.
[x] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade (compression is not compared).
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = ("canonical", "receipt")


def lz4_available() -> bool:
    """PostgreSQL 14+ built with lz4 lists it among the TOAST compression methods."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    values = bind.exec_driver_sql("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'").scalar()
    return "lz4" in (values or [])


def _set(method: str) -> None:
    columns = ", ".join(f"ALTER COLUMN {name} SET COMPRESSION {method}" for name in COLUMNS)
    op.execute(f"ALTER TABLE hub_releases {columns}")


def upgrade() -> None:
    if lz4_available():
        _set("lz4")


def downgrade() -> None:
    if lz4_available():
        _set("pglz")

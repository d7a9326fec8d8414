"""one row per release (feed position and receipt in hub_releases), batch signatures, ocid
ownership: hub_ocids, hub_platform_batches, hub_receipt_batches, hub_platforms.ocid_prefix

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

ADR 0013. ``hub_releases`` is rebuilt: keyed by its feed ``position`` (from ``hub_feed``),
unique by (ocid, id) instead of by id, holding the receipt (from ``hub_receipts``: body as
text, signature) and the columns of batch signatures; ``hub_feed`` and ``hub_receipts`` are
dropped. ``hub_ocids`` is filled with the platform of each ocid's first release (lowest
position). A database adopted by ``hub.migrate.prepare`` (built from the current models, then
stamped 0001) already has the new shape: each step is skipped when done.

Downgrade refuses (and changes nothing) when the data cannot be represented in 0002: a
release signed in a batch, a receipt signed in a batch, or one release id under two ocids.

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode) and PostgreSQL (tests/hub/test_hub_migrations.py).
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub.
[x] New NOT NULL columns: the table is rebuilt and filled in one INSERT … SELECT (position
    and receipt come from hub_feed and hub_receipts, which every stored release has).
[x] No rename-and-drop: the old rows are copied to a scratch table, then into the new one.
[x] Large tables: hub_releases is copied twice (once each way); one statement each.
[x] JSON documents: the receipt body moves from a JSON column to text (same JSON).
[x] tlog_leaves and tlog_nodes rows are never updated or deleted (not touched).
[x] downgrade() undoes upgrade() exactly; the round trip test passes.
[x] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCRATCH = "hub_releases_0003_scratch"
COLUMNS = "position, id, ocid, platform_id, digest, canonical, signature, date, received_at, receipt, receipt_signature"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _tables() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def _new_releases() -> None:
    op.create_table("hub_releases",
                    sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
                    sa.Column("id", sa.String(length=300), nullable=False),
                    sa.Column("ocid", sa.String(length=200), nullable=False),
                    sa.Column("platform_id", sa.String(length=64), nullable=False),
                    sa.Column("digest", sa.String(length=64), nullable=False),
                    sa.Column("canonical", sa.Text(), nullable=False),
                    sa.Column("signature", sa.Text(), nullable=True),
                    sa.Column("batch_id", sa.Integer(), nullable=True),
                    sa.Column("batch_index", sa.Integer(), nullable=True),
                    sa.Column("batch_path", sa.LargeBinary(), nullable=True),
                    sa.Column("date", sa.String(length=64), nullable=False),
                    sa.Column("received_at", _time(), nullable=False),
                    sa.Column("receipt", sa.Text(), nullable=False),
                    sa.Column("receipt_signature", sa.Text(), nullable=True),
                    sa.Column("receipt_batch", sa.Integer(), nullable=True),
                    sa.Column("receipt_index", sa.Integer(), nullable=True),
                    sa.Column("receipt_path", sa.LargeBinary(), nullable=True),
                    sa.ForeignKeyConstraint(["platform_id"], ["hub_platforms.id"]),
                    sa.PrimaryKeyConstraint("position"),
                    sa.UniqueConstraint("ocid", "id", name="uq_hub_releases_ocid_id"))
    with op.batch_alter_table("hub_releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_releases_id"), ["id"], unique=False)


def _old_releases() -> None:
    op.create_table("hub_releases",
                    sa.Column("id", sa.String(length=300), nullable=False),
                    sa.Column("ocid", sa.String(length=200), nullable=False),
                    sa.Column("platform_id", sa.String(length=64), nullable=False),
                    sa.Column("digest", sa.String(length=64), nullable=False),
                    sa.Column("canonical", sa.Text(), nullable=False),
                    sa.Column("signature", sa.Text(), nullable=False),
                    sa.Column("date", sa.String(length=64), nullable=False),
                    sa.Column("received_at", _time(), nullable=False),
                    sa.ForeignKeyConstraint(["platform_id"], ["hub_platforms.id"]),
                    sa.PrimaryKeyConstraint("id"))
    with op.batch_alter_table("hub_releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_releases_ocid"), ["ocid"], unique=False)
    op.create_table("hub_feed",
                    sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
                    sa.Column("release_id", sa.String(length=300), nullable=False),
                    sa.Column("ocid", sa.String(length=200), nullable=False),
                    sa.Column("platform_id", sa.String(length=64), nullable=False),
                    sa.ForeignKeyConstraint(["release_id"], ["hub_releases.id"]),
                    sa.PrimaryKeyConstraint("position"),
                    sa.UniqueConstraint("release_id"))
    op.create_table("hub_receipts",
                    sa.Column("release_id", sa.String(length=300), nullable=False),
                    sa.Column("body", _json(), nullable=False),
                    sa.Column("signature", sa.Text(), nullable=False),
                    sa.ForeignKeyConstraint(["release_id"], ["hub_releases.id"]),
                    sa.PrimaryKeyConstraint("release_id"))


def _new_tables() -> None:
    have = _tables()
    if "hub_ocids" not in have:
        op.create_table("hub_ocids",
                        sa.Column("ocid", sa.String(length=200), nullable=False),
                        sa.Column("platform_id", sa.String(length=64), nullable=False),
                        sa.ForeignKeyConstraint(["platform_id"], ["hub_platforms.id"]),
                        sa.PrimaryKeyConstraint("ocid"))
    if "hub_platform_batches" not in have:
        op.create_table("hub_platform_batches",
                        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
                        sa.Column("platform_id", sa.String(length=64), nullable=False),
                        sa.Column("size", sa.Integer(), nullable=False),
                        sa.Column("root", sa.String(length=64), nullable=False),
                        sa.Column("signature", sa.Text(), nullable=False),
                        sa.ForeignKeyConstraint(["platform_id"], ["hub_platforms.id"]),
                        sa.PrimaryKeyConstraint("id"),
                        sa.UniqueConstraint("platform_id", "root", name="uq_hub_platform_batches_root"))
    if "hub_receipt_batches" not in have:
        op.create_table("hub_receipt_batches",
                        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
                        sa.Column("hub_key", sa.String(length=64), nullable=False),
                        sa.Column("size", sa.Integer(), nullable=False),
                        sa.Column("root", sa.String(length=64), nullable=False),
                        sa.Column("signature", sa.Text(), nullable=False),
                        sa.PrimaryKeyConstraint("id"))
    if "ocid_prefix" not in _columns("hub_platforms"):
        with op.batch_alter_table("hub_platforms", schema=None) as batch_op:
            batch_op.add_column(sa.Column("ocid_prefix", sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(batch_op.f("uq_hub_platforms_ocid_prefix"), ["ocid_prefix"])


def upgrade() -> None:
    _new_tables()
    if "position" in _columns("hub_releases"):
        return  # adopted: already built from the current models
    text = "CAST(rc.body AS TEXT)"
    op.execute(f"CREATE TABLE {SCRATCH} AS SELECT f.position AS position, r.id AS id, r.ocid AS ocid, r.platform_id AS platform_id, "
               f"r.digest AS digest, r.canonical AS canonical, r.signature AS signature, r.date AS date, r.received_at AS received_at, "
               f"{text} AS receipt, rc.signature AS receipt_signature "
               "FROM hub_releases r JOIN hub_feed f ON f.release_id = r.id JOIN hub_receipts rc ON rc.release_id = r.id")
    op.drop_table("hub_receipts")
    op.drop_table("hub_feed")
    with op.batch_alter_table("hub_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_releases_ocid"))
    op.drop_table("hub_releases")
    _new_releases()
    op.execute(f"INSERT INTO hub_releases ({COLUMNS}) SELECT {COLUMNS} FROM {SCRATCH}")
    op.execute("INSERT INTO hub_ocids (ocid, platform_id) SELECT r.ocid, r.platform_id FROM hub_releases r "
               "WHERE r.position = (SELECT MIN(s.position) FROM hub_releases s WHERE s.ocid = r.ocid) "
               "AND r.ocid NOT IN (SELECT ocid FROM hub_ocids)")
    op.drop_table(SCRATCH)


def _refuse_unrepresentable() -> None:
    bind = op.get_bind()
    found = bind.exec_driver_sql(
        "SELECT (SELECT COUNT(*) FROM hub_releases WHERE signature IS NULL OR receipt_signature IS NULL), "
        "(SELECT COUNT(*) - COUNT(DISTINCT id) FROM hub_releases)").one()
    if found[0] or found[1]:
        raise RuntimeError(f"cannot downgrade the hub below 0003: {found[0]} releases or receipts are signed in batches and "
                           f"{found[1]} release ids are used under several ocids; revision 0002 can hold neither")


def downgrade() -> None:
    _refuse_unrepresentable()
    json_of = "CAST(receipt AS JSONB)" if op.get_bind().dialect.name == "postgresql" else "receipt"
    op.execute(f"CREATE TABLE {SCRATCH} AS SELECT {COLUMNS} FROM hub_releases")
    with op.batch_alter_table("hub_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_releases_id"))
    op.drop_table("hub_releases")
    _old_releases()
    op.execute(f"INSERT INTO hub_releases (id, ocid, platform_id, digest, canonical, signature, date, received_at) "
               f"SELECT id, ocid, platform_id, digest, canonical, signature, date, received_at FROM {SCRATCH}")
    op.execute(f"INSERT INTO hub_feed (position, release_id, ocid, platform_id) SELECT position, id, ocid, platform_id FROM {SCRATCH}")
    op.execute(f"INSERT INTO hub_receipts (release_id, body, signature) SELECT id, {json_of}, receipt_signature FROM {SCRATCH}")
    op.drop_table(SCRATCH)
    op.drop_table("hub_receipt_batches")
    op.drop_table("hub_platform_batches")
    op.drop_table("hub_ocids")
    with op.batch_alter_table("hub_platforms", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_hub_platforms_ocid_prefix"), type_="unique")
        batch_op.drop_column("ocid_prefix")

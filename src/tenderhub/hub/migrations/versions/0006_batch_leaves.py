"""a batch's leaf digests stored once per batch: hub_platform_batches.leaves, hub_receipt_batches.leaves

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

Written as 0005 on a branch where 0004 was the head; re-chained after 0005 (CRLs) when the
branches met (nothing here depends on it).

ADR 0021. A release stored from a batch-signed request, and a receipt issued in a receipt
batch, no longer carry their audit path in ``hub_releases`` (``batch_path`` /
``receipt_path`` NULL): the path is computed on read from the batch's digests, stored once in
the new nullable ``leaves`` column. Rows stored before keep their paths (their batches have
no ``leaves``: a platform batch's refused items were never stored, so its leaves cannot be
rebuilt), and a release forwarded alone with its proof keeps its path too.

Downgrade writes each row's path back from its batch's ``leaves`` (where the row has none),
then drops the columns: revision 0005 reads paths from the rows only.

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode) and PostgreSQL (tests/hub/test_hub_migrations.py).
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub.
[x] New NOT NULL columns have a server_default: both new columns are nullable.
[x] No rename-and-drop.
[x] Large tables: the batch tables get one nullable column (no rewrite on PostgreSQL);
    hub_releases is not touched on upgrade; downgrade updates the rows without a path.
[x] JSON documents: none touched.
[x] tlog_leaves and tlog_nodes rows are never updated or deleted (not touched).
[x] downgrade() undoes upgrade() exactly; the round trip test passes.
[x] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("hub_platform_batches", "hub_receipt_batches")


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    for table in TABLES:
        if "leaves" not in _columns(table):  # an adopted database already has it
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.add_column(sa.Column("leaves", sa.LargeBinary(), nullable=True))


def _paths(raw: bytes) -> list[bytes]:
    """Every audit path (hashes one after the other, leaf end first) of the RFC 6962 tree over
    the digests in ``raw`` (32 bytes each): written out here so the revision never changes."""
    def h(data: bytes) -> bytes:
        return hashlib.sha256(data).digest()

    leaves = [h(b"\x00" + raw[i:i + 32]) for i in range(0, len(raw), 32)]
    paths: list[list[bytes]] = [[] for _ in leaves]

    def mth(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return leaves[lo]
        k = 1 << ((hi - lo - 1).bit_length() - 1)  # the largest power of two below hi - lo
        left, right = mth(lo, lo + k), mth(lo + k, hi)
        for i in range(lo, lo + k):
            paths[i].append(right)
        for i in range(lo + k, hi):
            paths[i].append(left)
        return h(b"\x01" + left + right)

    if leaves:
        mth(0, len(leaves))
    return [b"".join(p) for p in paths]


def _write_back(kind: str, batch_table: str) -> None:
    """``{kind}_path`` of each release row without one, from its batch's leaves."""
    bind = op.get_bind()
    batch_col, index_col, path_col = ("batch_id", "batch_index", "batch_path") if kind == "batch" else ("receipt_batch", "receipt_index", "receipt_path")
    batches = bind.exec_driver_sql(f"SELECT id, leaves FROM {batch_table} WHERE leaves IS NOT NULL").all()
    releases = sa.table("hub_releases", sa.column("position"), sa.column(batch_col), sa.column(index_col), sa.column(path_col, sa.LargeBinary()))
    for batch_id, leaves in batches:
        paths = _paths(bytes(leaves))
        rows = bind.execute(sa.select(releases.c.position, releases.c[index_col])
                            .where(releases.c[batch_col] == batch_id, releases.c[path_col].is_(None))).all()
        for position, index in rows:
            bind.execute(sa.update(releases).where(releases.c.position == position).values({path_col: paths[index]}))


def downgrade() -> None:
    _write_back("batch", "hub_platform_batches")
    _write_back("receipt", "hub_receipt_batches")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("leaves")

"""tender_bids, tender_registrations: each lot's bids and registrations in their own rows,
moved out of the tender documents (ADR 0010)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode: constraints named by tables.NAMING) and PostgreSQL.
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub
    (a migration is frozen in time; the app's code moves on).
[x] New NOT NULL columns have a server_default or a backfill step (a new table, filled here).
[x] No rename-and-drop in one release.
[x] Large tables: tenders are read and rewritten one row at a time (no table-wide lock
    beyond the migration's own transaction).
[x] JSON documents: ``lots[*].bids`` (``lots[*].registrations``) move out of ``tenders.doc``
    into ``tender_bids.doc`` (``tender_registrations.doc``): one row each, ``seq`` = its
    position in the lot; downgrade puts them back in order. Earlier rounds
    (``lots[*].history[*].bids``) stay in the document.
[x] audit_events rows are never updated or deleted (untouched).
[x] downgrade() undoes upgrade() exactly; the round trip test passes.
[x] ``tenderhub.db.migrate.check(url)`` is empty after upgrade.
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

INDEXES = ("tender_id", "bidder_id")
CHILDREN = (("tender_bids", "bids"), ("tender_registrations", "registrations"))


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _columns(table: str) -> list[sa.Column[Any]]:
    status = [sa.Column("status", sa.String(32), nullable=False)] if table == "tender_bids" else []
    return [
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("tender_id", sa.String(36), nullable=False),
        sa.Column("lot_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bidder_id", sa.String(36), nullable=False),
        *status,
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", _json(), nullable=False),
    ]


def _lightweight(table: str) -> tuple[sa.Table, sa.Table]:
    meta = sa.MetaData()
    tenders = sa.Table("tenders", meta, sa.Column("id", sa.String(36)), sa.Column("doc", _json()))
    return tenders, sa.Table(table, meta, *[sa.Column(c.name, c.type) for c in _columns(table)])


def upgrade() -> None:
    for table, attribute in CHILDREN:
        op.create_table(
            table,
            *_columns(table),
            sa.ForeignKeyConstraint(["tender_id"], ["tenders.id"], name=op.f(f"fk_{table}_tender_id_tenders")),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table) as batch:
            for column in INDEXES:
                batch.create_index(batch.f(f"ix_{table}_{column}"), [column], unique=False)
        _move_out(table, attribute)


def downgrade() -> None:
    for table, attribute in reversed(CHILDREN):
        _move_back(table, attribute)
        with op.batch_alter_table(table) as batch:
            for column in reversed(INDEXES):
                batch.drop_index(batch.f(f"ix_{table}_{column}"))
        op.drop_table(table)


def _move_out(table: str, attribute: str) -> None:
    conn, (tenders, rows_table) = op.get_bind(), _lightweight(table)
    with_status = table == "tender_bids"
    for tender_id, doc in conn.execute(sa.select(tenders.c.id, tenders.c.doc)).all():
        rows, had = [], False
        for lot in doc.get("lots") or []:
            had = had or attribute in lot
            for seq, item in enumerate(lot.pop(attribute, None) or []):
                status = {"status": item.get("status", "submitted")} if with_status else {}
                rows.append({"id": item["id"], "tender_id": tender_id, "lot_id": lot["id"], "seq": seq,
                             "bidder_id": item["bidder_id"], "version": 1, "doc": item, **status})
        if rows:
            conn.execute(sa.insert(rows_table), rows)
        if had:  # an empty list leaves the document too (else its first load rewrites it: a phantom version)
            conn.execute(sa.update(tenders).where(tenders.c.id == tender_id).values(doc=doc))


def _move_back(table: str, attribute: str) -> None:
    conn, (tenders, rows_table) = op.get_bind(), _lightweight(table)
    by_lot: dict[tuple[str, str], list[Any]] = {}
    t = rows_table.c
    for tender_id, lot_id, doc in conn.execute(sa.select(t.tender_id, t.lot_id, t.doc).order_by(t.seq)).all():
        by_lot.setdefault((tender_id, lot_id), []).append(doc)
    for tender_id, doc in conn.execute(sa.select(tenders.c.id, tenders.c.doc).order_by(tenders.c.id)).all():
        if not doc.get("lots"):  # every lot gets its list back, an empty one too (as 0002 wrote it)
            continue
        for lot in doc["lots"]:
            lot[attribute] = by_lot.get((tender_id, lot["id"]), [])
        conn.execute(sa.update(tenders).where(tenders.c.id == tender_id).values(doc=doc))

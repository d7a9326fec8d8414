"""a lower hub's flags, live and cleared (hub_lower_flags): forks and false signed claims, and their clearing

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28

ADR 0031: a lower hub is flagged for a fork (ADR 0015) or for a signed claim whose inclusion
proof fails (ADR 0029), and an operator may clear a flag after an investigation; the evidence
is never deleted. ``hub_lower_forks`` (one row per hub, its key the hub id) could hold neither
a cleared fork nor a second one, so every flag is now a row of ``hub_lower_flags`` (kind,
evidence, the log entry that recorded it, and once cleared its clearing). The forks already
found are copied into it (their flag was not logged: ``leaf_index`` null). ``hub_lower_forks`` is
left in place, read by nothing, to be dropped by a later revision (no rename-and-drop in one
release). A database adopted by ``hub.migrate.prepare`` (built by ``create_all``) already has
the table: the step is skipped, the copy still runs once (only forks not copied yet).

MIGRATION SAFETY CHECKLIST (tick every line before merging):
[x] Runs on SQLite (batch mode) and PostgreSQL (tests/hub/test_hub_migrations.py).
[x] Column types are plain sqlalchemy types written here, not imported from tenderhub.
[x] New NOT NULL columns have a server_default: no column is added to an existing table.
[x] No rename-and-drop: hub_lower_forks stays (unused), dropped in a later revision.
[x] Large tables: none touched (one new, small table; hub_lower_forks has a row per forked hub).
[x] JSON documents: ``hub_lower_flags.evidence`` takes ``hub_lower_forks.evidence`` unchanged; ``clearance`` is new.
[x] tlog_leaves and tlog_nodes rows are never updated or deleted (not touched).
[x] downgrade() undoes upgrade(): the live forks found since go back to hub_lower_forks (one
    per hub, the oldest), false-claim flags and clearings are lost with the table (their
    evidence stays in hub_lower_unproven and in the log); the round trip test passes.
[x] ``tenderhub.hub.migrate.check(url)`` is empty after upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")  # type: ignore[return-value]


def _tables() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def _flags() -> sa.TableClause:
    return sa.table("hub_lower_flags", sa.column("hub_id", sa.String()), sa.column("kind", sa.String()),
                    sa.column("detected_at", _time()), sa.column("evidence", _json()), sa.column("cleared_at", _time()))


def _forks() -> sa.TableClause:
    return sa.table("hub_lower_forks", sa.column("hub_id", sa.String()), sa.column("detected_at", _time()), sa.column("evidence", _json()))


def upgrade() -> None:
    if "hub_lower_flags" not in _tables():
        op.create_table("hub_lower_flags",
                        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
                        sa.Column("hub_id", sa.String(length=64), nullable=False),
                        sa.Column("kind", sa.String(length=16), nullable=False),
                        sa.Column("detected_at", _time(), nullable=False),
                        sa.Column("evidence", _json(), nullable=False),
                        sa.Column("leaf_index", sa.BigInteger(), nullable=True),
                        sa.Column("cleared_at", _time(), nullable=True),
                        sa.Column("clearance", _json(), nullable=True),
                        sa.PrimaryKeyConstraint("id"))
        with op.batch_alter_table("hub_lower_flags") as batch_op:
            batch_op.create_index(batch_op.f("ix_hub_lower_flags_hub_id"), ["hub_id"], unique=False)
    if "hub_lower_forks" in _tables():
        _copy_forks()


def _copy_forks() -> None:
    conn, flags, forks = op.get_bind(), _flags(), _forks()
    copied = set(conn.execute(sa.select(flags.c.hub_id).where(flags.c.kind == "fork")).scalars())
    for row in conn.execute(sa.select(forks).order_by(forks.c.hub_id)).all():
        if row.hub_id not in copied:
            conn.execute(sa.insert(flags).values(hub_id=row.hub_id, kind="fork", detected_at=row.detected_at, evidence=row.evidence))


def downgrade() -> None:
    conn, flags, forks = op.get_bind(), _flags(), _forks()
    kept = set(conn.execute(sa.select(forks.c.hub_id)).scalars())
    live = conn.execute(sa.select(flags).where(flags.c.kind == "fork", flags.c.cleared_at.is_(None)).order_by(flags.c.detected_at)).all()
    for row in live:
        if row.hub_id not in kept:
            conn.execute(sa.insert(forks).values(hub_id=row.hub_id, detected_at=row.detected_at, evidence=row.evidence))
            kept.add(row.hub_id)
    with op.batch_alter_table("hub_lower_flags") as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_lower_flags_hub_id"))
    op.drop_table("hub_lower_flags")

"""Engines for SQLite (default, file in the data dir) and PostgreSQL (``postgresql+psycopg``).

SQLite connections get WAL, foreign keys, a busy timeout and ``synchronous=FULL`` (a commit is
on disk when it returns: receipts are issued after commits, ADR 0016); the
pysqlite driver's own transaction handling is switched off and SQLAlchemy's ``begin`` emits
a plain ``BEGIN`` so transactions really start where SQLAlchemy thinks they do (the unit of
work then takes the write lock first thing in ``commit``: see ``uow.py``). Writers queue on a
gate file next to the database before they ask SQLite for its write lock (``gate.py``, ADR
0023); ``TENDERHUB_SQLITE_WRITER_GATE=0`` turns that off (then SQLite's busy handler alone orders
them, as before).

Group sync (ADR 0024): a gated connection on a WAL database file runs ``synchronous=NORMAL``
and, before its ``commit`` returns, waits for a per-process group fsync of the ``-wal`` file
that started after its ``COMMIT`` (``walsync.py``): still durable when ``commit`` returns, but
the fsync is outside the write lock and shared. ``TENDERHUB_SQLITE_GROUP_SYNC=0`` (or the gate
off) keeps ``synchronous=FULL``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from tenderhub.db.gate import GatedConnection
from tenderhub.db.walsync import barrier_for

BUSY_TIMEOUT_MS = 5000


def sqlite_url_for(data_dir: Path) -> str:
    """The SQLite URL of the database file inside ``data_dir`` (created if missing)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'tenderhub.db').resolve()}"


def _switched_on(variable: str) -> bool:
    """On unless the environment variable is ``0``/``off``/``false``/``no``."""
    return os.environ.get(variable, "1").strip().lower() not in {"0", "off", "false", "no"}


def writer_gate_enabled() -> bool:
    """The SQLite writer gate is on unless ``TENDERHUB_SQLITE_WRITER_GATE`` switches it off."""
    return _switched_on("TENDERHUB_SQLITE_WRITER_GATE")


def group_sync_enabled() -> bool:
    """Group sync is on unless ``TENDERHUB_SQLITE_GROUP_SYNC`` switches it off."""
    return _switched_on("TENDERHUB_SQLITE_GROUP_SYNC")


def make_engine(
    url: str,
    *,
    sqlite_foreign_keys: bool = True,
    echo: bool = False,
    writer_gate: bool | None = None,
    group_sync: bool | None = None,
) -> sa.Engine:
    """An engine for ``url``; ``sqlite_foreign_keys=False`` is for batch migrations only;
    ``writer_gate`` and ``group_sync`` (SQLite only) default to ``writer_gate_enabled()`` and
    ``group_sync_enabled()``."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    connect_args: dict[str, Any] = {}
    if url.startswith("sqlite") and (writer_gate_enabled() if writer_gate is None else writer_gate):
        connect_args["factory"] = GatedConnection
    engine = sa.create_engine(url, echo=echo, future=True, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(
            engine,
            foreign_keys=sqlite_foreign_keys,
            group_sync=group_sync_enabled() if group_sync is None else group_sync,
        )
    return engine


def make_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def _configure_sqlite(engine: sa.Engine, *, foreign_keys: bool, group_sync: bool) -> None:
    pragmas = (
        f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}",
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:  # busy_timeout before journal_mode: switching to WAL may wait for a lock
            cursor.execute(pragma)
        mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        # group sync only where the barrier can stand in for FULL's fsync: a gated connection
        # (its commit path waits for the barrier) on a database file in WAL mode
        barrier_ok = (
            group_sync
            and str(mode).lower() == "wal"
            and isinstance(dbapi_connection, GatedConnection)
            and dbapi_connection.gate_path is not None
        )
        cursor.execute(f"PRAGMA synchronous={'NORMAL' if barrier_ok else 'FULL'}")
        if barrier_ok:
            database = dbapi_connection.gate_path.removesuffix("-gate")
            dbapi_connection.wal_barrier = barrier_for(database)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def sqlite_write_lock(conn: sa.Connection, table: sa.Table) -> None:
    """SQLite: take the database's single write lock now, before reading what a change depends on
    (a write that matches nothing); other databases lock rows themselves, so nothing happens."""
    if conn.dialect.name == "sqlite":
        column = next(iter(table.primary_key.columns))
        conn.execute(sa.update(table).where(sa.false()).values({column.name: column}))

"""Engines for SQLite (default, file in the data dir) and PostgreSQL (``postgresql+psycopg``).

SQLite connections get WAL, foreign keys, a busy timeout and ``synchronous=FULL`` (a commit is
on disk when it returns: receipts are issued after commits, ADR 0016); the
pysqlite driver's own transaction handling is switched off and SQLAlchemy's ``begin`` emits
a plain ``BEGIN`` so transactions really start where SQLAlchemy thinks they do (the unit of
work then takes the write lock first thing in ``commit``: see ``uow.py``). Writers queue on a
gate file next to the database before they ask SQLite for its write lock (``gate.py``, ADR
0023); ``TENDERHUB_SQLITE_WRITER_GATE=0`` turns that off (then SQLite's busy handler alone orders
them, as before).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from tenderhub.db.gate import GatedConnection

BUSY_TIMEOUT_MS = 5000


def sqlite_url_for(data_dir: Path) -> str:
    """The SQLite URL of the database file inside ``data_dir`` (created if missing)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'tenderhub.db').resolve()}"


def writer_gate_enabled() -> bool:
    """The SQLite writer gate is on unless ``TENDERHUB_SQLITE_WRITER_GATE`` is ``0``/``off``/``false``."""
    return os.environ.get("TENDERHUB_SQLITE_WRITER_GATE", "1").strip().lower() not in {"0", "off", "false", "no"}


def make_engine(
    url: str, *, sqlite_foreign_keys: bool = True, echo: bool = False, writer_gate: bool | None = None
) -> sa.Engine:
    """An engine for ``url``; ``sqlite_foreign_keys=False`` is for batch migrations only;
    ``writer_gate`` (SQLite only) defaults to ``writer_gate_enabled()``."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    connect_args: dict[str, Any] = {}
    if url.startswith("sqlite") and (writer_gate_enabled() if writer_gate is None else writer_gate):
        connect_args["factory"] = GatedConnection
    engine = sa.create_engine(url, echo=echo, future=True, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, foreign_keys=sqlite_foreign_keys)
    return engine


def make_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def _configure_sqlite(engine: sa.Engine, *, foreign_keys: bool) -> None:
    pragmas = (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}",
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        "PRAGMA synchronous=FULL",
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")

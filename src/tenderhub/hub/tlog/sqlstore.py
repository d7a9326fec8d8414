"""The log on SQL (SQLite or PostgreSQL): its own tables in its own ``MetaData``.

``tlog_leaves`` holds every entry and its leaf hash; ``tlog_nodes`` the hash of every
perfect subtree of level >= 1, written in the same transaction as the leaf that completes
it. Appends are serialized (an advisory lock on PostgreSQL, the write lock on SQLite).

Bound to an ``Engine``, each call is its own transaction; bound to a ``Connection``, calls
run in the caller's transaction (the caller commits), e.g. together with an ingestion.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tenderhub.db.engine import sqlite_write_lock
from tenderhub.hub.tlog.tree import Node, completed_nodes, leaf_hash, perfect_cover

metadata = sa.MetaData()
TLOG_LOCK_KEY = 0x7105_1060  # pg_advisory_xact_lock key of the log's appends
T = TypeVar("T")

leaves = sa.Table(
    "tlog_leaves",
    metadata,
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("entry", sa.LargeBinary, nullable=False),
)

nodes = sa.Table(
    "tlog_nodes",
    metadata,
    sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
)


def bulk_insert(conn: sa.Connection, table: sa.Table, names: Sequence[str], rows: Iterable[tuple[object, ...]],
                meanwhile: Callable[[], T] | None = None, as_bytes: tuple[str, ...] = ()) -> T | None:
    """``rows`` (values of the columns ``names``) in the caller's transaction, without
    SQLAlchemy's per-row parameter processing: ``COPY … FROM STDIN (FORMAT BINARY)`` on PostgreSQL (psycopg),
    one DBAPI ``executemany`` elsewhere. Values must be what the driver takes (text, integers,
    bytes; times as ``hub.stored.driver_time``). ``rows`` may be a generator: on PostgreSQL each
    row is sent as it is built, so the server starts on the first ones while the rest are built.

    ``meanwhile`` (work that needs no database) runs on PostgreSQL after the rows are sent and
    before the ``COPY`` is finished, so it overlaps the server's work on them; elsewhere after
    the insert. Its result is returned.

    ``as_bytes``: text columns whose values are given as their UTF-8 bytes (only when
    ``utf8_copy(conn)``): sent as they are, the binary form of a text value in a UTF-8 session
    (no decoding here and encoding again in the driver; the server still checks the UTF-8)."""
    quote = conn.dialect.identifier_preparer.quote
    columns = f"{quote(table.name)} ({', '.join(map(quote, names))})"
    if conn.dialect.driver == "psycopg":  # binary: no escaping of text, no hex of bytes (ADR 0033)
        with conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(f"COPY {columns} FROM STDIN (FORMAT BINARY)") as copy:  # type: ignore[union-attr]
            copy.set_types(pg_types(table, tuple(names), as_bytes))
            for row in rows:
                copy.write_row(row)
            return meanwhile() if meanwhile is not None else None
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {columns} VALUES ({', '.join([mark] * len(names))})", list(rows))  # type: ignore[arg-type]
    return meanwhile() if meanwhile is not None else None


@cache
def pg_types(table: sa.Table, names: tuple[str, ...], as_bytes: tuple[str, ...] = ()) -> list[str]:
    """The PostgreSQL type of each column (``BIGINT``, ``VARCHAR``, ``TIMESTAMP WITH TIME ZONE``
    …), as a binary ``COPY`` needs them: each value is sent in that type's binary form (a text
    column of ``as_bytes``: its bytes as they are, the form of ``bytea``)."""
    dialect = postgresql.dialect()
    return ["bytea" if name in as_bytes else table.c[name].type.compile(dialect=dialect).split("(")[0].lower() for name in names]


def utf8_copy(conn: sa.Connection) -> bool:
    """PostgreSQL through psycopg in a UTF-8 session: a text value's binary ``COPY`` form is
    its UTF-8 bytes (``bulk_insert(as_bytes=…)``)."""
    return conn.dialect.driver == "psycopg" and conn.connection.dbapi_connection.info.encoding == "utf-8"  # type: ignore[union-attr]


def create_tables(engine: sa.Engine) -> None:
    """Create the log's tables if absent (the hub's database, not the trading platform's)."""
    metadata.create_all(engine)


class SqlLeafStore:
    def __init__(self, bind: sa.Engine | sa.Connection) -> None:
        self._bind = bind

    def append(self, entry: bytes) -> int:
        return self.append_many([entry])[0]

    def append_many(self, entries: Iterable[bytes]) -> list[int]:
        """Append in one transaction: the left siblings the batch needs are read in one query
        (the cover of ``[0, start)``), the leaves and the nodes they complete written by two
        bulk inserts."""
        with self._write() as conn:
            store = SqlLeafStore(conn)
            staged = stage(store.reserve(), entries)
            store.write(staged)
            return list(range(staged.start, staged.start + len(staged.leaves)))

    def reserve(self) -> Reserved:
        """The log's end, locked to the caller's commit (bound to its ``Connection``): the next
        leaves are ``start``, ``start + 1``, …; with the left siblings they will need. The
        caller may then compute their hashes (``stage``) while it does other work, and
        ``write`` them in the same transaction."""
        conn = self._transaction()
        self._lock(conn)
        start = _size(conn)
        return Reserved(start, _read_nodes(conn, perfect_cover(0, start)))

    def write(self, staged: Staged) -> None:
        """The staged leaves and the nodes they complete (``reserve``'s transaction)."""
        conn = self._transaction()
        if staged.leaves:
            bulk_insert(conn, leaves, ("idx", "leaf_hash", "entry"), staged.leaves)
        if staged.nodes:
            bulk_insert(conn, nodes, ("level", "idx", "hash"), staged.nodes)

    def _transaction(self) -> sa.Connection:
        if not isinstance(self._bind, sa.Connection):
            raise TypeError("reserve() and write() run in the caller's transaction: bind the store to a Connection")
        return self._bind

    def leaf_hash(self, index: int) -> bytes:
        with self._read() as conn:
            found = _read_nodes(conn, [(0, index)])
        if (0, index) not in found:
            raise IndexError(f"no leaf {index}")
        return found[(0, index)]

    def size(self) -> int:
        with self._read() as conn:
            return _size(conn)

    def subtree_hashes(self, wanted: Collection[Node]) -> dict[Node, bytes]:
        with self._read() as conn:
            return _read_nodes(conn, wanted)

    def entries(self, start: int, end: int) -> Iterator[tuple[int, bytes]]:
        stmt = sa.select(leaves.c.idx, leaves.c.entry).where(
            leaves.c.idx >= start, leaves.c.idx < end
        )
        with self._read() as conn:
            rows = conn.execute(stmt.order_by(leaves.c.idx)).all()
        for row in rows:
            yield int(row.idx), bytes(row.entry)

    def _lock(self, conn: sa.Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(TLOG_LOCK_KEY)))
        else:  # SQLite's single write lock before the size is read
            sqlite_write_lock(conn, leaves)

    def _write(self) -> AbstractContextManager[sa.Connection]:
        if isinstance(self._bind, sa.Connection):
            return nullcontext(self._bind)
        return self._bind.begin()

    def _read(self) -> AbstractContextManager[sa.Connection]:
        if isinstance(self._bind, sa.Connection):
            return nullcontext(self._bind)
        return self._bind.connect()


@dataclass(frozen=True)
class Reserved:
    start: int  # the first new leaf's index
    known: dict[Node, bytes]  # the left siblings of the new leaves (the cover of [0, start))


@dataclass(frozen=True)
class Staged:
    start: int
    leaves: list[tuple[object, ...]]  # (idx, leaf_hash, entry)
    nodes: list[tuple[object, ...]]  # (level, idx, hash) of the perfect subtrees they complete


def stage(reserved: Reserved, entries: Iterable[bytes]) -> Staged:
    """The leaf rows of ``entries`` from ``reserved.start`` on, and the nodes they complete (no database)."""
    batch: dict[Node, bytes] = {}
    rows = [_stage(reserved.start + i, bytes(e), batch, reserved.known) for i, e in enumerate(entries)]
    return Staged(reserved.start, rows, [(lv, ix, h) for (lv, ix), h in batch.items() if lv > 0])


def _stage(index: int, entry: bytes, batch: dict[Node, bytes], known: dict[Node, bytes]) -> tuple[object, ...]:
    """The leaf row of ``entry``; the nodes it completes go into ``batch``."""
    leaf = leaf_hash(entry)
    batch[(0, index)] = leaf
    batch.update(completed_nodes(index, leaf, lambda node: batch[node] if node in batch else known[node]))
    return (index, leaf, entry)


def _size(conn: sa.Connection) -> int:
    last = conn.execute(sa.select(sa.func.max(leaves.c.idx))).scalar()
    return 0 if last is None else int(last) + 1


def _read_nodes(conn: sa.Connection, wanted: Collection[Node]) -> dict[Node, bytes]:
    """One query for all wanted nodes: leaves from ``tlog_leaves``, the rest from ``tlog_nodes``."""
    found: dict[Node, bytes] = {}
    leaf_ids = [ix for lv, ix in wanted if lv == 0]
    levels: dict[int, list[int]] = {}
    for lv, ix in wanted:
        if lv > 0:
            levels.setdefault(lv, []).append(ix)
    # one condition per level (idx IN …), not one per node: many proofs at once stay one short query
    inner = [sa.and_(nodes.c.level == lv, nodes.c.idx.in_(sorted(ids))) for lv, ids in sorted(levels.items())]
    parts = []
    if leaf_ids:
        parts.append(sa.select(sa.literal_column("0").label("level"), leaves.c.idx, leaves.c.leaf_hash.label("hash")).where(leaves.c.idx.in_(leaf_ids)))
    if inner:
        parts.append(sa.select(nodes.c.level, nodes.c.idx, nodes.c.hash).where(sa.or_(*inner)))
    if not parts:
        return found
    stmt = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    for row in conn.execute(stmt):
        found[(int(row.level), int(row.idx))] = bytes(row.hash)
    return found

"""A writer gate for SQLite: writers queue in the kernel instead of in SQLite's busy handler.

SQLite has one write lock per database; a connection that finds it taken sleeps in its busy
handler (up to 100 ms at a time) and retries, so under a surge the lock sits idle while
waiters sleep and nobody is served in order (docs/benchmarks.md, fourth to sixth pass).
Here each connection takes an exclusive ``flock`` on ``<database>-gate`` (its own file
descriptor: threads and processes wait alike, and the kernel wakes a waiter the moment the
holder lets go) **before its first write statement** of a transaction, and lets it go right
after ``COMMIT``/``ROLLBACK`` (or once a write outside a transaction has autocommitted).

Rules that keep it free of deadlocks (ADR 0023):

* Only writes are gated (``INSERT``/``UPDATE``/``DELETE``/``REPLACE``/DDL/``BEGIN IMMEDIATE``
  …); reads never wait for it (WAL), and a connection holding SQLite's write lock always
  holds the gate already (it took it before its first write), so it never waits for the gate
  while holding the lock.
* A thread that already holds the gate of a database through another connection gets
  ``database is locked`` at once instead of waiting for itself (it would have waited for
  SQLite's write lock until the busy timeout and got the same error before).
* The gate is taken at the driver (``sqlite3.Connection`` subclass), so every path that writes
  — units of work, the audit chain, migrations, the hub's own engine — goes through it.

``:memory:`` and URI databases are not gated (there is no file to put the gate next to).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from functools import lru_cache
from typing import Any

_WRITES = frozenset({
    "INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "WITH", "VACUUM",
    "REINDEX", "ANALYZE",
})
# gate file -> (thread ident, id of the connection) holding it in this process: at most one at a
# time (the gate is exclusive); a dict, not a thread-local, so a connection closed or rolled back
# from another thread than the one that took the gate still clears its entry.
_holders: dict[str, tuple[int, int]] = {}


@lru_cache(maxsize=4096)
def is_write(sql: str) -> bool:
    """Whether ``sql`` (one statement) may take SQLite's write lock. ``WITH`` counts as a
    write (it may lead into one); ``BEGIN IMMEDIATE``/``EXCLUSIVE`` take the lock at once."""
    text = sql.lstrip()
    while text.startswith(("--", "/*")):  # leading comments
        end = text.find("\n") if text.startswith("--") else text.find("*/")
        text = "" if end < 0 else text[end + (1 if text.startswith("--") else 2):].lstrip()
    words = text[:40].split(None, 2)
    if not words:
        return False
    first = words[0].upper().rstrip(";")
    if first == "BEGIN":
        return len(words) > 1 and words[1].upper().rstrip(";") in {"IMMEDIATE", "EXCLUSIVE"}
    return first in _WRITES


def gate_path_for(database: str) -> str | None:
    """The gate file of a database file, or ``None`` when the database has no file."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database) + "-gate"


class GatedCursor(sqlite3.Cursor):
    connection: GatedConnection

    def execute(self, sql: str, parameters: Any = (), /) -> GatedCursor:
        conn = self.connection
        if not conn.gate_held and is_write(sql):
            conn.enter_gate()
        try:
            super().execute(sql, parameters)
        finally:
            conn.leave_gate_if_idle()
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> GatedCursor:
        conn = self.connection
        if not conn.gate_held and is_write(sql):
            conn.enter_gate()
        try:
            super().executemany(sql, seq_of_parameters)
        finally:
            conn.leave_gate_if_idle()
        return self

    def executescript(self, sql_script: str, /) -> GatedCursor:
        conn = self.connection
        if not conn.gate_held:  # a script may write anywhere in it
            conn.enter_gate()
        try:
            super().executescript(sql_script)
        finally:
            conn.leave_gate_if_idle()
        return self


class GatedConnection(sqlite3.Connection):
    """``sqlite3.connect(path, factory=GatedConnection)``: a connection whose writers queue
    on ``<path>-gate`` (see the module docstring)."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self.gate_path = gate_path_for(os.fsdecode(database)) if isinstance(database, str | bytes | os.PathLike) else None
        self.gate_held = False
        self._gate_fd: int | None = None

    # -- the gate ---------------------------------------------------------------------------
    def enter_gate(self) -> None:
        path = self.gate_path
        if path is None or self.gate_held:
            return
        me = threading.get_ident()
        holder = _holders.get(path)
        if holder is not None and holder[0] == me:  # this thread writes through another connection: it would wait for itself
            raise sqlite3.OperationalError(
                f"database is locked (this thread already holds the writer gate {path} through another connection)"
            )
        if self._gate_fd is None:
            self._gate_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        fcntl.flock(self._gate_fd, fcntl.LOCK_EX)  # blocks (GIL released) until the writer before us leaves
        self.gate_held = True
        _holders[path] = (me, id(self))

    def leave_gate(self) -> None:
        if not self.gate_held:
            return
        self.gate_held = False
        path = self.gate_path or ""
        if _holders.get(path, (0, 0))[1] == id(self):
            del _holders[path]
        if self._gate_fd is not None:
            fcntl.flock(self._gate_fd, fcntl.LOCK_UN)

    def leave_gate_if_idle(self) -> None:
        """Leave once no transaction is open (an autocommitted write, a ``COMMIT`` sent as SQL)."""
        if self.gate_held and not self.in_transaction:
            self.leave_gate()

    # -- the DB-API surface -----------------------------------------------------------------
    def cursor(self, factory: Any = GatedCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:  # type: ignore[override]
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:  # type: ignore[override]
        return self.cursor().executemany(sql, parameters)

    def executescript(self, sql_script: str, /) -> Any:  # type: ignore[override]
        return self.cursor().executescript(sql_script)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.leave_gate_if_idle()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave_gate_if_idle()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.leave_gate()
            if self._gate_fd is not None:
                os.close(self._gate_fd)
                self._gate_fd = None

"""The SQLite writer gate (``db/gate.py``, ADR 0023): writers queue on ``<db>-gate`` across
threads and processes instead of failing or sleeping in SQLite's busy handler; readers pass;
a thread never waits for itself. Every test runs with ``busy_timeout=0``, so any wait for
SQLite's write lock would be an immediate ``database is locked``."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tenderhub.db import engine as engine_mod
from tenderhub.db.gate import GatedConnection, gate_path_for, is_write


def _connect(path: Path, *, gated: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, factory=GatedConnection if gated else sqlite3.Connection
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=0")
    return conn


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "g.db"
    conn = _connect(path)
    conn.execute("CREATE TABLE log (who TEXT, at REAL)")
    conn.execute("CREATE TABLE counter (n INTEGER)")
    conn.execute("INSERT INTO counter VALUES (0)")
    conn.close()
    return path


def _hold_then_write(db: Path, *, gated: bool) -> tuple[list[str], list[BaseException]]:
    """A holds SQLite's write lock for 0.3 s; B tries to write meanwhile."""
    order: list[str] = []
    errors: list[BaseException] = []
    holding = threading.Event()

    def a() -> None:
        conn = _connect(db, gated=gated)
        conn.execute("BEGIN")
        conn.execute("INSERT INTO log VALUES ('a', 0)")
        holding.set()
        time.sleep(0.3)
        order.append("a commits")
        conn.commit()
        conn.close()

    def b() -> None:
        holding.wait()
        conn = _connect(db, gated=gated)
        try:
            conn.execute("BEGIN")
            conn.execute("INSERT INTO log VALUES ('b', 0)")
            order.append("b wrote")
            conn.commit()
        except sqlite3.OperationalError as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return order, errors


def test_a_second_writer_waits_for_the_gate_instead_of_failing(db: Path) -> None:
    order, errors = _hold_then_write(db, gated=True)
    assert errors == []
    assert order == ["a commits", "b wrote"]
    assert _connect(db).execute("SELECT 1 FROM log WHERE who = 'b'").fetchone() is not None


def test_without_the_gate_the_same_writer_fails_at_once(db: Path) -> None:
    """The control: the test above would fail without the gate."""
    order, errors = _hold_then_write(db, gated=False)
    assert len(errors) == 1 and "locked" in str(errors[0])
    assert order == ["a commits"]


def test_readers_do_not_wait_for_the_gate(db: Path) -> None:
    writer = _connect(db)
    writer.execute("BEGIN")
    writer.execute("UPDATE counter SET n = n + 1")
    assert writer.gate_held  # type: ignore[attr-defined]
    got: list[int] = []
    reader = threading.Thread(target=lambda: got.append(_connect(db).execute("SELECT n FROM counter").fetchone()[0]))
    reader.start()
    reader.join(2)
    assert got == [0]  # answered while the writer holds the gate (its snapshot: before the write)
    writer.rollback()
    assert not writer.gate_held  # type: ignore[attr-defined]


def test_the_gate_is_left_on_commit_rollback_autocommit_and_close(db: Path) -> None:
    conn = _connect(db)
    conn.execute("SELECT n FROM counter")
    assert not conn.gate_held  # type: ignore[attr-defined]
    conn.execute("BEGIN")
    conn.execute("SELECT n FROM counter")
    assert not conn.gate_held  # type: ignore[attr-defined]  # a read transaction is not gated
    conn.execute("UPDATE counter SET n = n + 1")
    assert conn.gate_held  # type: ignore[attr-defined]
    conn.commit()
    assert not conn.gate_held  # type: ignore[attr-defined]
    conn.execute("UPDATE counter SET n = n + 1")  # no BEGIN: autocommitted, gate left at once
    assert not conn.gate_held  # type: ignore[attr-defined]
    conn.execute("BEGIN IMMEDIATE")
    assert conn.gate_held  # type: ignore[attr-defined]
    conn.execute("COMMIT")  # sent as SQL
    assert not conn.gate_held  # type: ignore[attr-defined]
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO log VALUES (?, ?)", [("x", 1), ("y", 2)])
    assert conn.gate_held  # type: ignore[attr-defined]
    conn.close()
    other = _connect(db)  # the closed connection's gate is free again
    other.execute("BEGIN")
    other.execute("DELETE FROM log")
    other.commit()


def test_a_thread_never_waits_for_its_own_gate(db: Path) -> None:
    first, second = _connect(db), _connect(db)
    first.execute("BEGIN")
    first.execute("UPDATE counter SET n = n + 1")
    second.execute("BEGIN")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("UPDATE counter SET n = n + 1")
    assert time.monotonic() - started < 1  # refused, not a wait for itself
    second.rollback()
    first.commit()
    second.execute("BEGIN")
    second.execute("UPDATE counter SET n = n + 1")  # free once the first committed
    second.commit()
    assert second.execute("SELECT n FROM counter").fetchone()[0] == 2


def test_a_gate_left_from_another_thread_leaves_no_trace(db: Path) -> None:
    """A connection that took the gate on one thread and is rolled back on another (a pool
    reset, a garbage-collected session) does not make the first thread refuse its next write."""
    conn = _connect(db)
    done: list[object] = []
    taken, rolled_back = threading.Event(), threading.Event()

    def worker() -> None:
        conn.execute("BEGIN")
        conn.execute("UPDATE counter SET n = n + 1")
        taken.set()
        rolled_back.wait(5)
        other = _connect(db)  # the same thread writes again, through another connection
        try:
            other.execute("BEGIN")
            other.execute("UPDATE counter SET n = n + 1")
            other.commit()
            done.append(other.execute("SELECT n FROM counter").fetchone()[0])
        except sqlite3.OperationalError as exc:
            done.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    taken.wait(5)
    conn.rollback()  # on this thread
    rolled_back.set()
    thread.join(5)
    assert done == [1]


def test_memory_databases_are_not_gated() -> None:
    assert gate_path_for(":memory:") is None and gate_path_for("") is None
    conn = sqlite3.connect(":memory:", factory=GatedConnection, isolation_level=None)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t VALUES (1)")
    assert not conn.gate_held  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("sql", "write"),
    [
        ("SELECT 1", False),
        ("  select * from t", False),
        ("PRAGMA busy_timeout=0", False),
        ("BEGIN", False),
        ("BEGIN IMMEDIATE", True),
        ("begin exclusive;", True),
        ("COMMIT", False),
        ("INSERT INTO t VALUES (1)", True),
        ("update t set x = 1", True),
        ("DELETE FROM t", True),
        ("REPLACE INTO t VALUES (1)", True),
        ("CREATE TABLE u (x)", True),
        ("-- note\nINSERT INTO t VALUES (1)", True),
        ("/* note */ SELECT 1", False),
        ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", True),
    ],
)
def test_which_statements_are_writes(sql: str, write: bool) -> None:
    assert is_write(sql) is write


def _engine(db: Path, monkeypatch: pytest.MonkeyPatch, *, gate: bool) -> sa.Engine:
    monkeypatch.setattr(engine_mod, "BUSY_TIMEOUT_MS", 0)
    return engine_mod.make_engine(f"sqlite:///{db}", writer_gate=gate)


def test_engine_writers_on_many_threads_all_commit_with_no_busy_wait(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """8 threads × 25 read-modify-write transactions through the engine (SQLAlchemy's BEGIN,
    write first, then read): none is refused though SQLite would not wait a millisecond."""
    engine = _engine(db, monkeypatch, gate=True)
    errors: list[BaseException] = []

    def work(who: str) -> None:
        try:
            for _ in range(25):
                with engine.begin() as conn:
                    conn.exec_driver_sql("UPDATE counter SET n = n + 1")
                    n = conn.exec_driver_sql("SELECT n FROM counter").scalar_one()
                    conn.exec_driver_sql("INSERT INTO log VALUES (?, ?)", (who, n))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar_one() == 200
        numbers = [row[0] for row in conn.exec_driver_sql("SELECT at FROM log ORDER BY at")]
    assert numbers == list(range(1, 201))  # each saw exactly the writes before it
    engine.dispose()


CHILD = textwrap.dedent(
    """
    import os, sys, time
    from tenderhub.db import engine as engine_mod
    engine_mod.BUSY_TIMEOUT_MS = 0
    engine = engine_mod.make_engine("sqlite:///" + sys.argv[1], writer_gate=sys.argv[3] == "1")
    with engine.connect() as conn:  # connected before the start
        conn.exec_driver_sql("SELECT 1")
    while not os.path.exists(sys.argv[1] + "-go"):
        time.sleep(0.001)
    for _ in range(40):
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE counter SET n = n + 1")
            time.sleep(0.002)  # hold the write lock a while: the others arrive meanwhile
            n = conn.exec_driver_sql("SELECT n FROM counter").scalar_one()
            conn.exec_driver_sql("INSERT INTO log VALUES (?, ?)", (sys.argv[2], n))
    """
)


def _processes(db: Path, gate: bool) -> list[subprocess.CompletedProcess[str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db), f"p{i}", "1" if gate else "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(3)
    ]
    time.sleep(1.5)  # all three connected and waiting
    (db.parent / (db.name + "-go")).touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return results


def test_writers_in_several_processes_queue_on_the_gate(db: Path) -> None:
    results = _processes(db, gate=True)
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr[-500:] for r in results]
    conn = _connect(db)
    assert conn.execute("SELECT n FROM counter").fetchone()[0] == 120
    assert [row[0] for row in conn.execute("SELECT at FROM log ORDER BY at")] == list(range(1, 121))
    assert {row[0] for row in conn.execute("SELECT DISTINCT who FROM log")} == {"p0", "p1", "p2"}


def test_without_the_gate_those_processes_are_refused(db: Path) -> None:
    """The control: with ``busy_timeout=0`` and no gate the same processes collide."""
    results = _processes(db, gate=False)
    assert any(r.returncode != 0 and "database is locked" in r.stderr for r in results)

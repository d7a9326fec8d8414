"""Group sync (``db/walsync.py``, ADR 0024): commits run ``synchronous=NORMAL`` and wait, before
``commit`` returns, for a shared fsync of the ``-wal`` file that started after their ``COMMIT``.
The fsync is injected to count the calls and to look, when each one starts, at what is
committed (through an independent plain connection)."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tenderhub.db.engine import make_engine
from tenderhub.db.gate import GatedConnection
from tenderhub.db.walsync import WalBarrier, barrier_for


def _engine(path: Path, **kw: object) -> sa.Engine:
    return make_engine(f"sqlite:///{path}", **kw)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.db"
    engine = _engine(path)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (k INTEGER PRIMARY KEY, who TEXT)")
    engine.dispose()
    return path


class Recorder:
    """An fsync that notes, when it starts, which rows are committed, then really fsyncs."""

    def __init__(self, db: Path, delay: float = 0.0) -> None:
        self.db = db
        self.delay = delay
        self.done: list[frozenset[int]] = []  # rows committed when each finished fsync started
        self.fds: list[int] = []
        self.dirs: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):  # the directory, once per WAL inode met
            self.dirs.append(os.fstat(fd).st_ino)
            os.fsync(fd)
            return
        reader = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            seen = frozenset(k for (k,) in reader.execute("SELECT k FROM t"))
        finally:
            reader.close()
        self.fds.append(os.fstat(fd).st_ino)
        time.sleep(self.delay)
        os.fsync(fd)
        with self.lock:
            self.done.append(seen)


def _barrier(db: Path, fsync: Recorder) -> WalBarrier:
    barrier = barrier_for(str(db))
    barrier.fsync = fsync
    return barrier


def test_engine_runs_normal_with_a_barrier_and_full_without(db: Path) -> None:
    for kwargs, sync, barrier in (({}, 1, True), ({"group_sync": False}, 2, False), ({"writer_gate": False}, 2, False)):
        engine = _engine(db, **kwargs)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == sync
            raw = conn.connection.dbapi_connection
            assert (getattr(raw, "wal_barrier", None) is not None) is barrier
        engine.dispose()


def test_concurrent_commits_share_fsyncs_and_each_returns_after_one_that_saw_it(db: Path) -> None:
    recorder = Recorder(db, delay=0.02)
    barrier = _barrier(db, recorder)
    syncs0, waits0 = barrier.syncs, barrier.waits
    engine = _engine(db)
    n = 12
    start = threading.Barrier(n)
    failures: list[str] = []

    def bidder(k: int) -> None:
        start.wait()
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (?, 'x')", (k,))
        # commit has returned: some fsync that had already seen row k must have finished
        with recorder.lock:
            if not any(k in seen for seen in recorder.done):
                failures.append(f"row {k}: commit returned before an fsync that started after it")

    threads = [threading.Thread(target=bidder, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert failures == []
    assert barrier.waits - waits0 == n
    assert 1 <= barrier.syncs - syncs0 < n  # grouped: fewer fsyncs than commits
    assert len(recorder.done) == barrier.syncs - syncs0


def test_autocommitted_write_and_sql_commit_wait_too_rollback_does_not(db: Path) -> None:
    recorder = Recorder(db)
    barrier = _barrier(db, recorder)
    engine = _engine(db)
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, GatedConnection)
        before = barrier.syncs
        raw.execute("INSERT INTO t VALUES (100, 'auto')")  # autocommitted
        assert barrier.syncs == before + 1 and 100 in recorder.done[-1]
        raw.execute("BEGIN")
        raw.execute("INSERT INTO t VALUES (101, 'sql')")
        raw.execute("COMMIT")
        assert barrier.syncs == before + 2 and 101 in recorder.done[-1]
        raw.execute("BEGIN")
        raw.execute("INSERT INTO t VALUES (102, 'no')")
        raw.rollback()
        raw.execute("BEGIN")
        raw.execute("SELECT * FROM t").fetchall()
        raw.commit()  # read-only: nothing to sync
        assert barrier.syncs == before + 2
    engine.dispose()


def test_the_connection_as_context_manager_leaves_the_gate_and_waits(db: Path) -> None:
    recorder = Recorder(db)
    barrier = _barrier(db, recorder)
    engine = _engine(db)
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, GatedConnection)
        before = barrier.syncs
        with raw:
            raw.execute("BEGIN")
            raw.execute("INSERT INTO t VALUES (200, 'with')")
        assert not raw.gate_held and not raw.in_transaction
        assert barrier.syncs == before + 1 and 200 in recorder.done[-1]
        with pytest.raises(RuntimeError), raw:
            raw.execute("BEGIN")
            raw.execute("INSERT INTO t VALUES (201, 'no')")
            raise RuntimeError
        assert not raw.gate_held and barrier.syncs == before + 1
        assert raw.execute("SELECT count(*) FROM t WHERE k = 201").fetchone()[0] == 0
    engine.dispose()


def test_a_replaced_wal_file_is_reopened_and_a_missing_one_syncs_the_database(db: Path) -> None:
    recorder = Recorder(db)
    barrier = _barrier(db, recorder)
    wal = Path(f"{db}-wal")
    engine = _engine(db)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1, 'a')")
    first = os.stat(wal).st_ino
    assert recorder.fds[-1] == first
    engine.dispose()  # the last connection closes: checkpoint, the WAL is deleted
    assert not wal.exists()
    # (the barrier's descriptor pins the old inode, so the new file cannot reuse its number)
    engine = _engine(db)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (2, 'b')")
    second = os.stat(wal).st_ino
    assert second != first and recorder.fds[-1] == second  # synced the file that holds the commit now
    assert recorder.dirs == [os.stat(db.parent).st_ino] * 2  # the directory, once per WAL inode
    engine.dispose()
    # a barrier whose WAL is gone syncs the database file
    n = len(recorder.fds)
    barrier.wait()
    assert recorder.fds[n:] == [os.stat(db).st_ino]


def test_a_failed_fsync_fails_the_commit_and_the_next_one_retries(tmp_path: Path) -> None:
    (tmp_path / "x.db-wal").write_bytes(b"")
    calls: list[int] = []

    def bad(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(5, "EIO")

    barrier = WalBarrier(str(tmp_path / "x.db"), fsync=bad)
    with pytest.raises(OSError):
        barrier.wait()
    barrier.wait()
    assert len(calls) == 2 and barrier.syncs == 1

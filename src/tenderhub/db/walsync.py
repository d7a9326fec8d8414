"""A durability barrier for SQLite commits: one ``fsync`` of the ``-wal`` file for a group of
commits (ADR 0024).

With ``synchronous=FULL`` (ADR 0016) SQLite fsyncs the WAL inside ``COMMIT``, while the writer
still holds the write lock (and our writer gate, ADR 0023): one fsync per commit, one commit
after another. With ``synchronous=NORMAL`` ``COMMIT`` only ``write(2)``s the WAL frames; the
connection (``gate.GatedConnection``) then leaves the gate and waits here, **before its
``commit`` returns**, for an fsync of the WAL file that *started after* its ``COMMIT``
returned. Committers take a ticket; one of them (the leader) fsyncs for every ticket taken
before its fsync started, the others wait for it. So a commit that returns is on disk, as
under FULL, but the fsync is outside the write lock and one fsync serves every commit that
finished while the previous one ran.

Why an fsync of the ``-wal`` file is enough (SQLite's documentation of ``PRAGMA synchronous``:
in WAL mode with NORMAL "the WAL file is synchronized before each checkpoint and the database
file is synchronized after each completed checkpoint and the WAL file header is synchronized
when a WAL file begins to be reused after a checkpoint"):

* the frames of a commit are in the WAL file when ``COMMIT`` returns (``write(2)``); after our
  fsync of the file they and its header are on disk (and, the first time the barrier meets a
  WAL inode, the directory is fsynced too, so a newly created WAL's name is), and recovery
  replays every frame up to the last valid commit frame;
* if the WAL was checkpointed, reset and overwritten, or deleted (the last connection's close)
  between the ``COMMIT`` and our fsync, the frames had been copied into the database file and
  that file synced first, so the commit is durable anyway;
* the file may be replaced (deleted and created again): the barrier compares the inode of its
  descriptor with the path's before every fsync and reopens (the open descriptor pins the old
  inode, so a new file cannot carry its number); if the path is gone it fsyncs the
  database file instead (not needed by the rule above, cheap, and it keeps the claim from
  resting on one sentence).

One barrier per database file per process (``barrier_for``): other processes fsync their own
commits (an fsync of the same file from elsewhere only helps). PostgreSQL is not involved.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable


class WalBarrier:
    """The group fsync of ``<database>-wal`` in this process. ``fsync`` is injectable (tests
    count and order the calls)."""

    def __init__(self, database: str, fsync: Callable[[int], None] | None = None) -> None:
        self.database = database
        self.wal_path = database + "-wal"
        self.fsync: Callable[[int], None] = fsync or os.fsync
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._issued = 0  # tickets taken (one per commit that waits here)
        self._synced = 0  # every ticket <= this is covered by a finished fsync
        self._leading = False
        self._fd: int | None = None
        self._ino: tuple[int, int] | None = None
        self.syncs = 0  # fsyncs done (the leader's), for tests and diagnostics
        self.waits = 0  # commits that waited here

    def wait(self) -> None:
        """Return once an fsync that started after this call began has finished."""
        with self._lock:
            self._issued += 1
            self.waits += 1
            ticket = self._issued
            while self._synced < ticket:
                if self._leading:
                    self._done.wait()
                    continue
                self._leading = True
                target = self._issued  # every ticket taken so far: their COMMITs have returned
                self._lock.release()
                try:
                    self._sync()
                except BaseException:
                    self._lock.acquire()
                    self._leading = False
                    self._done.notify_all()  # another waiter leads (and retries) or fails itself
                    raise
                self._lock.acquire()
                self._leading = False
                self.syncs += 1
                self._synced = max(self._synced, target)
                self._done.notify_all()

    def _sync(self) -> None:
        # only the leader runs this, one at a time per barrier
        try:
            st = os.stat(self.wal_path)
        except FileNotFoundError:
            self._sync_database()
            return
        key = (st.st_dev, st.st_ino)
        if self._fd is None or self._ino != key:
            self._close()
            try:
                fd = os.open(self.wal_path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                self._sync_database()
                return
            fst = os.fstat(fd)
            self._fd, self._ino = fd, (fst.st_dev, fst.st_ino)
            self.fsync(self._fd)
            self._sync_directory()  # the (possibly new) file's directory entry, once per inode
            return
        self.fsync(self._fd)

    def _sync_directory(self) -> None:
        fd = os.open(os.path.dirname(self.wal_path) or ".", os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.fsync(fd)
        finally:
            os.close(fd)

    def _sync_database(self) -> None:
        """The WAL is gone: whatever it held was checkpointed into the database (synced by
        SQLite); sync the database file as well."""
        fd = os.open(self.database, os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.fsync(fd)
        finally:
            os.close(fd)

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd, self._ino = None, None


_barriers: dict[tuple[int, str], WalBarrier] = {}
_registry_lock = threading.Lock()


def barrier_for(database: str) -> WalBarrier:
    """This process's barrier of a database file (keyed by pid too: a forked worker gets its
    own descriptor and lock)."""
    path = os.path.realpath(database)
    key = (os.getpid(), path)
    with _registry_lock:
        barrier = _barriers.get(key)
        if barrier is None:
            barrier = _barriers[key] = WalBarrier(path)
        return barrier

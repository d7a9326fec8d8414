"""Bids of a tender that are receipted but not yet settled (ADR 0025, "the opening waits").

A sealed bid's receipt time is read once its bytes are stored and checked; the bid then waits
in this process's committer for its group. The lot's opening must not overtake such a bid: it
would find the lot opened and refuse (``lot_status``) a bid that was in time. So a request
*enters* its tender here before it reads its receipt time and *leaves* once its bid is settled
(recorded or refused), and the opening waits until no bid of that tender is inside — in this
process (a counter) and in the other ``serve --workers`` processes of this host (a shared
``flock`` per tender held by a process while it has bids inside; the opening takes it
exclusively, at once released). A bid entering after the wait reads its receipt time after the
opening's own time, which is at or after the deadline: it is late whatever happens.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tenderhub.core.rules.catalogue import lookup
from tenderhub.core.shared.errors import Conflict
from tenderhub.services.context import Services

WAIT_SECONDS = 5.0
"""How long the opening waits for the bids of its tender to settle before it answers 409 (retry)."""
POLL_SECONDS = 0.01
SETTLING_RULE = lookup("works", "sealed_upload_before_deadline")  # the same rule in both regimes


@dataclass
class Settling:
    """Per process: how many bids of each tender are inside, and the shared file lock held for them."""

    lock_dir: Path | None  # None: one process only (no file locks)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _inside: dict[str, int] = field(default_factory=dict)
    _files: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def holding(self, tender_id: str) -> Iterator[None]:
        """A bid of ``tender_id`` inside: enter before its receipt time is read, leave once settled."""
        self._enter(tender_id)
        try:
            yield
        finally:
            self._leave(tender_id)

    def inside(self, tender_id: str) -> int:
        with self._cond:
            return self._inside.get(tender_id, 0)

    def _enter(self, tender_id: str) -> None:
        with self._cond:
            if not self._inside.get(tender_id) and self.lock_dir is not None:
                fd = open_lock(self.lock_dir, tender_id)
                fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while an opening holds it (an instant)
                self._files[tender_id] = fd
            self._inside[tender_id] = self._inside.get(tender_id, 0) + 1

    def _leave(self, tender_id: str) -> None:
        with self._cond:
            self._inside[tender_id] -= 1
            if not self._inside[tender_id]:
                del self._inside[tender_id]
                fd = self._files.pop(tender_id, None)
                if fd is not None:
                    os.close(fd)  # releases the shared lock
                self._cond.notify_all()

    def wait_settled(self, tender_id: str, timeout: float = WAIT_SECONDS) -> None:
        """Return once no bid of ``tender_id`` is inside in any process of this host; else 409.
        Never called holding the database writer gate (ADR 0023's order: file locks after it)."""
        end = time.monotonic() + timeout
        with self._cond:
            if not self._cond.wait_for(lambda: not self._inside.get(tender_id), timeout):
                raise unsettled(self._inside.get(tender_id, 0))
        if self.lock_dir is not None and not exclusive_once(open_lock(self.lock_dir, tender_id), end):
            raise unsettled(None)


def open_lock(lock_dir: Path, tender_id: str) -> int:
    """The tender's lock file (named by a digest of the id: any id is a safe file name)."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(tender_id.encode()).hexdigest()[:32]
    return os.open(lock_dir / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)


def exclusive_once(fd: int, end: float) -> bool:
    """Take the lock exclusively (no process has bids of the tender inside) and release it; False at ``end``."""
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= end:
                    return False
                time.sleep(POLL_SECONDS)
    finally:
        os.close(fd)


def unsettled(count: int | None) -> Conflict:
    where = "another process of this platform" if count is None else f"this process ({count})"
    return Conflict(f"bids received before the deadline are still being recorded in {where}; "
                     "open the bids again in a moment (电子招标投标办法 第26条)",
                     message_zh="截止时间前已完成传输的投标文件仍在入库，请稍后再开标（电子招标投标办法第26条）",
                     field="lot", code="bids_settling", rule=SETTLING_RULE)


def settling_of(svc: Services) -> Settling:
    """The ``Settling`` of these services (made on first use; its file locks beside the uploads)."""
    lock_dir = None if svc.vault is None else Path(svc.vault.meta_dir).parent / "settling"
    return svc.extra("settling", lambda: Settling(lock_dir))  # type: ignore[no-any-return]

"""The OCDS schema check of a batch in a worker process, while the calling thread goes on.

jsonschema-rs holds the GIL (a thread pool is slower than one thread, ADR 0027), so a batch
of ``WORKER_MIN`` releases or more sends the canonical JSON of its releases, in chunks of
``CHUNK`` as they are parsed, to one worker process (``spawn``: no inherited connection or
lock) that answers, per release, whether ``validation.check_release`` passes on it. The
calling thread meanwhile parses the rest, checks the signatures and the platforms (ADR 0028).

**The worker only ever says "passes".** A release it does not pass (invalid, a value its JSON
loader refuses, a worker that died) is checked again in the calling thread, which raises the
``ReleaseInvalid`` with every JSON path as before; the caller waits for every answer before
anything of the batch is stored. The canonical JSON is the release's exact JSON value
(``protocol.canonical``), so the worker judges the same document.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import suppress
from functools import cache

import orjson

from tenderhub.hub.validation import ReleaseInvalid, check_release

WORKER_MIN = 64  # fewer releases than this are checked in the calling thread
CHUNK = 200  # releases per message to the worker


@cache
def _executor() -> ProcessPoolExecutor | None:
    if (os.cpu_count() or 1) < 2 or os.environ.get("TENDERHUB_SCHEMA_WORKER", "1") == "0":
        return None
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_warm)


def _warm() -> None:
    _passes(b"{}")  # the validator compiled once per worker, before the first batch


def passes(texts: list[bytes]) -> list[bool]:
    """In the worker: for each canonical release, True if ``check_release`` accepts it."""
    return [_passes(text) for text in texts]


def _passes(text: bytes) -> bool:
    try:
        check_release(orjson.loads(text))
    except (ReleaseInvalid, orjson.JSONDecodeError, ValueError, TypeError, KeyError, AttributeError):
        return False
    return True


class Checks:
    """The answers of one batch: ``send`` canonical texts (in order), then ``passed()``."""

    def __init__(self, expected: int) -> None:
        self._pool = _executor() if expected >= WORKER_MIN else None
        self._futures: list[tuple[list[int], Future[list[bool]]]] = []
        self._keys: list[int] = []
        self._texts: list[bytes] = []

    def send(self, key: int, text: bytes) -> None:
        if self._pool is None:
            return
        self._keys.append(key)
        self._texts.append(text)
        if len(self._texts) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self._pool is not None and self._texts:
            with suppress(RuntimeError):  # a broken or shut-down pool: the calling thread checks them
                self._futures.append((self._keys, self._pool.submit(passes, self._texts)))
            self._keys, self._texts = [], []

    def passed(self) -> set[int]:
        """The keys the worker passed (waits for every answer; a failed worker passes none)."""
        self.flush()
        done: set[int] = set()
        for keys, future in self._futures:
            try:
                done.update(k for k, ok in zip(keys, future.result(), strict=True) if ok)
            except Exception:  # the worker died (BrokenProcessPool …): the calling thread checks its releases
                _executor.cache_clear()
        return done

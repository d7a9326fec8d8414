"""Writing a new file's bytes durably with ``O_DIRECT`` (ADR 0026).

A buffered ``write`` + ``fsync`` of 1 MB copies it into the page cache and has the kernel write
those pages back before ``fsync`` returns; on the platform's VM that cost ≈ 3–4 ms of CPU per MB,
an ``O_DIRECT`` write of the same bytes + ``fsync`` ≈ 0.6–0.9 ms (docs/benchmarks.md, ninth
pass). ``O_DIRECT`` needs an aligned buffer, offset and length: the bytes are copied into a
page-aligned buffer of this thread, zero-padded to a multiple of ``BLOCK``, written at offset 0,
and the file cut back to its length (``ftruncate``); the ``fsync`` after it makes bytes and
length durable together, as for a buffered write. A file system that refuses ``O_DIRECT``
(tmpfs, some network or overlay file systems: ``EINVAL``) gets the buffered write instead, and
is remembered so that later writes go there straight away.
"""

from __future__ import annotations

import errno
import mmap
import os
import threading
from pathlib import Path

BLOCK = 4096  # covers logical block sizes of 512 and 4096 bytes
_DIRECT = getattr(os, "O_DIRECT", 0)
_REFUSED: set[Path] = set()  # directories whose file system refused O_DIRECT
_local = threading.local()


def write_new(path: Path, body: bytes) -> None:
    """Create ``path`` (it must not exist; mode 0600), write ``body`` and fsync it."""
    if _DIRECT and path.parent not in _REFUSED:
        try:
            _write_direct(path, body)
            return
        except OSError as error:
            if error.errno != errno.EINVAL:
                raise
            _REFUSED.add(path.parent)
            path.unlink(missing_ok=True)
    _write_buffered(path, body)


def _write_direct(path: Path, body: bytes) -> None:
    size = len(body)
    padded = -(-size // BLOCK) * BLOCK
    buffer = _aligned(padded)
    buffer[:size] = body
    buffer[size:padded] = bytes(padded - size)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _DIRECT, 0o600)
    try:
        _write_all(fd, memoryview(buffer)[:padded])
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_buffered(path: Path, body: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        _write_all(fd, memoryview(body))
        os.fsync(fd)
    finally:
        os.close(fd)


def _aligned(size: int) -> mmap.mmap:
    """This thread's page-aligned buffer of at least ``size`` bytes (an anonymous mapping,
    reused: its pages are touched once per thread, not once per write)."""
    buffer: mmap.mmap | None = getattr(_local, "buffer", None)
    if buffer is None or len(buffer) < size:
        if buffer is not None:
            buffer.close()
        buffer = _local.buffer = mmap.mmap(-1, max(size, 1 << 20))
    return buffer


def _write_all(fd: int, view: memoryview) -> None:
    """``os.write`` until every byte is written (a regular file takes them in one call; an
    ``O_DIRECT`` write cut short ends on a block boundary, so the rest stays aligned)."""
    done = 0
    while done < len(view):
        done += os.write(fd, view[done:])

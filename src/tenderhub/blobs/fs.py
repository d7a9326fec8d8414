"""``FileBlobStore``: blobs as files ``root/ab/cd/<digest>`` (two fan-out levels).

``put_stream`` hashes while it copies into a temp file under ``root/.tmp`` (same file
system), fsyncs it, renames it atomically to its final name and fsyncs that directory: a
returned ``BlobRef`` is durable. A crash leaves at most a stray temp file, never a partial
blob under a digest name (``iter_digests`` ignores ``.tmp``; ``sweep_temp()`` removes it).
The 256 first-level directories are made (and the root fsynced) once, on the first store: a
new blob then fsyncs its directory and, when it made one, the second-level directory's parent.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO

from tenderhub.blobs.direct import write_new
from tenderhub.blobs.durable import created_dirs, fsync_dir, make_dirs
from tenderhub.blobs.port import (
    CHUNK,
    BlobNotFound,
    BlobRef,
    checked_digest,
    hash_stream,
    is_digest,
    require_match,
)

TMP = ".tmp"
_FAN_OUT_LOCK = threading.Lock()
_FANNED_OUT: set[Path] = set()  # roots whose first level this process has made (a store per request)
_TEMP_DIRS: set[Path] = set()  # temp directories this process has made (durably)


class FileBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._fanned_out = False

    def path_for(self, digest: str) -> Path:
        checked_digest(digest)
        return self.root / digest[:2] / digest[2:4] / digest

    def put_stream(self, src: BinaryIO, *, expected_digest: str | None = None) -> BlobRef:
        if expected_digest is not None:
            checked_digest(expected_digest, "expected_digest")
        tmp = self._temp_file()
        try:
            digest, size = _copy_hashing(src, tmp)
            require_match(expected_digest, digest, size)
            return self.adopt(tmp, BlobRef(digest, size))
        finally:
            tmp.unlink(missing_ok=True)

    def put_hashed(self, body: bytes, ref: BlobRef) -> BlobRef:
        """``body``, which the caller has just hashed to ``ref``, written once into a temp file,
        fsynced and adopted (no second hash): one ``open`` and one ``write`` call, ``O_DIRECT``
        where the file system allows it (``blobs/direct.py``); a blob already stored intact is
        not written again."""
        if self._holds(ref):
            return ref
        tmp = self._temp_name()
        try:
            write_new(tmp, body)  # O_DIRECT where the file system allows it (ADR 0026)
            return self.adopt(tmp, ref)
        finally:
            tmp.unlink(missing_ok=True)

    def _holds(self, ref: BlobRef) -> bool:
        """Whether the blob is stored with its size (one ``stat``)."""
        try:
            found = os.stat(self.path_for(ref.digest))
        except FileNotFoundError:
            return False
        return stat.S_ISREG(found.st_mode) and found.st_size == ref.size

    def adopt(self, path: Path, ref: BlobRef) -> BlobRef:
        """Move a file the caller has just hashed (to ``ref``) and fsynced into the store, by
        renaming it (it must be on the same file system). Existing intact content is kept."""
        final = self.path_for(ref.digest)
        if self._holds(ref):
            path.unlink(missing_ok=True)
            return ref
        self._fan_out()
        parents = created_dirs(final.parent)
        # Also repairs a damaged copy with the verified bytes. Only the new name is made
        # durable (its directory, then any fan-out directory created for it): a crash may at
        # worst leave the old name too, a stray temp file that ``sweep_temp`` (or the upload
        # area's clean-up) removes.
        os.replace(path, final)
        for directory in [final.parent, *parents]:
            fsync_dir(directory)
        return ref

    def remove(self, digest: str) -> bool:
        """Delete a blob (whether it was there). Only for one no record refers to: a sealed
        upload refused after it was stored (``services/sealed.py``)."""
        try:
            self.path_for(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def prepare(self) -> None:
        """Make what the first uploads of a fresh store would otherwise make one by one: the
        256 first-level directories and the 256 lock files of ``digest_lock`` (a new file
        costs ≈ 0.65 ms of CPU on the ext4 here; ``serve`` calls this once at start-up)."""
        self._fan_out()
        make_stripes(self.root / ".locks")

    @contextmanager
    def digest_lock(self, digest: str) -> Iterator[None]:
        """An exclusive lock for one digest across threads and processes (``flock`` on one of
        256 files ``root/.locks/<first two hex digits>``): removing an unreferenced blob and
        committing a reference to it take it, so they never interleave."""
        with self._stripe_lock(checked_digest(digest)[:2]):
            yield

    @contextmanager
    def _stripe_lock(self, stripe: str) -> Iterator[None]:
        folder = self.root / ".locks"
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
        with open(folder / stripe, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    @contextmanager
    def digest_locks(self, digests: Iterable[str]) -> Iterator[None]:
        """``digest_lock`` for several digests at once: each lock file once (two digests may
        share one: a second ``flock`` of it through another descriptor would wait for
        ourselves), in sorted order (one lock order for every holder of several)."""
        stripes = sorted({checked_digest(digest)[:2] for digest in digests})
        with ExitStack() as held:
            for stripe in stripes:
                held.enter_context(self._stripe_lock(stripe))
            yield

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path_for(digest), "rb")
        except FileNotFoundError:
            raise BlobNotFound(digest) from None

    def exists(self, digest: str) -> bool:
        return self.path_for(digest).is_file()

    def size(self, digest: str) -> int:
        try:
            return self.path_for(digest).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(digest) from None

    def verify(self, digest: str) -> bool:
        """Re-hash the stored bytes; ``False`` when they differ from the name (or are gone)."""
        if not self.exists(digest):
            return False
        with self.open(digest) as f:
            return hash_stream(f)[0] == digest

    def iter_digests(self) -> Iterator[str]:
        """Every stored digest, in sorted order, listing one directory at a time."""
        for first in _sorted_dirs(self.root):
            for second in _sorted_dirs(first):
                for entry in sorted(os.listdir(second)):
                    if is_digest(entry) and entry[:4] == first.name + second.name:
                        yield entry

    def sweep_temp(self) -> int:
        """Remove temp files left by a crash; call when no ``put_stream`` is running."""
        stale = list((self.root / TMP).glob("*")) if (self.root / TMP).is_dir() else []
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    def temp_dir(self) -> Path:
        """The store's temp directory (same file system): files written there, fsynced and
        hashed by the caller, enter the store by ``adopt`` (a rename)."""
        make_dirs(self.root / TMP)
        return self.root / TMP

    def _fan_out(self) -> None:
        """The 256 first-level directories, made durable together once (one root fsync) so
        that no blob's adoption has to fsync the root for a new one."""
        if self._fanned_out or self.root in _FANNED_OUT:
            return
        with _FAN_OUT_LOCK:  # the first concurrent stores of a process: one does it, the others find it done
            if self.root not in _FANNED_OUT:
                make_dirs(self.root)
                missing = [self.root / f"{n:02x}" for n in range(256) if not (self.root / f"{n:02x}").is_dir()]
                for folder in missing:
                    folder.mkdir(exist_ok=True)
                if missing:
                    fsync_dir(self.root)
                _FANNED_OUT.add(self.root)
        self._fanned_out = True

    def _temp_file(self) -> Path:
        make_dirs(self.root / TMP)
        fd, name = tempfile.mkstemp(dir=self.root / TMP, prefix="put-")
        os.close(fd)
        return Path(name)

    def _temp_name(self) -> Path:
        """A fresh name under ``root/.tmp`` (made once per store root and process), not yet a file."""
        folder = self.root / TMP
        if folder not in _TEMP_DIRS:
            make_dirs(folder)
            _TEMP_DIRS.add(folder)
        return folder / f"put-{secrets.token_hex(12)}"


def _copy_hashing(src: BinaryIO, dst: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(dst, "wb") as out:
        while chunk := src.read(CHUNK):
            h.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return h.hexdigest(), size


def _sorted_dirs(path: Path) -> list[Path]:
    if not path.is_dir():
        return []
    return [path / n for n in sorted(os.listdir(path)) if len(n) == 2 and (path / n).is_dir()]


def make_stripes(folder: Path) -> None:
    """The 256 lock files ``folder/00`` … ``folder/ff`` (empty; they only carry ``flock``s)."""
    folder.mkdir(parents=True, exist_ok=True)
    present = {p.name for p in folder.iterdir()}
    for n in range(256):
        if f"{n:02x}" not in present:
            (folder / f"{n:02x}").touch()

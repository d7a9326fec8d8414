"""Resumable uploads: ``UploadArea(root)`` keeps one partial file per upload.

    area.begin("u1", total_size=n, expected_digest=d)      # again after a crash: same state
    area.write_chunk("u1", offset=0, data=first)           # fsynced before it returns
    area.state("u1").received                              # where the client resumes
    area.finish("u1", store)                               # verify the digest, store, clean up
    area.finish_whole("u1", body, store, checked_sha256=d) # the whole body in one request

Durability: ``begin`` fsyncs nothing (a begun upload holds no byte anyone was promised; one
lost to a power loss is begun again, and a directory whose ``meta.json`` is unreadable counts
as not begun). The first chunk written by ``write_chunk`` makes the upload's files and
directory durable (once: the ``synced`` marker) before its bytes, so a ``received`` it
returns survives a power loss. ``finish_whole`` writes a body that arrives whole straight
into the store (one file fsync, then the store's directory fsyncs): no partial file at all.

Layout: ``root/<upload_id>/`` holds ``meta.json`` (size, digest), ``data`` (the bytes so far)
and ``offset`` (the durable offset: 8 bytes big-endian + CRC-32, rewritten in place after the
chunk's bytes are fsynced). ``begin`` makes only ``meta.json``; ``data`` and ``offset`` are made
by the first chunk (missing, they read as 0 received): a package finished in one request never
needs them, and on ext4 here each new file costs ≈ 0.65 ms of CPU (docs/benchmarks.md). ``received`` is ``min(offset record, file size)``, so a crash,
SIGKILL or power loss, loses at most the chunk in flight; bytes past the record are cut off
by the next write. Chunks are idempotent: re-sending bytes already received is fine, an
overlap with different bytes is refused (``upload_overlap_mismatch``), and so is a gap
(``upload_gap``: resume at ``state.received``). Memory is bounded by ``max_chunk``.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import shutil
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenderhub.blobs.durable import fsync_dir, fsync_path, make_dirs
from tenderhub.blobs.fs import FileBlobStore, make_stripes
from tenderhub.blobs.port import (
    BlobRef,
    BlobStore,
    DigestMismatch,
    checked_digest,
    hash_stream,
)
from tenderhub.core.shared.errors import Conflict, Invalid, NotFound

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_RECORD = struct.Struct(">QI")  # offset, crc32 of the packed offset: 12 bytes, one sector
MAX_CHUNK = 64 * 1024 * 1024


@dataclass(frozen=True)
class UploadState:
    upload_id: str
    total_size: int
    expected_digest: str
    received: int

    @property
    def complete(self) -> bool:
        return self.received == self.total_size


class UploadArea:
    def __init__(self, root: Path, *, max_chunk: int = MAX_CHUNK) -> None:
        self.root = Path(root)
        self.max_chunk = max_chunk

    def prepare(self) -> None:
        """The area and the 256 lock files of ``begin`` (see ``FileBlobStore.prepare``)."""
        make_stripes(self.root / ".begin")

    def begin(self, upload_id: str, total_size: int, expected_digest: str) -> UploadState:
        """Start an upload, or return its state if the same upload was begun before."""
        checked_digest(expected_digest, "expected_digest")
        if not isinstance(total_size, int) or total_size < 0:
            raise Invalid(f"total_size {total_size!r} must be a non-negative integer", field="total_size")
        with self._beginning(upload_id):  # the same upload begun twice at once (threads or processes)
            if self._dir(upload_id).is_dir() and not self._readable_meta(upload_id):
                self._discard(upload_id)  # a removal stopped half way, or a begin cut by a power loss
            if self._dir(upload_id).is_dir():
                return self._same_upload(upload_id, total_size, expected_digest)
            self._create(upload_id, total_size, expected_digest)
            return self.state(upload_id)

    def state(self, upload_id: str) -> UploadState:
        meta = self._meta(upload_id)
        recorded, data = _read_record(self._dir(upload_id) / "offset"), self._data(upload_id)
        if not data.exists() and recorded == meta["total_size"]:
            # finish() moved the complete bytes into the store and was stopped before cleaning
            # up: the upload is complete, and finishing again returns the stored blob.
            return UploadState(upload_id, meta["total_size"], meta["expected_digest"], recorded)
        received = min(recorded, _size(data))
        return UploadState(upload_id, meta["total_size"], meta["expected_digest"], received)

    def write_chunk(self, upload_id: str, offset: int, data: bytes, *, finishing: bool = False) -> UploadState:
        """``finishing``: ``finish`` follows at once (the last chunk of a finish request): the
        bytes are fsynced as always, the offset record is written without its own fsync (a
        crash before the finish at worst makes the client send the chunk again)."""
        with self._locked(upload_id):
            state = self.state(upload_id)
            _check_chunk(state, offset, len(data), self.max_chunk)
            fresh = data[self._matching_overlap(state, offset, data) :]
            if fresh:
                if not finishing:
                    self._make_durable(upload_id)
                self._append(upload_id, state.received, fresh, sync_record=not finishing)
            return self.state(upload_id)

    def finish_whole(self, upload_id: str, body: bytes, store: BlobStore, *, checked_sha256: str) -> BlobRef:
        """Finish an upload whose whole body arrived in one request (nothing received before):
        the bytes go straight into the store (``store_bytes``: one temp file, fsynced, renamed
        into place, its directory fsynced), never into the upload area. ``checked_sha256``:
        the caller has just hashed ``body``. A mismatch removes the upload and raises; an
        upload already holding bytes is ``Conflict`` (``upload_not_whole``: finish it as usual)."""
        with self._locked(upload_id):
            state = self.state(upload_id)
            if state.received != 0 or len(body) != state.total_size:
                raise Conflict(f"upload {upload_id} already holds {state.received} bytes or the body is not all {state.total_size}",
                               message_zh=f"上传 {upload_id} 已有数据或本次数据不完整", code="upload_not_whole")
            if checked_sha256 != state.expected_digest:
                self.abandon(upload_id)
                raise DigestMismatch(state.expected_digest, checked_sha256, size=len(body))
            ref = store_bytes(store, body, BlobRef(checked_sha256, len(body)))
        self._discard(upload_id, durable=False)  # nothing in it anyone was promised
        return ref

    def finish(self, upload_id: str, store: BlobStore, *, checked_sha256: str | None = None) -> BlobRef:
        """Check every byte against the expected digest, store the blob durably, clean up.
        A mismatch removes the upload (its bytes can never become right) and raises.
        ``checked_sha256``: the caller has just hashed the complete bytes (no second pass)."""
        with self._locked(upload_id):
            state = self.state(upload_id)
            data = self._data(upload_id)
            if not data.exists() and state.complete and store.exists(state.expected_digest):  # moved, then crashed
                ref = BlobRef(state.expected_digest, state.total_size)
            else:
                ref = self._store(state, data, store, checked_sha256)
        # Not made durable: a finished upload that reappears after a crash holds no bytes or
        # the stored ones, and finishing it again returns the stored blob.
        self._discard(upload_id, durable=False)
        return ref

    def partial(self, upload_id: str) -> Path | None:
        """The bytes received so far (to check before ``finish``), or None once they moved."""
        data = self._data(upload_id)
        return data if data.exists() else None

    def abandon(self, upload_id: str) -> None:
        """Remove the upload and its bytes (no error if it is already gone)."""
        if self._dir(upload_id).exists():
            self._discard(upload_id)

    def _discard(self, upload_id: str, *, durable: bool = True) -> None:
        """Rename the directory away first (atomic), then delete it: a crash in between
        leaves a hidden ``.gone-*`` directory, never a half-removed upload."""
        if not self._dir(upload_id).exists():
            return
        gone = self.root / f".gone-{upload_id}-{os.urandom(4).hex()}"
        os.replace(self._dir(upload_id), gone)
        if durable:
            fsync_dir(self.root)
        shutil.rmtree(gone, ignore_errors=True)

    # ---- internals ------------------------------------------------------------------------

    def _dir(self, upload_id: str) -> Path:
        if not isinstance(upload_id, str) or not _ID.fullmatch(upload_id):
            raise Invalid(f"bad upload id {upload_id!r}: 1-100 of A-Z a-z 0-9 _ -", field="upload_id")
        return self.root / upload_id

    def _data(self, upload_id: str) -> Path:
        return self._dir(upload_id) / "data"

    def _meta(self, upload_id: str) -> dict[str, Any]:
        """``meta.json``; unreadable (a begin cut by a power loss: never fsynced) is not begun."""
        try:
            meta: dict[str, Any] = json.loads((self._dir(upload_id) / "meta.json").read_text())
        except (FileNotFoundError, ValueError):
            raise NotFound(f"no upload {upload_id}", message_zh=f"未找到上传 {upload_id}", field="upload_id", code="upload_not_found") from None
        return meta

    def _readable_meta(self, upload_id: str) -> bool:
        try:
            self._meta(upload_id)
        except NotFound:
            return False
        return True

    def _make_durable(self, upload_id: str) -> None:
        """Before the first bytes a chunk promises: the upload's files, its directory and its
        name in the area (``begin`` fsynced none of them); once, marked by ``synced``."""
        folder = self._dir(upload_id)
        if (folder / "synced").exists():
            return
        _open_new(folder / "data")
        _open_new(folder / "offset")
        for path in (folder / "meta.json", folder / "data", folder / "offset", folder, self.root):
            fsync_path(path)
        (folder / "synced").write_bytes(b"")  # a hint only: lost, the fsyncs are done again

    def _same_upload(self, upload_id: str, total_size: int, expected_digest: str) -> UploadState:
        state = self.state(upload_id)
        if (state.total_size, state.expected_digest) != (total_size, expected_digest):
            raise Conflict(f"upload {upload_id} exists for other content", message_zh=f"上传 {upload_id} 已存在且内容不同", code="upload_exists")
        return state

    def _create(self, upload_id: str, total_size: int, expected_digest: str) -> None:
        """Build the upload in a hidden directory, then rename it into place (all or nothing
        for a process kill; no fsync: see the module's note on durability)."""
        make_dirs(self.root)
        building = self.root / f".new-{upload_id}"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        meta = {"upload_id": upload_id, "total_size": total_size, "expected_digest": expected_digest}
        (building / "meta.json").write_bytes(json.dumps(meta).encode())  # data, offset: by the first chunk
        os.rename(building, self._dir(upload_id))

    @contextmanager
    def _beginning(self, upload_id: str) -> Iterator[None]:
        """An exclusive ``flock`` on one of 256 files ``root/.begin/<xx>`` (by the id's CRC-32):
        begins of the same upload never build its directory at the same time."""
        folder = self.root / ".begin"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{zlib.crc32(self._dir(upload_id).name.encode()) & 0xFF:02x}", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    @contextmanager
    def _locked(self, upload_id: str) -> Iterator[None]:
        """One writer per upload at a time (an advisory lock on its ``meta.json``)."""
        self._meta(upload_id)
        with open(self._dir(upload_id) / "meta.json", "rb") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            yield

    def _matching_overlap(self, state: UploadState, offset: int, data: bytes) -> int:
        """How many leading bytes of ``data`` are already stored; ``Conflict`` if they differ."""
        overlap = max(0, min(state.received - offset, len(data)))
        if overlap == 0:
            return 0
        with open(self._data(state.upload_id), "rb") as f:
            f.seek(offset)
            stored = f.read(overlap)
        if stored != data[:overlap]:
            raise Conflict(
                f"the chunk at {offset} differs from bytes already received; resume at {state.received}",
                message_zh=f"偏移 {offset} 处的数据与已接收的数据不同；请从 {state.received} 续传",
                field="offset", code="upload_overlap_mismatch",
            )
        return overlap

    def _append(self, upload_id: str, at: int, fresh: bytes, *, sync_record: bool = True) -> None:
        fd = os.open(self._data(upload_id), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.ftruncate(fd, at)  # drop any bytes past the durable offset (a torn earlier chunk)
            os.pwrite(fd, fresh, at)
            os.fsync(fd)
        finally:
            os.close(fd)
        _write_record(self._dir(upload_id) / "offset", at + len(fresh), sync=sync_record)

    def _store(self, state: UploadState, data: Path, store: BlobStore, checked_sha256: str | None) -> BlobRef:
        if not state.complete:
            raise Conflict(
                f"upload {state.upload_id} has {state.received} of {state.total_size} bytes",
                message_zh=f"上传 {state.upload_id} 尚未完成（{state.received}/{state.total_size} 字节）",
                code="upload_incomplete",
            )
        if checked_sha256 is not None:
            digest, size = checked_sha256, _size(data)
        else:
            with open(data, "rb") as f:
                digest, size = hash_stream(f)
        if digest != state.expected_digest:
            self.abandon(state.upload_id)
            raise DigestMismatch(state.expected_digest, digest, size=size)
        if isinstance(store, FileBlobStore) and _same_device(data, store.root):
            return store.adopt(data, BlobRef(digest, size))  # a rename: no second copy
        with open(data, "rb") as f:
            return store.put_stream(f, expected_digest=digest)


def _check_chunk(state: UploadState, offset: int, length: int, max_chunk: int) -> None:
    if length > max_chunk:
        raise Invalid(f"a chunk holds at most {max_chunk} bytes, not {length}", field="data", code="chunk_too_large")
    if offset < 0 or offset + length > state.total_size:
        raise Invalid(f"bytes {offset}..{offset + length} fall outside 0..{state.total_size}", field="offset", code="chunk_out_of_range")
    if offset > state.received:
        raise Conflict(
            f"a gap: the chunk starts at {offset} but only {state.received} bytes are received; resume at {state.received}",
            message_zh=f"数据不连续：已接收 {state.received} 字节，请从该偏移续传",
            field="offset", code="upload_gap",
        )


def _read_record(path: Path) -> int:
    """The durable offset; 0 if the record is unreadable (the client then re-sends)."""
    try:
        offset, crc = _RECORD.unpack(path.read_bytes()[: _RECORD.size])
    except (FileNotFoundError, struct.error):
        return 0
    return offset if zlib.crc32(struct.pack(">Q", offset)) == crc else 0


def store_bytes(store: BlobStore, body: bytes, ref: BlobRef) -> BlobRef:
    """``body`` (already hashed to ``ref``) into the store durably, written once."""
    if isinstance(store, FileBlobStore):
        return store.put_hashed(body, ref)
    return store.put_stream(io.BytesIO(body), expected_digest=ref.digest)


def _write_record(path: Path, offset: int, *, sync: bool = True) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, _RECORD.pack(offset, zlib.crc32(struct.pack(">Q", offset))), 0)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _open_new(path: Path) -> None:
    """Make ``path`` (empty) unless it exists."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _same_device(path: Path, root: Path) -> bool:
    make_dirs(root)
    return path.stat().st_dev == root.stat().st_dev

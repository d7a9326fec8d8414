"""``FileBlobStore``: fan-out layout, durable before it returns, nothing partial ever visible."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest

from tenderhub.blobs import FileBlobStore, durable, location


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_blob_lives_under_two_fan_out_directories(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    ref = store.put_stream(io.BytesIO(b"abc"))
    d = ref.digest
    assert store.path_for(d) == tmp_path / d[:2] / d[2:4] / d and store.path_for(d).read_bytes() == b"abc"


def test_the_platform_keeps_its_blobs_in_the_data_dir(tmp_path: Path) -> None:
    assert location(tmp_path) == tmp_path / "blobs"


def test_the_file_and_its_directory_are_fsynced_before_the_ref_is_returned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    store = FileBlobStore(tmp_path)
    final = store.path_for(store.put_stream(io.BytesIO(b"durable")).digest)
    temp_synced = [p for p in synced if "/.tmp/" in p]
    assert temp_synced, "the temp file's bytes are fsynced"
    assert synced.index(temp_synced[0]) < synced.index(str(final.parent)), "then the directory of its new name"
    assert str(final.parent.parent) in synced and str(tmp_path) in synced, "new fan-out directories too"


class Exploding(io.RawIOBase):
    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.calls += 1
        if self.calls > 2:
            raise OSError("connection reset")
        buffer[:4] = b"part"
        return 4


def test_a_failed_stream_leaves_no_blob_and_no_temp_file(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    with pytest.raises(OSError):
        store.put_stream(Exploding())  # type: ignore[arg-type]
    assert list(store.iter_digests()) == [] and list((tmp_path / ".tmp").iterdir()) == []


def test_a_damaged_copy_is_replaced_by_a_verified_put(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    ref = store.put_stream(io.BytesIO(b"0123456789"))
    store.path_for(ref.digest).write_bytes(b"01234")
    assert not store.verify(ref.digest)
    assert store.put_stream(io.BytesIO(b"0123456789")) == ref and store.verify(ref.digest)


def test_a_changed_byte_fails_verification(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    ref = store.put_stream(io.BytesIO(b"0123456789"))
    store.path_for(ref.digest).write_bytes(b"0123456780")
    assert not store.verify(ref.digest)


def test_stray_files_are_not_listed_and_crash_leftovers_can_be_swept(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    ref = store.put_stream(io.BytesIO(b"kept"))
    (tmp_path / ".tmp" / "put-crashed").write_bytes(b"half")
    (store.path_for(ref.digest).parent / "notes.txt").write_text("x")
    assert list(store.iter_digests()) == [ref.digest]
    assert store.sweep_temp() == 1 and not (tmp_path / ".tmp" / "put-crashed").exists()


def test_durable_make_dirs_creates_every_missing_level(tmp_path: Path) -> None:
    durable.make_dirs(tmp_path / "a" / "b" / "c")
    assert (tmp_path / "a" / "b" / "c").is_dir()


def test_remove_deletes_one_blob_and_says_whether_it_was_there(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    kept, gone = store.put_stream(io.BytesIO(b"kept")), store.put_stream(io.BytesIO(b"gone"))
    assert store.remove(gone.digest) is True and store.remove(gone.digest) is False
    assert not store.exists(gone.digest) and store.verify(kept.digest)


def test_a_digest_lock_excludes_any_other_holder_until_it_is_released(tmp_path: Path) -> None:
    import fcntl

    store = FileBlobStore(tmp_path)
    digest = sha(b"x")
    # another open file of the lock, as another process would have: refused while held
    with store.digest_lock(digest), open(tmp_path / ".locks" / digest[:2], "rb") as other, pytest.raises(BlockingIOError):
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(tmp_path / ".locks" / digest[:2], "rb") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
    store.put_stream(io.BytesIO(b"x"))
    assert list(store.iter_digests()) == [digest]  # the lock files are not blobs


def test_digest_locks_take_a_lock_file_shared_by_two_digests_once_and_hold_every_one(tmp_path: Path) -> None:
    import fcntl

    store = FileBlobStore(tmp_path)
    same_stripe = ["ab" + "0" * 62, "ab" + "1" * 62]  # one lock file: taking it twice would wait for ourselves
    other = "cd" + "2" * 62
    with store.digest_locks([*same_stripe, other]):
        for stripe in ("ab", "cd"):
            with open(tmp_path / ".locks" / stripe, "rb") as f, pytest.raises(BlockingIOError):
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(tmp_path / ".locks" / "ab", "rb") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again

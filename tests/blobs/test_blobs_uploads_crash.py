"""Crashes inside finish() and abandon() leave an upload that can still be finished or restarted."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tenderhub.blobs import FileBlobStore, UploadArea


def test_a_crash_after_finish_moved_the_bytes_leaves_an_upload_that_finishes_again(tmp_path: Path) -> None:
    data = os.urandom(300_000)
    digest = hashlib.sha256(data).hexdigest()
    area, store = UploadArea(tmp_path / "uploads"), FileBlobStore(tmp_path / "blobs")
    area.begin("u1", len(data), digest)
    area.write_chunk("u1", 0, data)
    with open(tmp_path / "uploads" / "u1" / "data", "rb") as src:  # finish's move, then the "kill"
        store.put_stream(src, expected_digest=digest)
    (tmp_path / "uploads" / "u1" / "data").unlink()
    assert area.state("u1").complete
    ref = area.finish("u1", store)
    assert (ref.digest, ref.size) == (digest, len(data)) and store.verify(digest)


def test_a_removal_stopped_half_way_does_not_lock_the_upload_out(tmp_path: Path) -> None:
    data = b"x" * 1000
    digest = hashlib.sha256(data).hexdigest()
    area = UploadArea(tmp_path / "uploads")
    area.begin("u2", len(data), digest)
    (tmp_path / "uploads" / "u2" / "meta.json").unlink()  # rmtree killed after the first file
    state = area.begin("u2", len(data), digest)
    assert state.received == 0
    assert area.write_chunk("u2", 0, data).complete


def test_a_kill_inside_a_whole_body_finish_leaves_an_upload_that_finishes_again(tmp_path: Path) -> None:
    """Killed after the temp file was written (a stray temp) or after it entered the store
    (the upload not yet cleaned up): finishing again stores the bytes once and cleans up."""
    data = os.urandom(200_000)
    digest = hashlib.sha256(data).hexdigest()
    area, store = UploadArea(tmp_path / "uploads"), FileBlobStore(tmp_path / "blobs")
    area.begin("w1", len(data), digest)
    (store.temp_dir() / "put-killed").write_bytes(data[:1000])  # killed while writing the temp file
    ref = area.finish_whole("w1", data, store, checked_sha256=digest)
    assert (ref.digest, ref.size) == (digest, len(data)) and store.verify(digest)
    area.begin("w2", len(data), digest)
    with open(store.path_for(digest), "rb") as stored:  # killed after the rename, before the clean-up
        assert stored.read() == data
    assert area.state("w2").received == 0
    ref = area.finish_whole("w2", data, store, checked_sha256=digest)
    assert ref.digest == digest and store.verify(digest) and not (tmp_path / "uploads" / "w2").exists()
    assert store.sweep_temp() == 1 and list(store.iter_digests()) == [digest]


def test_a_whole_body_killed_before_its_finish_leaves_the_upload_resumable_from_zero(tmp_path: Path) -> None:
    """A begin is not fsynced: after a power loss its directory may hold an empty meta.json;
    the upload then counts as not begun and begins again from zero."""
    data = b"y" * 5000
    digest = hashlib.sha256(data).hexdigest()
    area, store = UploadArea(tmp_path / "uploads"), FileBlobStore(tmp_path / "blobs")
    area.begin("w3", len(data), digest)
    (tmp_path / "uploads" / "w3" / "meta.json").write_bytes(b"")
    assert area.begin("w3", len(data), digest).received == 0
    assert area.finish_whole("w3", data, store, checked_sha256=digest).digest == digest

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

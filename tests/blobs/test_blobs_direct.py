"""``blobs/direct.py`` and ``FileBlobStore.put_hashed``: a new file written once (``O_DIRECT``
where the file system allows it), exact bytes and length, fsynced before the rename."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from tenderhub.blobs import FileBlobStore, direct
from tenderhub.blobs.port import BlobRef


def ref_of(body: bytes) -> BlobRef:
    return BlobRef(hashlib.sha256(body).hexdigest(), len(body))


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, (1 << 20) + 300, 3 * (1 << 20)])
def test_every_length_is_written_exactly_not_padded(tmp_path: Path, size: int) -> None:
    body = os.urandom(size)
    direct.write_new(tmp_path / "f", body)
    assert (tmp_path / "f").read_bytes() == body and (tmp_path / "f").stat().st_size == size


def test_the_file_is_opened_with_o_direct_and_fsynced_after_its_length_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not direct._DIRECT:
        pytest.skip("no O_DIRECT on this platform")
    calls: list[str] = []
    real_open, real_truncate, real_fsync = os.open, os.ftruncate, os.fsync
    monkeypatch.setattr(os, "open", lambda path, flags, *a: calls.append(f"open direct={bool(flags & direct._DIRECT)}") or real_open(path, flags, *a))
    monkeypatch.setattr(os, "ftruncate", lambda fd, n: calls.append(f"truncate {n}") or real_truncate(fd, n))
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    direct.write_new(tmp_path / "f", b"x" * 5000)
    if tmp_path in direct._REFUSED:
        pytest.skip("this file system refuses O_DIRECT")
    assert calls == ["open direct=True", "truncate 5000", "fsync"]


def test_a_file_system_refusing_o_direct_gets_the_buffered_write_from_then_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open
    flags_seen: list[bool] = []

    def refusing(path: str, flags: int, *args: int) -> int:
        flags_seen.append(bool(flags & direct._DIRECT))
        if flags & direct._DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refusing)
    monkeypatch.setattr(direct, "_DIRECT", os.O_DIRECT if hasattr(os, "O_DIRECT") else 0o40000)
    monkeypatch.setattr(direct, "_REFUSED", set())
    direct.write_new(tmp_path / "a", b"first")
    direct.write_new(tmp_path / "b", b"second")
    assert (tmp_path / "a").read_bytes() == b"first" and (tmp_path / "b").read_bytes() == b"second"
    assert flags_seen == [True, False, False], "refused once, then straight to the buffered write"


def test_another_error_is_not_hidden_and_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"kept")
    with pytest.raises(FileExistsError):
        direct.write_new(tmp_path / "f", b"other")
    assert (tmp_path / "f").read_bytes() == b"kept"


def test_put_hashed_stores_the_bytes_under_their_digest_and_leaves_no_temp_file(tmp_path: Path) -> None:
    store, body = FileBlobStore(tmp_path), os.urandom((1 << 20) + 17)
    ref = store.put_hashed(body, ref_of(body))
    assert store.path_for(ref.digest).read_bytes() == body and store.verify(ref.digest)
    assert list((tmp_path / ".tmp").iterdir()) == []


def test_put_hashed_keeps_an_intact_blob_and_repairs_a_damaged_one(tmp_path: Path) -> None:
    store, body = FileBlobStore(tmp_path), b"sealed bytes" * 1000
    ref = store.put_hashed(body, ref_of(body))
    before = store.path_for(ref.digest).stat().st_ino
    assert store.put_hashed(body, ref) == ref and store.path_for(ref.digest).stat().st_ino == before, "not written again"
    store.path_for(ref.digest).write_bytes(b"cut")
    store.put_hashed(body, ref)
    assert store.path_for(ref.digest).read_bytes() == body

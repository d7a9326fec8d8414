"""Resumable uploads: idempotent chunks, no gaps, no silent overwrite, a verified finish, and
a crash (SIGKILL) loses at most the chunk in flight."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tenderhub.blobs import BlobRef, DigestMismatch, FileBlobStore, InMemoryBlobStore, UploadArea
from tenderhub.core.shared.errors import Conflict, Invalid, NotFound

DATA = bytes(range(256)) * 40  # 10240 bytes
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def area(tmp_path: Path) -> UploadArea:
    return UploadArea(tmp_path / "uploads")


def send(area: UploadArea, start: int, end: int, upload_id: str = "u1") -> int:
    return area.write_chunk(upload_id, start, DATA[start:end]).received


def test_an_upload_in_chunks_becomes_a_verified_blob(area: UploadArea, tmp_path: Path) -> None:
    area.begin("u1", len(DATA), DIGEST)
    for start in range(0, len(DATA), 4096):
        send(area, start, start + 4096)
    store = FileBlobStore(tmp_path / "blobs")
    ref = area.finish("u1", store)
    assert (ref.digest, ref.size) == (DIGEST, len(DATA)) and store.verify(DIGEST)
    assert not (tmp_path / "uploads" / "u1").exists()


def test_the_same_chunk_twice_is_accepted_once(area: UploadArea) -> None:
    area.begin("u1", len(DATA), DIGEST)
    assert send(area, 0, 1000) == 1000
    assert send(area, 0, 1000) == 1000
    assert send(area, 500, 2000) == 2000  # overlapping but identical: only the new bytes are added


def test_an_overlapping_chunk_with_different_bytes_is_refused(area: UploadArea) -> None:
    area.begin("u1", len(DATA), DIGEST)
    send(area, 0, 1000)
    with pytest.raises(Conflict) as refused:
        area.write_chunk("u1", 900, b"\xff" * 200)
    assert refused.value.code == "upload_overlap_mismatch" and area.state("u1").received == 1000


def test_a_gap_is_refused_and_names_where_to_resume(area: UploadArea) -> None:
    area.begin("u1", len(DATA), DIGEST)
    send(area, 0, 1000)
    with pytest.raises(Conflict) as refused:
        send(area, 1001, 2000)
    assert refused.value.code == "upload_gap" and "resume at 1000" in str(refused.value)


def test_bytes_beyond_the_announced_size_are_refused(area: UploadArea) -> None:
    area.begin("u1", 10, DIGEST)
    with pytest.raises(Invalid):
        area.write_chunk("u1", 0, b"x" * 11)


def test_a_chunk_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    area = UploadArea(tmp_path, max_chunk=100)
    area.begin("u1", len(DATA), DIGEST)
    with pytest.raises(Invalid) as refused:
        send(area, 0, 101)
    assert refused.value.code == "chunk_too_large"


def test_finishing_an_incomplete_upload_is_refused(area: UploadArea) -> None:
    area.begin("u1", len(DATA), DIGEST)
    send(area, 0, 100)
    with pytest.raises(Conflict) as refused:
        area.finish("u1", InMemoryBlobStore())
    assert refused.value.code == "upload_incomplete" and area.state("u1").received == 100


def test_bytes_that_do_not_hash_to_the_announced_digest_are_refused_and_removed(area: UploadArea) -> None:
    area.begin("u1", len(DATA), hashlib.sha256(b"other").hexdigest())
    send(area, 0, len(DATA))
    store = InMemoryBlobStore()
    with pytest.raises(DigestMismatch):
        area.finish("u1", store)
    assert store.blobs == {}
    with pytest.raises(NotFound):
        area.state("u1")


def test_beginning_again_resumes_and_other_content_under_the_same_id_is_refused(area: UploadArea) -> None:
    area.begin("u1", len(DATA), DIGEST)
    send(area, 0, 300)
    assert area.begin("u1", len(DATA), DIGEST).received == 300
    with pytest.raises(Conflict):
        area.begin("u1", len(DATA) + 1, DIGEST)


def test_an_abandoned_upload_is_gone_and_abandoning_twice_is_fine(area: UploadArea) -> None:
    area.begin("u1", len(DATA), DIGEST)
    area.abandon("u1")
    area.abandon("u1")
    with pytest.raises(NotFound):
        area.write_chunk("u1", 0, b"x")


def test_an_upload_id_is_never_a_path(area: UploadArea) -> None:
    with pytest.raises(Invalid):
        area.begin("../escape", 1, DIGEST)


def test_a_finished_upload_is_renamed_into_the_file_store_not_copied(area: UploadArea, tmp_path: Path) -> None:
    area.begin("u1", len(DATA), DIGEST)
    send(area, 0, len(DATA))
    inode = (tmp_path / "uploads" / "u1" / "data").stat().st_ino
    store = FileBlobStore(tmp_path / "blobs")
    area.finish("u1", store)
    assert store.path_for(DIGEST).stat().st_ino == inode


def test_a_finish_interrupted_after_the_move_completes_on_retry(area: UploadArea, tmp_path: Path) -> None:
    area.begin("u1", len(DATA), DIGEST)
    send(area, 0, len(DATA))
    store = FileBlobStore(tmp_path / "blobs")
    os.rename(tmp_path / "uploads" / "u1" / "data", tmp_path / "moved")  # the rename happened,
    store.adopt(tmp_path / "moved", BlobRef(DIGEST, len(DATA)))
    assert area.finish("u1", store).digest == DIGEST  # ... the clean-up did not
    assert not (tmp_path / "uploads" / "u1").exists()


def test_bytes_past_the_durable_offset_are_ignored_and_overwritten(area: UploadArea, tmp_path: Path) -> None:
    """A torn chunk (power loss after the bytes, before the offset record) is cut off."""
    area.begin("u1", len(DATA), DIGEST)
    send(area, 0, 1000)
    with open(tmp_path / "uploads" / "u1" / "data", "ab") as f:
        f.write(b"\x00" * 500)
    assert area.state("u1").received == 1000
    send(area, 1000, len(DATA))
    assert area.finish("u1", InMemoryBlobStore()).digest == DIGEST


def test_an_unreadable_offset_record_restarts_from_zero_safely(area: UploadArea, tmp_path: Path) -> None:
    area.begin("u1", len(DATA), DIGEST)
    send(area, 0, 1000)
    (tmp_path / "uploads" / "u1" / "offset").write_bytes(b"garbage-garbage")
    assert area.state("u1").received == 0
    assert send(area, 0, len(DATA)) == len(DATA)  # the first 1000 bytes match what is stored
    assert area.finish("u1", InMemoryBlobStore()).digest == DIGEST


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tenderhub.blobs import UploadArea
    root, size, digest, chunk = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    data = open(sys.argv[5], "rb").read()
    area = UploadArea(root)
    area.begin("crash", size, digest)
    for start in range(0, size, chunk):
        area.write_chunk("crash", start, data[start:start + chunk])
        print(start + chunk, flush=True)
    """
)


def test_after_sigkill_the_state_reports_every_acknowledged_chunk_and_the_upload_resumes(tmp_path: Path) -> None:
    chunk, data = 64 * 1024, os.urandom(64 * 1024 * 200)
    source = tmp_path / "source"
    source.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "up"), str(len(data)), digest, str(chunk), str(source)],
        stdout=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None
    acknowledged = [int(child.stdout.readline()) for _ in range(20)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    area = UploadArea(tmp_path / "up")
    received = area.state("crash").received
    assert acknowledged[-1] <= received < len(data)
    area.write_chunk("crash", received, data[received : received + chunk])  # resume where told
    for start in range(received + chunk, len(data), chunk):
        area.write_chunk("crash", start, data[start : start + chunk])
    assert area.finish("crash", FileBlobStore(tmp_path / "blobs")).digest == digest


class CountingFsync:
    """Counts the real ``os.fsync`` calls (each still happens)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls, real = 0, os.fsync

        def counted(fd: int) -> None:
            self.calls += 1
            real(fd)

        monkeypatch.setattr(os, "fsync", counted)

    def since(self) -> int:
        calls, self.calls = self.calls, 0
        return calls


def test_an_upload_costs_no_fsync_to_begin_five_more_for_its_first_chunk_and_two_per_chunk(area: UploadArea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    store.temp_dir()
    store.put_stream(io.BytesIO(b"first blob: the fan-out is made"))
    (tmp_path / "uploads").mkdir()
    fsyncs = CountingFsync(monkeypatch)
    area.begin("u1", len(DATA), DIGEST)
    assert fsyncs.since() == 0  # a begun upload promises nothing
    send(area, 0, 4096)
    assert fsyncs.since() == 5 + 2  # meta.json, data, offset, the directory, its parent; the bytes, the record
    send(area, 4096, len(DATA))
    assert fsyncs.since() == 2  # the bytes, then the offset record
    ref = area.finish("u1", store, checked_sha256=DIGEST)
    assert ref == BlobRef(DIGEST, len(DATA)) and store.verify(DIGEST)
    assert fsyncs.since() == 2  # the blob's directory and the second-level directory made for it


def test_a_whole_body_costs_one_file_fsync_and_the_store_directories(area: UploadArea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    store.put_stream(io.BytesIO(b"first blob: the fan-out is made"))
    area.begin("u1", len(DATA), DIGEST)
    fsyncs = CountingFsync(monkeypatch)
    ref = area.finish_whole("u1", DATA, store, checked_sha256=DIGEST)
    assert ref == BlobRef(DIGEST, len(DATA)) and store.verify(DIGEST)
    assert fsyncs.since() == 3  # the bytes; the blob's directory, the second-level directory made for it
    assert not (area.root / "u1").exists() and list((store.root / ".tmp").iterdir()) == []
    with pytest.raises(NotFound):
        area.state("u1")


def test_a_whole_body_that_hashes_otherwise_is_refused_and_stores_nothing(area: UploadArea, tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    area.begin("u1", len(DATA), DIGEST)
    with pytest.raises(DigestMismatch):
        area.finish_whole("u1", DATA, store, checked_sha256="0" * 64)
    assert list(store.iter_digests()) == [] and not (area.root / "u1").exists()


def test_a_whole_body_after_a_chunk_or_of_the_wrong_size_is_refused(area: UploadArea, tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    area.begin("u1", len(DATA), DIGEST)
    with pytest.raises(Conflict) as short:
        area.finish_whole("u1", DATA[:-1], store, checked_sha256=DIGEST)
    send(area, 0, 100)
    with pytest.raises(Conflict) as started:
        area.finish_whole("u1", DATA, store, checked_sha256=DIGEST)
    assert short.value.code == started.value.code == "upload_not_whole"
    assert area.state("u1").received == 100 and list(store.iter_digests()) == []


def test_a_begin_whose_meta_was_lost_to_a_power_loss_is_begun_afresh(area: UploadArea) -> None:
    area.begin("u1", len(DATA), DIGEST)
    (area.root / "u1" / "meta.json").write_bytes(b"")  # renamed into place, contents never written back
    with pytest.raises(NotFound):
        area.state("u1")
    assert area.begin("u1", len(DATA), DIGEST).received == 0
    assert send(area, 0, len(DATA)) == len(DATA)


def test_a_wrong_checked_digest_is_refused_like_wrong_bytes(area: UploadArea, tmp_path: Path) -> None:
    area.begin("u1", len(DATA), DIGEST)
    send(area, 0, len(DATA))
    with pytest.raises(DigestMismatch):
        area.finish("u1", FileBlobStore(tmp_path / "blobs"), checked_sha256="0" * 64)
    assert not (tmp_path / "uploads" / "u1").exists()


def test_a_crash_that_loses_the_empty_data_and_offset_files_resumes_from_zero(area: UploadArea) -> None:
    area.begin("u1", len(DATA), DIGEST)
    (area.root / "u1" / "offset").write_bytes(b"")  # what a power loss may leave of unsynced files
    (area.root / "u1" / "data").write_bytes(b"")
    assert area.state("u1").received == 0
    assert send(area, 0, len(DATA)) == len(DATA)


def begin_in_a_process(root: str) -> tuple[int, int]:
    state = UploadArea(Path(root)).begin("same-upload", total_size=10, expected_digest="ab" * 32)
    return state.total_size, state.received


def test_the_same_upload_begun_by_several_processes_at_once_is_built_once(tmp_path: Path) -> None:
    """``serve --workers N``: a bidder's retried begin may reach another process meanwhile."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(4) as pool:
        states = pool.map(begin_in_a_process, [str(tmp_path)] * 12)
    assert set(states) == {(10, 0)}
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".begin")) == ["same-upload"]
    assert UploadArea(tmp_path).state("same-upload").expected_digest == "ab" * 32


def test_a_last_chunk_written_for_an_immediate_finish_still_records_its_offset(area: UploadArea, tmp_path: Path) -> None:
    area.begin("u1", len(DATA), DIGEST)
    send(area, 0, 4096)
    assert area.write_chunk("u1", 4096, DATA[4096:], finishing=True).complete
    assert area.state("u1").received == len(DATA)  # read back from the offset record
    store = FileBlobStore(tmp_path / "blobs")
    assert area.finish("u1", store).digest == DIGEST and store.verify(DIGEST)


def test_a_begun_upload_holds_only_its_meta_until_the_first_chunk(area: UploadArea) -> None:
    area.begin("u1", len(DATA), DIGEST)
    assert sorted(p.name for p in (area.root / "u1").iterdir()) == ["meta.json"]  # one new file, not three
    assert area.state("u1").received == 0 and area.partial("u1") is None
    assert send(area, 0, 4096) == 4096
    assert {"data", "offset"} <= {p.name for p in (area.root / "u1").iterdir()}


def test_finishing_an_upload_with_nothing_sent_is_incomplete_even_when_the_store_has_those_bytes(area: UploadArea, tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    store.put_stream(io.BytesIO(DATA))  # the same package, stored by an earlier upload
    area.begin("u2", len(DATA), DIGEST)
    with pytest.raises(Conflict) as incomplete:
        area.finish("u2", store)
    assert incomplete.value.code == "upload_incomplete"


def test_preparing_a_fresh_store_and_area_makes_their_directories_and_lock_files_once(area: UploadArea, tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    for _ in range(2):  # again: nothing to make
        store.prepare()
        area.prepare()
    assert len([p for p in store.root.iterdir() if len(p.name) == 2 and p.is_dir()]) == 256
    assert sorted(p.name for p in (store.root / ".locks").iterdir()) == [f"{n:02x}" for n in range(256)]
    assert len(list((area.root / ".begin").iterdir())) == 256
    area.begin("u1", len(DATA), DIGEST)
    assert area.finish_whole("u1", DATA, store, checked_sha256=DIGEST) == BlobRef(DIGEST, len(DATA))

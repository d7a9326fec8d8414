"""Every blob store keeps the same contract: content-addressed, idempotent, checked, streamed."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_s3 import FakeS3Client

from tenderhub.blobs import (
    BlobNotFound,
    BlobRef,
    DigestMismatch,
    FileBlobStore,
    InMemoryBlobStore,
    S3BlobStore,
)
from tenderhub.core.shared.errors import Invalid

Store = Any
MAKERS: dict[str, Callable[[Path], Store]] = {
    "file": lambda tmp: FileBlobStore(tmp / "blobs"),
    "memory": lambda tmp: InMemoryBlobStore(),
    "s3": lambda tmp: S3BlobStore(FakeS3Client(page_size=2), "bucket", spool_bytes=1024),
}


@pytest.fixture(params=sorted(MAKERS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return MAKERS[request.param](tmp_path)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_blob_is_named_by_the_sha256_of_its_bytes_and_reads_back(store: Store) -> None:
    ref = store.put_stream(io.BytesIO(b"sealed bid"))
    assert ref == BlobRef(sha(b"sealed bid"), 10)
    with store.open(ref.digest) as f:
        assert f.read() == b"sealed bid"
    assert store.exists(ref.digest) and store.size(ref.digest) == 10 and store.verify(ref.digest)


def test_storing_the_same_bytes_again_is_a_no_op(store: Store) -> None:
    first = store.put_stream(io.BytesIO(b"x" * 3000), expected_digest=sha(b"x" * 3000))
    assert store.put_stream(io.BytesIO(b"x" * 3000)) == first
    assert list(store.iter_digests()) == [first.digest]


def test_a_wrong_expected_digest_is_refused_and_stores_nothing(store: Store) -> None:
    with pytest.raises(DigestMismatch) as refused:
        store.put_stream(io.BytesIO(b"tampered"), expected_digest=sha(b"original"))
    assert refused.value.actual == sha(b"tampered") and refused.value.code == "digest_mismatch"
    assert list(store.iter_digests()) == [] and not store.exists(sha(b"tampered"))


def test_a_digest_that_is_not_64_hex_digits_is_refused_before_any_io(store: Store) -> None:
    for bad in ("../../etc/passwd", "ABC", sha(b"a").upper(), ""):
        with pytest.raises(Invalid):
            store.exists(bad)


def test_an_unknown_blob_is_not_found(store: Store) -> None:
    digest = sha(b"never stored")
    assert not store.exists(digest) and not store.verify(digest)
    for read in (store.open, store.size):
        with pytest.raises(BlobNotFound):
            read(digest)


def test_digests_are_listed_in_order(store: Store) -> None:
    digests = [store.put_stream(io.BytesIO(bytes([i]) * 10)).digest for i in range(5)]
    assert list(store.iter_digests()) == sorted(digests)


def test_an_empty_blob_is_a_blob(store: Store) -> None:
    ref = store.put_stream(io.BytesIO(b""))
    assert ref == BlobRef(sha(b""), 0) and store.verify(ref.digest)


class Generated(io.RawIOBase):
    """``size`` pseudo-random bytes produced on the fly (never all in memory)."""

    def __init__(self, size: int) -> None:
        self.left, self.h = size, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        chunk = (hashlib.sha256(self.left.to_bytes(8, "big")).digest() * (n // 32 + 1))[:n]
        buffer[:n] = chunk
        self.h.update(chunk)
        self.left -= n
        return n


def test_a_large_blob_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    import tracemalloc

    store, src = FileBlobStore(tmp_path), Generated(64 * 1024 * 1024)
    tracemalloc.start()
    ref = store.put_stream(io.BufferedReader(src))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert ref == BlobRef(src.h.hexdigest(), 64 * 1024 * 1024) and store.verify(ref.digest)
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes for a 64 MiB blob"

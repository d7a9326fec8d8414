"""``S3BlobStore`` against a fake boto3 client: keys, idempotence, paging, errors passed on."""

from __future__ import annotations

import hashlib
import io

import pytest
from fake_s3 import FakeClientError, FakeS3Client

from tenderhub.blobs import S3BlobStore


def test_a_blob_is_the_object_prefix_plus_digest(tmp_path: object) -> None:
    client = FakeS3Client()
    store = S3BlobStore(client, "bids", prefix="platform-1/")
    ref = store.put_stream(io.BytesIO(b"cipher"))
    assert ("bids", f"platform-1/{ref.digest}") in client.objects


def test_existing_content_is_not_sent_twice(tmp_path: object) -> None:
    client = FakeS3Client()
    store = S3BlobStore(client, "bids")
    store.put_stream(io.BytesIO(b"once"))
    store.put_stream(io.BytesIO(b"once"))
    assert client.puts == 1


def test_listing_follows_continuation_tokens_and_skips_foreign_keys() -> None:
    client = FakeS3Client(page_size=3)
    store = S3BlobStore(client, "bids")
    digests = sorted(store.put_stream(io.BytesIO(bytes([i]))).digest for i in range(7))
    client.objects[("bids", "blobs/readme.txt")] = b"x"
    client.objects[("other", f"blobs/{hashlib.sha256(b'z').hexdigest()}")] = b"z"
    assert list(store.iter_digests()) == digests


def test_a_large_body_spills_to_disk_while_it_is_hashed() -> None:
    client = FakeS3Client()
    store = S3BlobStore(client, "bids", spool_bytes=1024)
    data = b"y" * 100_000
    ref = store.put_stream(io.BytesIO(data), expected_digest=hashlib.sha256(data).hexdigest())
    assert client.objects[("bids", f"blobs/{ref.digest}")] == data and store.verify(ref.digest)


def test_errors_other_than_not_found_are_not_swallowed() -> None:
    class Denied(FakeS3Client):
        def head_object(self, *, Bucket: str, Key: str) -> dict[str, object]:
            raise FakeClientError("AccessDenied")

    with pytest.raises(FakeClientError):
        S3BlobStore(Denied(), "bids").exists(hashlib.sha256(b"").hexdigest())

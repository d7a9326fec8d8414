"""``S3BlobStore``: blobs as objects ``<prefix><digest>`` in an S3-compatible bucket.

Written against ``S3Client``, the four calls of a boto3 S3 client it needs, so boto3 is not
a dependency: pass ``boto3.client("s3", ...)`` in production, a fake in tests. The bytes are
hashed while they are spooled (in memory up to ``spool_bytes``, then in a temp file), so the
digest is known, and checked, before anything is sent; a successful ``put_object`` is the
service's durability promise. Reads stream the object's body in bounded chunks.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO, Protocol, cast

from tenderhub.blobs.port import (
    CHUNK,
    BlobNotFound,
    BlobRef,
    checked_digest,
    hash_stream,
    is_digest,
    require_match,
)

NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}


class S3Client(Protocol):
    def put_object(self, *, Bucket: str, Key: str, Body: Any) -> Any: ...

    def get_object(self, *, Bucket: str, Key: str) -> Any: ...

    def head_object(self, *, Bucket: str, Key: str) -> Any: ...

    def list_objects_v2(self, **kwargs: Any) -> Any: ...


class S3BlobStore:
    def __init__(
        self, client: S3Client, bucket: str, *, prefix: str = "blobs/", spool_bytes: int = 8 * CHUNK
    ) -> None:
        self.client, self.bucket, self.prefix, self.spool_bytes = client, bucket, prefix, spool_bytes

    def key_for(self, digest: str) -> str:
        return self.prefix + checked_digest(digest)

    def put_stream(self, src: BinaryIO, *, expected_digest: str | None = None) -> BlobRef:
        if expected_digest is not None:
            checked_digest(expected_digest, "expected_digest")
        with tempfile.SpooledTemporaryFile(max_size=self.spool_bytes) as spool:
            digest, size = _spool(src, cast(BinaryIO, spool))
            require_match(expected_digest, digest, size)
            if self._head(digest) is None:
                spool.seek(0)
                self.client.put_object(Bucket=self.bucket, Key=self.key_for(digest), Body=spool)
        return BlobRef(digest, size)

    def open(self, digest: str) -> BinaryIO:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key_for(digest))
        except Exception as exc:
            if _is_not_found(exc):
                raise BlobNotFound(digest) from None
            raise
        return cast(BinaryIO, io.BufferedReader(_BodyReader(response["Body"]), CHUNK))

    def exists(self, digest: str) -> bool:
        return self._head(digest) is not None

    def size(self, digest: str) -> int:
        head = self._head(digest)
        if head is None:
            raise BlobNotFound(digest)
        return int(head["ContentLength"])

    def verify(self, digest: str) -> bool:
        if not self.exists(digest):
            return False
        with self.open(digest) as body:
            return hash_stream(body)[0] == digest

    def iter_digests(self) -> Iterator[str]:
        """Every digest under the prefix (S3 lists keys in order), page by page."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix}
        while True:
            page = self.client.list_objects_v2(**kwargs)
            for item in page.get("Contents", []):
                name = str(item["Key"])[len(self.prefix) :]
                if is_digest(name):
                    yield name
            if not page.get("IsTruncated"):
                return
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def _head(self, digest: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.head_object(Bucket=self.bucket, Key=self.key_for(digest)))
        except Exception as exc:
            if _is_not_found(exc):
                return None
            raise


def _spool(src: BinaryIO, spool: BinaryIO) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    while chunk := src.read(CHUNK):
        h.update(chunk)
        spool.write(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def _is_not_found(exc: Exception) -> bool:
    """botocore's ``ClientError`` carries ``response["Error"]["Code"]``; so does our fake."""
    response = getattr(exc, "response", None)
    code = str(((response or {}).get("Error") or {}).get("Code", ""))
    return code in NOT_FOUND_CODES


class _BodyReader(io.RawIOBase):
    """A botocore ``StreamingBody`` (``read(n)``, ``close()``) as a raw binary stream."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()

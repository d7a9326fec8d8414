"""The blob store port: content-addressed, durable storage of opaque bytes (sealed bids).

A blob is named by the SHA-256 of its bytes (64 lowercase hex digits). ``put_stream``
returns a ``BlobRef`` only once the bytes are durable; storing the same bytes again is a
no-op; a wrong ``expected_digest`` raises ``DigestMismatch`` and stores nothing.
Implementations: ``FileBlobStore`` (production), ``InMemoryBlobStore`` (tests),
``S3BlobStore`` (any S3-compatible service through a boto3-shaped client).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from tenderhub.core.shared.errors import Invalid, NotFound

CHUNK = 1024 * 1024  # bytes read at a time: memory stays bounded whatever the blob size
_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BlobRef:
    digest: str
    size: int


class BlobStore(Protocol):
    def put_stream(self, src: BinaryIO, *, expected_digest: str | None = None) -> BlobRef: ...

    def open(self, digest: str) -> BinaryIO: ...

    def exists(self, digest: str) -> bool: ...

    def size(self, digest: str) -> int: ...

    def verify(self, digest: str) -> bool: ...

    def iter_digests(self) -> Iterator[str]: ...


class DigestMismatch(Invalid):
    """The bytes received do not hash to the digest the sender announced."""

    def __init__(self, expected: str, actual: str, *, size: int) -> None:
        super().__init__(
            f"the content hashes to sha256 {actual} ({size} bytes), not the expected {expected}",
            message_zh=f"内容摘要 {actual}（{size} 字节）与预期摘要 {expected} 不符",
            field="expected_digest",
            code="digest_mismatch",
        )
        self.expected, self.actual, self.size = expected, actual, size


class BlobNotFound(NotFound):
    def __init__(self, digest: str) -> None:
        super().__init__(
            f"no blob {digest}", message_zh=f"未找到文件 {digest}", field="digest", code="blob_not_found"
        )
        self.digest = digest


def checked_digest(digest: str, field: str = "digest") -> str:
    """``digest`` if it is 64 lowercase hex digits (never a path), else ``Invalid``."""
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise Invalid(
            f"{digest!r} is not a SHA-256 digest (64 lowercase hex digits)",
            message_zh="摘要须为 64 位小写十六进制 SHA-256 值",
            field=field,
            code="bad_digest",
        )
    return digest


def is_digest(name: str) -> bool:
    return bool(_DIGEST.fullmatch(name))


def hash_stream(src: BinaryIO) -> tuple[str, int]:
    """(SHA-256 hex, size) of everything left in ``src``, read in bounded chunks."""
    h, size = hashlib.sha256(), 0
    while chunk := src.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def require_match(expected: str | None, actual: str, size: int) -> None:
    if expected is not None and expected != actual:
        raise DigestMismatch(expected, actual, size=size)

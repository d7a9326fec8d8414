"""``InMemoryBlobStore``: the test twin of ``FileBlobStore`` (same contract, a dict)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import BinaryIO

from tenderhub.blobs.port import CHUNK, BlobNotFound, BlobRef, checked_digest, require_match


class InMemoryBlobStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put_stream(self, src: BinaryIO, *, expected_digest: str | None = None) -> BlobRef:
        if expected_digest is not None:
            checked_digest(expected_digest, "expected_digest")
        h, buffer = hashlib.sha256(), io.BytesIO()
        while chunk := src.read(CHUNK):
            h.update(chunk)
            buffer.write(chunk)
        digest, data = h.hexdigest(), buffer.getvalue()
        require_match(expected_digest, digest, len(data))
        self.blobs.setdefault(digest, data)
        return BlobRef(digest, len(data))

    def open(self, digest: str) -> BinaryIO:
        return io.BytesIO(self._get(digest))

    def remove(self, digest: str) -> bool:
        """Delete a blob (whether it was there): the file store's twin."""
        return self.blobs.pop(checked_digest(digest), None) is not None

    def exists(self, digest: str) -> bool:
        return checked_digest(digest) in self.blobs

    def size(self, digest: str) -> int:
        return len(self._get(digest))

    def verify(self, digest: str) -> bool:
        return self.exists(digest) and hashlib.sha256(self.blobs[digest]).hexdigest() == digest

    def iter_digests(self) -> Iterator[str]:
        yield from sorted(self.blobs)

    def _get(self, digest: str) -> bytes:
        try:
            return self.blobs[checked_digest(digest)]
        except KeyError:
            raise BlobNotFound(digest) from None

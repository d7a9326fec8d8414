"""A fake of the four boto3 S3 calls ``S3BlobStore`` uses (a fake at a port)."""

from __future__ import annotations

import io
from typing import Any


class FakeClientError(Exception):
    """Shaped like botocore's ``ClientError``: ``response["Error"]["Code"]``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


class FakeS3Client:
    def __init__(self, *, page_size: int = 1000) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.page_size = page_size
        self.puts = 0

    def put_object(self, *, Bucket: str, Key: str, Body: Any) -> dict[str, Any]:
        self.objects[(Bucket, Key)] = Body.read() if hasattr(Body, "read") else bytes(Body)
        self.puts += 1
        return {"ETag": '"fake"'}

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        data = self._get(Bucket, Key, "NoSuchKey")
        return {"Body": io.BytesIO(data), "ContentLength": len(data)}

    def head_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        return {"ContentLength": len(self._get(Bucket, Key, "404"))}

    def list_objects_v2(self, *, Bucket: str, Prefix: str = "", ContinuationToken: str | None = None) -> dict[str, Any]:
        keys = sorted(k for b, k in self.objects if b == Bucket and k.startswith(Prefix))
        start = int(ContinuationToken or 0)
        page = keys[start : start + self.page_size]
        more = start + self.page_size < len(keys)
        out: dict[str, Any] = {"Contents": [{"Key": k, "Size": len(self.objects[(Bucket, k)])} for k in page], "IsTruncated": more}
        if more:
            out["NextContinuationToken"] = str(start + self.page_size)
        return out

    def _get(self, bucket: str, key: str, code: str) -> bytes:
        try:
            return self.objects[(bucket, key)]
        except KeyError:
            raise FakeClientError(code) from None

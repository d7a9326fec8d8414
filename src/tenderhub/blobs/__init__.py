"""Blob storage for large opaque files (sealed bid packages): a content-addressed store
(``port.BlobStore`` with file, in-memory and S3 implementations) and resumable uploads
(``uploads.UploadArea``). The platform keeps its blobs in ``location(data_dir)``."""

from __future__ import annotations

from pathlib import Path

from tenderhub.blobs.fs import FileBlobStore
from tenderhub.blobs.memory import InMemoryBlobStore
from tenderhub.blobs.port import BlobNotFound, BlobRef, BlobStore, DigestMismatch
from tenderhub.blobs.s3 import S3BlobStore
from tenderhub.blobs.uploads import UploadArea, UploadState

BLOB_DIR = "blobs"
UPLOAD_DIR = "uploads"


def location(data_dir: Path | str) -> Path:
    """Where the platform's blobs live: ``DATA_DIR/blobs/``."""
    return Path(data_dir) / BLOB_DIR


def upload_location(data_dir: Path | str) -> Path:
    """Where partial uploads live: ``DATA_DIR/uploads/`` (same file system as the blobs, so
    a finished upload is moved into the store by a rename)."""
    return Path(data_dir) / UPLOAD_DIR


__all__ = [
    "BlobNotFound",
    "BlobRef",
    "BlobStore",
    "DigestMismatch",
    "FileBlobStore",
    "InMemoryBlobStore",
    "S3BlobStore",
    "UploadArea",
    "UploadState",
    "location",
    "upload_location",
]

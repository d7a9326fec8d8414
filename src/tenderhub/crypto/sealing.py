"""Sealing a bid in one pass: files → signed manifest → tar → envelope → PACKAGE, with the
tar streamed through a pipe (bounded memory whatever the size) and the ciphertext digest
computed while writing. Opening goes the other way for the platform after key release.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from tenderhub.crypto import envelope, keys, package, signing
from tenderhub.crypto.signing import Hasher

Progress = Callable[[int], None]


class _Counting:
    """A file-like wrapper that reports bytes read (or written) and can hash them."""

    def __init__(self, raw: IO[bytes], progress: Progress | None = None, hasher: Hasher | None = None) -> None:
        self.raw, self.progress, self.hasher, self.count = raw, progress, hasher, 0

    def _seen(self, data: bytes) -> None:
        self.count += len(data)
        if self.hasher is not None:
            self.hasher.update(data)
        if self.progress is not None:
            self.progress(len(data))

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self._seen(data)
        return data

    def write(self, data: bytes) -> int:
        self._seen(data)
        return self.raw.write(data)


@contextmanager
def _piped(writer: Callable[[IO[bytes]], None]) -> Iterator[IO[bytes]]:
    """Run ``writer`` in a thread into a pipe; yield the reading end."""
    r, w = os.pipe()
    reader, sink = os.fdopen(r, "rb"), os.fdopen(w, "wb")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            writer(sink)
        except BaseException as e:  # re-raised in the caller's thread
            errors.append(e)
        finally:
            sink.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield reader
    finally:
        reader.close()
        thread.join()
    if errors:
        raise errors[0]


def seal_package(suite: str, private_pem: bytes, files: list[Path], price_form: dict[str, Any],
                 out: Path, *, created_at: datetime, machine: dict[str, Any], tool_version: str,
                 chunk_size: int = 1 << 20, progress: Progress | None = None) -> dict[str, Any]:
    """Write the sealed PACKAGE at ``out`` and return its upload summary."""
    public = keys.public_of(suite, private_pem)
    manifest = package.canonical(package.build_manifest(
        suite, public, files, price_form, created_at=created_at, machine=machine, tool_version=tool_version))
    signature = signing.sign(suite, private_pem, manifest)
    hasher = Hasher(suite)
    try:
        with _piped(lambda s: package.write_tar(s, manifest, signature, files)) as plain, \
                open(out, "wb") as raw:
            sink = _Counting(raw, hasher=hasher)
            envelope.seal(suite, public, _Counting(plain, progress), sink, chunk_size=chunk_size)  # type: ignore[arg-type]
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return package.summary(suite, private_pem, hasher, sink.count, manifest)


def open_package(suite: str, opener_private_pem: bytes, release_blob: bytes, sealed: Path,
                 into: Path) -> tuple[dict[str, Any], list[Path]]:
    """Decrypt a released PACKAGE and unpack it into ``into`` (nothing is kept on failure)."""
    into.mkdir(parents=True, exist_ok=True)
    plain = into / ".plain.tar"
    try:
        with open(sealed, "rb") as src, open(plain, "wb") as dst:
            envelope.open_released(suite, opener_private_pem, release_blob, src, dst)
        return package.unpack(plain, into)
    finally:
        plain.unlink(missing_ok=True)


def open_package_hashed(suite: str, opener_private_pem: bytes, release_blob: bytes, sealed: Path,
                        tmp_dir: Path) -> package.Opened:
    """Decrypt a released PACKAGE straight into the tar reader (``package.Unpacker``, no
    plaintext tar on disk, no thread): each bid file is written once, into a temp file in
    ``tmp_dir``, hashed as written. Nothing is kept on failure."""
    sink = package.Unpacker(suite, tmp_dir)
    try:
        with open(sealed, "rb") as src:
            envelope.open_released(suite, opener_private_pem, release_blob, src, sink)  # type: ignore[arg-type]
        return sink.close()
    except BaseException:
        sink.discard()
        raise


def release_for(suite: str, private_pem: bytes, sealed: Path, opening_public_pem: bytes) -> bytes:
    with open(sealed, "rb") as src:
        header = envelope.read_header(src)
    return envelope.release(suite, private_pem, header, opening_public_pem)


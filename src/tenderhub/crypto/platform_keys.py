"""The platform's own keys: an opening key per suite (bidders release their content keys to
it at the opening) and a signing key per suite (receipts, records). Generated on first use,
kept as 0600 PEM files in ``DATA_DIR/keys/``.

Safe across threads and processes (``serve --workers N``): a key is made under an exclusive
``flock`` on ``keys/.lock`` and its private file appears by an atomic rename, written last, so
another process either waits or reads a complete key — never a half-written one."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from tenderhub.blobs.durable import fsync_dir, fsync_path
from tenderhub.crypto import keys, x509
from tenderhub.crypto.keys import KeyPair
from tenderhub.crypto.suites import SUITES, check_suite

PURPOSES = ("opening", "signing")


class PlatformKeys:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[tuple[str, str], KeyPair] = {}
        self._making = threading.Lock()  # concurrent first uses: one thread writes, the others wait

    def pair(self, purpose: str, suite: str) -> KeyPair:
        check_suite(suite)
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        if (purpose, suite) not in self._cache:
            with self._making:
                if (purpose, suite) not in self._cache:
                    self._cache[(purpose, suite)] = self._load_or_make(purpose, suite)
        return self._cache[(purpose, suite)]

    def _load_or_make(self, purpose: str, suite: str) -> KeyPair:
        private, public = self.directory / f"{purpose}-{suite}.key", self.directory / f"{purpose}-{suite}.pub.pem"
        if not private.exists():
            with self.file_lock():  # another process may be making it right now
                if not private.exists():
                    self._make(suite, private, public)
        private_pem = private.read_bytes()
        return KeyPair(suite, private_pem, keys.public_of(suite, private_pem))

    def _make(self, suite: str, private: Path, public: Path) -> None:
        made = keys.generate(suite)
        write_pair(public, made.public_pem, private, made.private_pem)

    @contextmanager
    def file_lock(self) -> Iterator[None]:
        """An exclusive advisory lock on ``keys/.lock``, across processes."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    def public_keys(self) -> dict[str, dict[str, str]]:
        return {suite: {p: self.pair(p, suite).public_pem.decode() for p in PURPOSES} for suite in SUITES}


def write_pair(public: Path, public_data: bytes, private: Path, private_pem: bytes) -> None:
    """The public file first, the private one (0600) last by an atomic rename (its name says
    the pair is complete); both fsynced with their directory. Call under ``file_lock``."""
    building = private.with_name(f".{private.name}.new")
    building.unlink(missing_ok=True)  # left by a crash while making
    keys.write_private_file(building, private_pem)
    public.write_bytes(public_data)
    for path in (building, public):
        fsync_path(path)
    os.replace(building, private)
    fsync_dir(private.parent)


class PlatformIdentity:
    """The platform's certificate (issued by a local CA on first use, replaceable by one from
    a recognised CA) and its trust list: the local CA plus every CA certificate (``*.pem``, intl
    or gm) and every CRL of one of them (``*.crl``) in ``trust/``; intermediate CA certificates in
    ``trust/intermediates/*.pem`` are not trusted themselves, they only help build paths to those."""

    def __init__(self, keys_: PlatformKeys, trust_dir: Path, name: str) -> None:
        self.keys, self.trust_dir, self.name = keys_, trust_dir, name

    def ca(self, now: datetime) -> tuple[bytes, bytes]:
        cert, key = self.keys.directory / "local-ca.pem", self.keys.directory / "local-ca.key"
        if not key.exists():
            with self.keys.file_lock():  # another worker process may be making it
                if not key.exists():
                    made_cert, made_key = x509.init_ca(f"{self.name} 本地CA / local CA", days=3650, now=now, path_length=0)
                    write_pair(cert, made_cert, key, made_key)
        return cert.read_bytes(), key.read_bytes()

    def certificate(self, now: datetime) -> bytes:
        """The platform's signing certificate (intl suite)."""
        path = self.keys.directory / "platform-cert.pem"
        if not path.exists():
            ca_cert, ca_key = self.ca(now)
            public = self.keys.pair("signing", "intl").public_pem
            issued = x509.issue(ca_cert, ca_key, subject_cn=self.name, kind="platform", uscc=None, public_pem=public, days=3650, now=now)
            with self.keys.file_lock():
                if not path.exists():
                    building = path.with_name(f".{path.name}.new")
                    building.write_bytes(issued)
                    os.replace(building, path)
        return path.read_bytes()

    def trust_list(self, now: datetime) -> x509.TrustList:
        extra = sorted(self.trust_dir.glob("*.pem")) if self.trust_dir.is_dir() else []
        crls = sorted(self.trust_dir.glob("*.crl")) if self.trust_dir.is_dir() else []
        between = self.trust_dir / "intermediates"
        intermediates = sorted(between.glob("*.pem")) if between.is_dir() else []
        return x509.TrustList([self.ca(now)[0], *(p.read_bytes() for p in extra)], [p.read_bytes() for p in crls],
                              intermediates=[p.read_bytes() for p in intermediates])

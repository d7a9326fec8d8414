"""The platform's own keys: an opening key per suite (bidders release their content keys to
it at the opening) and a signing key per suite (receipts, records). Generated on first use,
kept as 0600 PEM files in ``DATA_DIR/keys/``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tenderhub.crypto import keys, x509
from tenderhub.crypto.keys import KeyPair
from tenderhub.crypto.suites import SUITES, check_suite

PURPOSES = ("opening", "signing")


class PlatformKeys:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[tuple[str, str], KeyPair] = {}

    def pair(self, purpose: str, suite: str) -> KeyPair:
        check_suite(suite)
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}")
        if (purpose, suite) not in self._cache:
            self._cache[(purpose, suite)] = self._load_or_make(purpose, suite)
        return self._cache[(purpose, suite)]

    def _load_or_make(self, purpose: str, suite: str) -> KeyPair:
        private, public = self.directory / f"{purpose}-{suite}.key", self.directory / f"{purpose}-{suite}.pub.pem"
        if not private.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            made = keys.generate(suite)
            keys.write_private_file(private, made.private_pem)
            public.write_bytes(made.public_pem)
        private_pem = private.read_bytes()
        return KeyPair(suite, private_pem, keys.public_of(suite, private_pem))

    def public_keys(self) -> dict[str, dict[str, str]]:
        return {suite: {p: self.pair(p, suite).public_pem.decode() for p in PURPOSES} for suite in SUITES}


class PlatformIdentity:
    """The platform's certificate (issued by a local CA on first use, replaceable by one from
    a recognised CA) and its trust list: the local CA plus every CA certificate in ``trust/``."""

    def __init__(self, keys_: PlatformKeys, trust_dir: Path, name: str) -> None:
        self.keys, self.trust_dir, self.name = keys_, trust_dir, name

    def ca(self, now: datetime) -> tuple[bytes, bytes]:
        cert, key = self.keys.directory / "local-ca.pem", self.keys.directory / "local-ca.key"
        if not key.exists():
            self.keys.directory.mkdir(parents=True, exist_ok=True)
            made_cert, made_key = x509.init_ca(f"{self.name} 本地CA / local CA", days=3650, now=now)
            keys.write_private_file(key, made_key)
            cert.write_bytes(made_cert)
        return cert.read_bytes(), key.read_bytes()

    def certificate(self, now: datetime) -> bytes:
        """The platform's signing certificate (intl suite)."""
        path = self.keys.directory / "platform-cert.pem"
        if not path.exists():
            ca_cert, ca_key = self.ca(now)
            public = self.keys.pair("signing", "intl").public_pem
            path.write_bytes(x509.issue(ca_cert, ca_key, subject_cn=self.name, kind="platform", uscc=None, public_pem=public, days=3650, now=now))
        return path.read_bytes()

    def trust_list(self, now: datetime) -> x509.TrustList:
        extra = sorted(self.trust_dir.glob("*.pem")) if self.trust_dir.is_dir() else []
        return x509.TrustList([self.ca(now)[0], *(p.read_bytes() for p in extra)])

"""The platform's own keys: an opening key per suite (bidders release their content keys to
it at the opening) and a signing key per suite (receipts, records). Generated on first use,
kept as 0600 PEM files in ``DATA_DIR/keys/``."""

from __future__ import annotations

from pathlib import Path

from tenderhub.crypto import keys
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

"""Signatures and digests. intl: ECDSA P-256 with SHA-256 (DER signature); gm: SM2 with SM3
and the default user id ``1234567812345678`` (DER ``r, s``). Digests come from ``cryptography``.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tenderhub.crypto import keys, sm2
from tenderhub.crypto.errors import CryptoError
from tenderhub.crypto.suites import check_suite

READ_SIZE = 1 << 20
DIGEST_ALG = {"intl": "sha256", "gm": "sm3"}


def sign(suite: str, private_pem: bytes, data: bytes) -> bytes:
    if check_suite(suite) == "gm":
        return sm2.sign(private_pem, data)
    return keys.load_ec_private(private_pem).sign(data, ec.ECDSA(hashes.SHA256()))


def verify(suite: str, public_pem: bytes, data: bytes, signature: bytes) -> bool:
    """True when the signature is good; False for a bad signature or an unusable key."""
    try:
        if check_suite(suite) == "gm":
            return sm2.verify(public_pem, data, signature)
        keys.load_ec_public(public_pem).verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, CryptoError, ValueError):
        return False
    return True


class Hasher:
    """Streaming digest of the suite (SHA-256 or SM3); ``hexdigest`` may be called any time."""

    def __init__(self, suite: str) -> None:
        algorithm = hashes.SM3() if check_suite(suite) == "gm" else hashes.SHA256()
        self.suite = suite
        self._hash = hashes.Hash(algorithm)

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def hexdigest(self) -> str:
        return self._hash.copy().finalize().hex()


def digest(suite: str, data: bytes) -> str:
    hasher = Hasher(suite)
    hasher.update(data)
    return hasher.hexdigest()


def digest_file(suite: str, path: str | Path) -> str:
    hasher = Hasher(suite)
    with open(path, "rb") as f:
        while block := f.read(READ_SIZE):
            hasher.update(block)
    return hasher.hexdigest()

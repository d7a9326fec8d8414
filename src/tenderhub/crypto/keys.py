"""Key pairs for both suites as PEM: PKCS#8 private keys, SubjectPublicKeyInfo public keys.

``intl`` keys are EC P-256, ``gm`` keys SM2 (curve OID 1.2.156.10197.1.301, the form OpenSSL 3
and GmSSL read and write). Private keys are unencrypted PEM: protect the file (0600).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tenderhub.crypto import sm2
from tenderhub.crypto.errors import CryptoError
from tenderhub.crypto.suites import check_suite


@dataclass(frozen=True)
class KeyPair:
    suite: str
    private_pem: bytes
    public_pem: bytes


def generate(suite: str) -> KeyPair:
    if check_suite(suite) == "gm":
        return KeyPair("gm", *sm2.generate())
    key = ec.generate_private_key(ec.SECP256R1())
    return KeyPair("intl", private_to_pem(key), public_to_pem(key.public_key()))


def private_to_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    fmt = serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def public_to_pem(key: ec.EllipticCurvePublicKey) -> bytes:
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_bytes(serialization.Encoding.PEM, fmt)


def fingerprint(public_pem: bytes) -> str:
    """Hex SHA-256 of the public key's SubjectPublicKeyInfo DER (either suite)."""
    return hashlib.sha256(sm2.unpem(public_pem, "PUBLIC KEY")).hexdigest()


def suite_of(public_pem: bytes) -> str:
    """``intl`` for a P-256 key, ``gm`` for an SM2 key; ``CryptoError`` otherwise."""
    curve, _ = sm2.spki_curve(sm2.unpem(public_pem, "PUBLIC KEY"))
    if curve == sm2.SM2_CURVE:
        return "gm"
    if curve == sm2.P256_CURVE:
        return "intl"
    raise CryptoError("unsupported curve: use P-256 (intl) or SM2 (gm)", field="key")


def public_of(suite: str, private_pem: bytes) -> bytes:
    """The public key PEM belonging to a private key PEM."""
    if check_suite(suite) == "gm":
        return sm2.public_pem(sm2.load_private(private_pem)[1])
    return public_to_pem(load_ec_private(private_pem).public_key())


def load_ec_private(data: bytes) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CryptoError("not a readable unencrypted private key PEM", field="key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise CryptoError("not a P-256 private key (intl suite)", field="key")
    return key


def load_ec_public(data: bytes) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CryptoError("not a readable public key PEM", field="key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise CryptoError("not a P-256 public key (intl suite)", field="key")
    return key


def write_private_file(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only (0600); an existing file is never replaced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)

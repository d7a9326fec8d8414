"""Wrapping a content key to a recipient's public key.

intl: ECDH-ES+A256KW as in JWE (RFC 7518 §4.6): an ephemeral P-256 key, ECDH, Concat KDF with
SHA-256 (AlgorithmID ``ECDH-ES+A256KW``, empty PartyUInfo/PartyVInfo, 256 bits), then AES key
wrap (RFC 3394). The wrapped form is the ephemeral point (65 bytes, uncompressed) followed by
the 40-byte AES-KW output. WebCrypto can produce and consume it.

gm: SM2 public-key encryption of the content key (GM/T 0009 DER, C1C3C2), the key transport
used by GM/T 0010 envelopedData.
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from tenderhub.crypto import keys, sm2
from tenderhub.crypto.errors import CryptoError, EnvelopeError
from tenderhub.crypto.suites import check_suite

KEY_ALG = {"intl": "ECDH-ES+A256KW", "gm": "SM2-ENC"}
POINT = 65


def wrap(suite: str, recipient_public_pem: bytes, content_key: bytes) -> bytes:
    if check_suite(suite) == "gm":
        return sm2.encrypt(recipient_public_pem, content_key)
    recipient = keys.load_ec_public(recipient_public_pem)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    kek = _kek(ephemeral.exchange(ec.ECDH(), recipient))
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return point + aes_key_wrap(kek, content_key)


def unwrap(suite: str, recipient_private_pem: bytes, wrapped: bytes) -> bytes:
    """The content key, or ``EnvelopeError`` when the key or the wrapped form is wrong."""
    try:
        if check_suite(suite) == "gm":
            return sm2.decrypt(recipient_private_pem, wrapped)
        return _unwrap_intl(keys.load_ec_private(recipient_private_pem), wrapped)
    except (InvalidUnwrap, ValueError) as e:
        raise EnvelopeError(f"cannot unwrap the content key: {e or 'wrong key'}", field="key") from None
    except CryptoError as e:
        raise EnvelopeError(f"cannot unwrap the content key: {e.message_en}", field="key") from None


def _unwrap_intl(private: ec.EllipticCurvePrivateKey, wrapped: bytes) -> bytes:
    ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), wrapped[:POINT])
    return aes_key_unwrap(_kek(private.exchange(ec.ECDH(), ephemeral)), wrapped[POINT:])


def _kek(shared: bytes) -> bytes:
    alg = KEY_ALG["intl"].encode()
    other = struct.pack(">I", len(alg)) + alg + struct.pack(">III", 0, 0, 256)
    return ConcatKDFHash(hashes.SHA256(), 32, other).derive(shared)

"""SM2 keys as standard PEM (PKCS#8 / SubjectPublicKeyInfo, curve OID 1.2.156.10197.1.301),
and sign/verify/encrypt/decrypt through GmSSL 3 (``gmssl_pyx``), which works on raw keys:
a 32-byte private scalar and a 64-byte public point ``x || y``.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import gmssl_pyx
from cryptography.hazmat.primitives import hashes

from tenderhub.crypto import der
from tenderhub.crypto.errors import CryptoError

DEFAULT_ID = b"1234567812345678"
EC_PUBLIC_KEY = bytes.fromhex("2a8648ce3d0201")  # 1.2.840.10045.2.1
SM2_CURVE = bytes.fromhex("2a811ccf5501822d")  # 1.2.156.10197.1.301
P256_CURVE = bytes.fromhex("2a8648ce3d030107")  # 1.2.840.10045.3.1.7
ALGORITHM = der.tlv(der.SEQUENCE, der.tlv(der.OID, EC_PUBLIC_KEY) + der.tlv(der.OID, SM2_CURVE))
_STDERR = threading.Lock()


def generate() -> tuple[bytes, bytes]:
    """A fresh key pair as (private PEM, public PEM)."""
    public, private = gmssl_pyx.sm2_key_generate()
    return private_pem(private, public), public_pem(public)


def public_der(point: bytes) -> bytes:
    return der.tlv(der.SEQUENCE, ALGORITHM + der.tlv(der.BIT_STRING, b"\x00\x04" + point))


def public_pem(point: bytes) -> bytes:
    return pem("PUBLIC KEY", public_der(point))


def private_pem(scalar: bytes, point: bytes) -> bytes:
    ec_key = der.tlv(der.INTEGER, b"\x01") + der.tlv(der.OCTET_STRING, scalar)
    ec_key += der.tlv(0xA1, der.tlv(der.BIT_STRING, b"\x00\x04" + point))
    body = der.tlv(der.INTEGER, b"\x00") + ALGORITHM
    body += der.tlv(der.OCTET_STRING, der.tlv(der.SEQUENCE, ec_key))
    return pem("PRIVATE KEY", der.tlv(der.SEQUENCE, body))


def pem(label: str, body: bytes) -> bytes:
    text = base64.encodebytes(body).decode().replace("\n", "")
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""]).encode()


def unpem(data: bytes, label: str) -> bytes:
    text = data.decode("ascii", "replace")
    begin, end = f"-----BEGIN {label}-----", f"-----END {label}-----"
    if begin not in text or end not in text:
        raise CryptoError(f"not a PEM {label}", field="key")
    inner = text.split(begin, 1)[1].split(end, 1)[0]
    try:
        return base64.b64decode("".join(inner.split()), validate=True)
    except ValueError:
        raise CryptoError(f"bad base64 in PEM {label}", field="key") from None


def spki_curve(spki: bytes) -> tuple[bytes, bytes]:
    """The (curve OID, public point without the 04 prefix) of a SubjectPublicKeyInfo DER."""
    try:
        _, body, _ = der.read(spki)
        (_, algorithm), (_, bits) = der.children(body)[:2]
    except ValueError:
        raise CryptoError("malformed public key", field="key") from None
    oids = [value for tag, value in der.children(algorithm) if tag == der.OID]
    if len(oids) != 2 or oids[0] != EC_PUBLIC_KEY:
        raise CryptoError("not an elliptic-curve public key", field="key")
    return oids[1], bits[2:]


def load_public(data: bytes) -> bytes:
    """The 64-byte point of an SM2 public key PEM."""
    curve, point = spki_curve(unpem(data, "PUBLIC KEY"))
    if curve != SM2_CURVE or len(point) != 64:
        raise CryptoError("not an SM2 public key", field="key")
    return point


def load_private(data: bytes) -> tuple[bytes, bytes]:
    """The (32-byte scalar, 64-byte point) of an SM2 PKCS#8 private key PEM."""
    try:
        return _private_parts(unpem(data, "PRIVATE KEY"))
    except IndexError:
        raise CryptoError("malformed SM2 private key", field="key") from None


def _private_parts(pkcs8: bytes) -> tuple[bytes, bytes]:
    _, body, _ = der.read(pkcs8)
    parts = der.children(body)
    oids = [value for tag, value in der.children(parts[1][1]) if tag == der.OID]
    if oids != [EC_PUBLIC_KEY, SM2_CURVE]:
        raise CryptoError("not an SM2 private key", field="key")
    _, ec_key, _ = der.read(parts[2][1])
    fields = der.children(ec_key)
    scalar = fields[1][1].rjust(32, b"\x00")
    tagged = [value for tag, value in fields if tag == 0xA1]
    if not tagged:
        raise CryptoError("SM2 private key without its public point", field="key")
    return scalar, der.read(tagged[0])[1][2:]


@contextmanager
def quiet() -> Iterator[None]:
    """GmSSL prints a trace to fd 2 on every failed check: silence it for that call only."""
    with _STDERR:
        saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(null)


def sign(private: bytes, data: bytes) -> bytes:
    scalar, point = load_private(private)
    return bytes(gmssl_pyx.sm2_sign(scalar, point, data, signer_id=DEFAULT_ID))


def verify(public: bytes, data: bytes, signature: bytes) -> bool:
    point = load_public(public)
    with quiet():
        try:
            return bool(gmssl_pyx.sm2_verify(point, data, signature, signer_id=DEFAULT_ID))
        except gmssl_pyx.GmsslInnerError:
            return False


def encrypt(public: bytes, plaintext: bytes) -> bytes:
    """SM2 public-key encryption (GM/T 0009 DER, C1C3C2)."""
    return bytes(gmssl_pyx.sm2_encrypt(load_public(public), plaintext))


def decrypt(private: bytes, ciphertext: bytes) -> bytes:
    scalar, _ = load_private(private)
    with quiet():
        try:
            return bytes(gmssl_pyx.sm2_decrypt(scalar, ciphertext))
        except gmssl_pyx.GmsslInnerError:
            raise CryptoError("SM2 decryption failed (wrong key or damaged data)", field="key") from None


CURVE_AB_G = bytes.fromhex(
    "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
    "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
    "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
    "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0")


def _sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def verify_with_id(public: bytes, data: bytes, signature: bytes, signer_id: bytes) -> bool:
    """SM2 verification with any user id, the empty one too (OpenSSL 3.0 signs X.509 with it
    unless told ``-sigopt distid:1234567812345678``): e = SM3(Z ‖ M), Z per GM/T 0003.2 §5.5."""
    point = load_public(public)
    z = _sm3((8 * len(signer_id)).to_bytes(2, "big") + signer_id + CURVE_AB_G + point)
    with quiet():
        try:
            return bool(gmssl_pyx.sm2_verify_sm3_digest(point, _sm3(z + data), signature))
        except gmssl_pyx.GmsslInnerError:
            return False

"""The wire format shared by the platforms and the hub.

A release is signed over its **canonical JSON**: keys sorted, no insignificant whitespace,
UTF-8 (non-ASCII characters kept as they are). The signature travels base64-encoded next to
the release: ``{"platform_id": …, "release": {…}, "signature": "…"}``. The hub's receipt is
signed the same way over the canonical JSON of its body.

``canonical`` is written by orjson (sorted keys) and checked against the one rule where
orjson and ``json.dumps`` differ: floats below 1e-4 (``1e-05`` against ``0.00001``), NaN and
the infinities (orjson writes ``null``) and integers beyond 64 bits (orjson refuses). Output
that may hold such a number (``0.0000``, an ``e-`` exponent, or a ``null`` that does not read
back as the document: NaN, an infinity) is redone by ``json.dumps``, so the bytes are always those of
``json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``. Keys are
loaded once per PEM (``_public``/``_private``), not on every signature.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from functools import lru_cache
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from tenderhub.core.shared.errors import Forbidden
from tenderhub.crypto import keys, signing
from tenderhub.crypto.errors import CryptoError
from tenderhub.crypto.keys import KeyPair

# what orjson writes unlike json.dumps: a float below 1e-4 (0.0000…, 1e-7) or NaN (null)
_EXPONENT = re.compile(rb"e-[0-9]+[,\]}]")
_ECDSA = ec.ECDSA(hashes.SHA256())
RELEASES_PATH = "/hub/releases"  # one envelope
BATCH_PATH = "/hub/releases:batch"  # {"releases": [envelope, …]}, at most MAX_BATCH
MAX_BATCH = 1000


def canonical(doc: Any) -> bytes:
    try:
        fast = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a big integer, a surrogate, a non-JSON value: json.dumps says what
        return _slow(doc)
    if b"0.0000" in fast or _EXPONENT.search(fast):
        return _slow(doc)  # may hold a number orjson writes differently: json.dumps decides
    if b"null" in fast and orjson.loads(fast) != doc:
        return _slow(doc)  # a null that is not None: NaN or an infinity (json.dumps refuses them)
    return fast


def _slow(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def digest(doc: Any) -> str:
    """Hex SHA-256 of the canonical JSON (the release's identity for idempotency)."""
    return signing.digest("intl", canonical(doc))


def sign(pair: KeyPair, doc: Any) -> str:
    return sign_bytes(pair, canonical(doc))


def sign_bytes(pair: KeyPair, data: bytes) -> str:
    """Base64 signature over ``data`` (already canonical); intl keys loaded once."""
    if pair.suite != "intl":
        return base64.b64encode(signing.sign(pair.suite, pair.private_pem, data)).decode("ascii")
    return base64.b64encode(_private(pair.private_pem).sign(data, _ECDSA)).decode("ascii")


def verify(suite: str, public_pem: bytes, doc: Any, signature_b64: str) -> bool:
    return verify_bytes(suite, public_pem, canonical(doc), signature_b64)


def verify_bytes(suite: str, public_pem: bytes, data: bytes, signature_b64: str) -> bool:
    """The signature over ``data`` (already canonical); False when malformed or wrong."""
    try:
        raw = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    if suite != "intl":
        return signing.verify(suite, public_pem, data, raw)
    try:
        _public(public_pem).verify(raw, data, _ECDSA)
    except (InvalidSignature, CryptoError, ValueError):
        return False
    return True


@lru_cache(maxsize=256)
def _public(public_pem: bytes) -> ec.EllipticCurvePublicKey:
    return keys.load_ec_public(public_pem)


@lru_cache(maxsize=16)
def _private(private_pem: bytes) -> ec.EllipticCurvePrivateKey:
    return keys.load_ec_private(private_pem)


def envelope(platform_id: str, pair: KeyPair, release: dict[str, Any]) -> dict[str, Any]:
    """The body of ``POST /hub/releases`` (and one item of ``POST /hub/releases:batch``)."""
    return {"platform_id": platform_id, "release": release, "signature": sign(pair, release)}


# ---- compact JWS (ES256), the single sign-on assertion of ``hub/sso.py`` -----------------------

JWS_ALG = "ES256"  # ECDSA P-256 / SHA-256, the signature as raw r‖s (RFC 7515, RFC 7518 §3.4)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk(public_pem: bytes) -> dict[str, str]:
    """A P-256 public key as a JSON Web Key (``kid`` = its fingerprint)."""
    numbers = keys.load_ec_public(public_pem).public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big")),
            "use": "sig", "alg": JWS_ALG, "kid": keys.fingerprint(public_pem)}


def pem_of_jwk(key: dict[str, Any]) -> bytes:
    x, y = (int.from_bytes(unb64url(str(key[c])), "big") for c in ("x", "y"))
    return keys.public_to_pem(ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key())


def jws_sign(private_pem: bytes, kid: str, claims: dict[str, Any]) -> str:
    """``header.payload.signature``, each part base64url without padding."""
    header = {"alg": JWS_ALG, "typ": "JWT", "kid": kid}
    signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode()) for part in (header, claims))
    r, s = decode_dss_signature(signing.sign("intl", private_pem, signing_input.encode("ascii")))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def assertion_refused(code: str, en: str, zh: str) -> Forbidden:
    return Forbidden(en, message_zh=zh, field="assertion", code=code)


def jws_verify(token: str, jwks: list[dict[str, Any]]) -> dict[str, Any]:
    """The claims when the signature verifies with the key of ``jwks`` the header names;
    ``Forbidden`` (``assertion_malformed``, ``assertion_signature``) otherwise. The caller checks the claims."""
    try:
        head, body, sig = token.split(".")
        header, claims, raw = json.loads(unb64url(head)), json.loads(unb64url(body)), unb64url(sig)
    except (ValueError, binascii.Error) as error:
        raise assertion_refused("assertion_malformed", "the assertion is not a compact JWS (header.payload.signature)", "断言格式错误（应为紧凑 JWS）") from error
    if not isinstance(header, dict) or header.get("alg") != JWS_ALG or not isinstance(claims, dict) or len(raw) != 64:
        raise assertion_refused("assertion_malformed", f"the assertion must be an {JWS_ALG} JWS with a JSON object of claims", f"断言须为 {JWS_ALG} 签名的 JWS")
    key = next((k for k in jwks if k.get("kid") == header.get("kid")), None)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    if key is None or not signing.verify("intl", pem_of_jwk(key), f"{head}.{body}".encode("ascii"), der):
        raise assertion_refused("assertion_signature", "the assertion's signature does not verify with the hub's key", "断言签名无法用公共服务平台公钥验证")
    return claims

"""The wire format shared by the platforms and the hub.

A release is signed over its **canonical JSON**: keys sorted, no insignificant whitespace,
UTF-8 (non-ASCII characters kept as they are). The signature travels base64-encoded next to
the release: ``{"platform_id": …, "release": {…}, "signature": "…"}``. The hub's receipt is
signed the same way over the canonical JSON of its body.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from tenderhub.crypto import signing
from tenderhub.crypto.keys import KeyPair


def canonical(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def digest(doc: Any) -> str:
    """Hex SHA-256 of the canonical JSON (the release's identity for idempotency)."""
    return signing.digest("intl", canonical(doc))


def sign(pair: KeyPair, doc: Any) -> str:
    return base64.b64encode(signing.sign(pair.suite, pair.private_pem, canonical(doc))).decode("ascii")


def verify(suite: str, public_pem: bytes, doc: Any, signature_b64: str) -> bool:
    try:
        raw = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    return signing.verify(suite, public_pem, canonical(doc), raw)


def envelope(platform_id: str, pair: KeyPair, release: dict[str, Any]) -> dict[str, Any]:
    """The body of ``POST /hub/releases``."""
    return {"platform_id": platform_id, "release": release, "signature": sign(pair, release)}

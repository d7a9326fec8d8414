"""Signed tree heads: the log's commitment to (size, root) at a time, signed by the hub.

The signature covers the canonical JSON of ``{"log", "size", "root", "timestamp", "key"}``;
the signing function is injected (the hub passes ``tenderhub.crypto.signing.sign`` bound to
its suite and key), so the log itself holds no key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tenderhub.core.shared.errors import Invalid
from tenderhub.crypto import keys, signing
from tenderhub.crypto.errors import CryptoError
from tenderhub.hub.tlog.entries import canonical, utc_text
from tenderhub.hub.tlog.log import MerkleLog

LOG_NAME = "tenderhub-tlog/1"
Signer = Callable[[bytes], bytes]


@dataclass(frozen=True)
class SignedTreeHead:
    size: int
    root_hex: str
    timestamp: datetime
    signature_b64: str
    key_fingerprint: str

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.root_hex)

    def signed_bytes(self) -> bytes:
        return tree_head_bytes(self.size, self.root_hex, self.timestamp, self.key_fingerprint)

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": self.size, "root": self.root_hex, "timestamp": utc_text(self.timestamp, "timestamp"),
            "signature": self.signature_b64, "key_fingerprint": self.key_fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedTreeHead:
        return cls(
            int(data["size"]), str(data["root"]), datetime.fromisoformat(data["timestamp"]),
            str(data["signature"]), str(data["key_fingerprint"]),
        )


def tree_head_bytes(size: int, root_hex: str, timestamp: datetime, key_fingerprint: str) -> bytes:
    return canonical({
        "log": LOG_NAME, "size": size, "root": root_hex,
        "timestamp": utc_text(timestamp, "timestamp"), "key": key_fingerprint,
    })


def sign_tree_head(
    log: MerkleLog, sign: Signer, key_fingerprint: str, *, at: datetime, size: int | None = None
) -> SignedTreeHead:
    """Sign the log's head (or the head at ``size``) at time ``at`` (from the Clock port)."""
    size = log.size() if size is None else size
    root_hex = log.root(size).hex()
    signature = sign(tree_head_bytes(size, root_hex, at, key_fingerprint))
    return SignedTreeHead(size, root_hex, at, base64.b64encode(signature).decode("ascii"), key_fingerprint)


def verify_sth(sth: SignedTreeHead, public_pem: bytes) -> bool:
    """True when the hub key ``public_pem`` signed exactly this head."""
    try:
        suite, fingerprint = keys.suite_of(public_pem), keys.fingerprint(public_pem)
        signature = base64.b64decode(sth.signature_b64, validate=True)
        body = sth.signed_bytes()
    except (CryptoError, Invalid, ValueError, binascii.Error):
        return False
    return fingerprint == sth.key_fingerprint and signing.verify(suite, public_pem, body, signature)

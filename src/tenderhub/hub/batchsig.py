"""Batch signatures, both ways (ADR 0013): one signature over the Merkle root of many
documents, each document still verifiable on its own with its index and audit path.

**The tree.** RFC 6962 hashing (``hub/tlog``): the leaf of a document is
``SHA-256(0x00 ‖ d)`` where ``d`` is the 32-byte SHA-256 digest of its canonical JSON (a
release, or a hub receipt body), nodes ``SHA-256(0x01 ‖ left ‖ right)``; leaves in the order
sent. A verifier holding one document, its digest, ``index``, ``size``, ``path`` and the
signed ``root`` checks it with ``tlog.verify_inclusion``.

**Platform → hub.** The platform signs the canonical JSON of the *batch head*
``{"type": "tenderhub.platform.batch/1", "platform_id", "size", "root"}`` (root as 64 hex
digits) with its registered key. ``POST /hub/releases:batch`` then carries
``{"batch": {platform_id, size, root, signature}, "releases": [{platform_id, release}, …]}``:
the hub recomputes the root from the releases and checks the one signature. A single
release forwarded alone (the hub tree, ``hub/tree.py``) carries the self-contained
``"batch": {size, index, root, path, signature}`` instead of ``"signature"``.

**Hub → platform.** The hub answers a batch-signed request with one signature over the root
of the receipt bodies it issued, signing ``{"type": "tenderhub.hub.receipt-batch/1",
"hub_key", "size", "root"}``; each receipt is ``{"receipt": body, "suite", "batch": {size,
index, root, path, signature}}`` instead of ``{"receipt": body, "suite", "signature"}``.
``verify_receipt`` checks either form.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from tenderhub.core.shared.errors import Invalid
from tenderhub.crypto.keys import KeyPair
from tenderhub.hub import protocol
from tenderhub.hub.tlog.tree import EMPTY_ROOT, leaf_hash, node_hash
from tenderhub.hub.tlog.verify import verify_inclusion

PLATFORM_BATCH = "tenderhub.platform.batch/1"
RECEIPT_BATCH = "tenderhub.hub.receipt-batch/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_PATH = 64
T = TypeVar("T")


def merkle(digests: Sequence[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """The root over ``digests`` and each leaf's audit path (leaf end first)."""
    levels = tree_levels(digests)
    return (levels[-1][0] if levels else EMPTY_ROOT), [audit_path(levels, i) for i in range(len(digests))]


def tree_levels(digests: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the RFC 6962 tree over ``digests``, leaves first, the root last, O(n).

    The RFC splits a range at the largest power of two below its size; the same tree is built
    bottom up by hashing neighbours in pairs and carrying an odd last node up unchanged (a
    test checks it against ``tlog``'s tree and proofs)."""
    level = [leaf_hash(d) for d in digests]
    levels = [level] if level else []
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = paired + level[-1:] if len(level) % 2 else paired
        levels.append(level)
    return levels


def audit_path(levels: Sequence[Sequence[T]], index: int) -> list[T]:
    """Leaf ``index``'s path, leaf end first: its neighbour at each level below the root
    (none where the node is carried up alone)."""
    path = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        index >>= 1
    return path


def root_of(digests: Sequence[bytes]) -> bytes:
    """The root alone (no paths), O(n): what the hub needs of a batch it stores by its leaves."""
    levels = tree_levels(digests)
    return levels[-1][0] if levels else EMPTY_ROOT


def digests_of(raw: bytes) -> list[bytes]:
    """A batch's leaf digests as stored once per batch (``leaves``: 32 bytes each, in order)."""
    return path_of_bytes(raw)


@lru_cache(maxsize=32)
def paths_of(raw: bytes) -> tuple[tuple[bytes, ...], ...]:
    """Every audit path of the batch whose digests are ``raw`` (``leaves``), computed on read
    (ADR 0021) and kept for the rows of the same batch read next."""
    _root, paths = merkle(digests_of(raw))
    return tuple(tuple(p) for p in paths)


def platform_head(platform_id: str, size: int, root_hex: str) -> dict[str, Any]:
    return {"type": PLATFORM_BATCH, "platform_id": platform_id, "size": size, "root": root_hex}


def receipt_head(hub_key: str, size: int, root_hex: str) -> dict[str, Any]:
    return {"type": RECEIPT_BATCH, "hub_key": hub_key, "size": size, "root": root_hex}


def path_bytes(path: Sequence[bytes]) -> bytes:
    """A path as stored: the hashes one after the other."""
    return b"".join(path)


def path_of_bytes(raw: bytes) -> list[bytes]:
    return [bytes(raw[i:i + 32]) for i in range(0, len(raw), 32)]


@dataclass(frozen=True)
class Proof:
    """A document's place in a signed batch."""

    size: int
    index: int
    root: str  # hex
    path: tuple[bytes, ...]
    signature: str
    # the whole batch's digests (a batch-signed request: the hub stores them once per batch and
    # no path per release; ``path`` is then empty and computed from them when asked, ADR 0021)
    leaves: bytes | None = field(default=None, compare=False, repr=False)

    def full_path(self) -> tuple[bytes, ...]:
        return paths_of(self.leaves)[self.index] if self.leaves is not None else self.path

    def as_dict(self) -> dict[str, Any]:
        return {"size": self.size, "index": self.index, "root": self.root, "path": [h.hex() for h in self.full_path()], "signature": self.signature}

    def proves(self, digest: bytes) -> bool:
        """``digest`` (the document's SHA-256) is leaf ``index`` of the tree (size, root)."""
        return verify_inclusion(leaf_hash(digest), self.index, self.size, self.full_path(), bytes.fromhex(self.root))


def _int(value: Any, field: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise Invalid(f"{field}: an integer >= {low} is required", message_zh=f"{field}：须为不小于 {low} 的整数", field=field)
    return value


def hex64(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise Invalid(f"{field}: a SHA-256 hash as 64 lowercase hex digits is required", message_zh=f"{field}：须为 64 位小写十六进制哈希", field=field)
    return value


def parse_head(value: Any, field: str) -> tuple[int, str, str]:
    """(size, root, signature) of ``{size, root, signature}``; ``Invalid`` naming the field."""
    if not isinstance(value, dict):
        raise Invalid(f"{field}: an object {{size, root, signature}} is required", message_zh=f"{field}：须为对象", field=field)
    signature = value.get("signature")
    if not isinstance(signature, str) or not signature:
        raise Invalid(f"{field}/signature: a base64 signature is required", message_zh=f"{field}/signature：须为 base64 签名", field=f"{field}/signature")
    return _int(value.get("size"), f"{field}/size", 1), hex64(value.get("root"), f"{field}/root"), signature


def parse_proof(value: Any, field: str) -> Proof:
    """A self-contained ``{size, index, root, path, signature}``."""
    size, root, signature = parse_head(value, field)
    index, path = _int(value.get("index"), f"{field}/index", 0), value.get("path")
    if not isinstance(path, list) or len(path) > MAX_PATH:
        raise Invalid(f"{field}/path: a list of hashes is required", message_zh=f"{field}/path：须为哈希列表", field=f"{field}/path")
    return Proof(size, index, root, tuple(bytes.fromhex(hex64(h, f"{field}/path/{i}")) for i, h in enumerate(path)), signature)


# ---- the platform's side: one signature for a batch of releases ------------------------------

def sign_releases(platform_id: str, pair: KeyPair, releases: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The body of a batch-signed ``POST /hub/releases:batch``."""
    root, _paths = merkle([hashlib.sha256(protocol.canonical(r)).digest() for r in releases])
    head = platform_head(platform_id, len(releases), root.hex())
    return {"batch": {"platform_id": platform_id, "size": len(releases), "root": root.hex(), "signature": protocol.sign(pair, head)},
            "releases": [{"platform_id": platform_id, "release": r} for r in releases]}


def verify_receipt(hub_public_pem: bytes, receipt: Any, suite: str = "intl") -> bool:
    """The hub's receipt verifies with its key: signed alone (``signature``) or in a batch
    (``batch``: the body's leaf proven in the signed root)."""
    if not isinstance(receipt, dict) or not isinstance(receipt.get("receipt"), dict):
        return False
    body = receipt["receipt"]
    if isinstance(receipt.get("signature"), str):
        return protocol.verify(suite, hub_public_pem, body, receipt["signature"])
    try:
        proof = parse_proof(receipt.get("batch"), "/batch")
    except (Invalid, ValueError):
        return False
    if not proof.proves(hashlib.sha256(protocol.canonical(body)).digest()):
        return False
    return _head_verifies(suite, hub_public_pem, str(body.get("hub_key")), proof.size, proof.root, proof.signature)


@lru_cache(maxsize=64)
def _head_verifies(suite: str, public_pem: bytes, hub_key: str, size: int, root: str, signature: str) -> bool:
    """One signature check per receipt batch, however many receipts of it are checked."""
    return protocol.verify(suite, public_pem, receipt_head(hub_key, size, root), signature)

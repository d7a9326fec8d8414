"""What the hub logs, as canonical JSON bytes (the leaf input of RFC 6962).

Canonical: keys sorted, separators ``,`` and ``:`` without spaces, UTF-8 without escaping,
times ISO 8601 in UTC with microseconds, digests as lowercase hex. The same facts always
give the same bytes, so anyone can recompute a leaf hash from the facts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from tenderhub.core.shared.errors import Invalid

VERSION = 1
RELEASE = "release"
CHAIN_HEAD = "chain_head"
TREE_HEAD = "tree_head"
FLAG = "flag"
FLAG_CLEARED = "flag_cleared"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def entry_for_release(
    ocid: str, release_id: str, digest_hex: str, platform_id: str, received_at: datetime
) -> bytes:
    """A signed OCDS release the hub received: which, from whom, when, and its digest."""
    return _release_entry(ocid, release_id, digest_hex, platform_id, utc_text(received_at, "received_at"))


def entries_for_releases(facts: Iterable[tuple[str, str, str, str]], received_at: datetime) -> list[bytes]:
    """``entry_for_release`` of each (ocid, release id, digest, platform) received together at
    one instant (a batch: the time written once)."""
    at = utc_text(received_at, "received_at")
    return [_release_entry(ocid, release_id, digest_hex, platform_id, at) for ocid, release_id, digest_hex, platform_id in facts]


def _release_entry(ocid: str, release_id: str, digest_hex: str, platform_id: str, at: str) -> bytes:
    return canonical({
        "v": VERSION, "kind": RELEASE, "ocid": _text(ocid, "ocid"),
        "release_id": _text(release_id, "release_id"), "digest": _hex64(digest_hex, "digest_hex"),
        "platform": _text(platform_id, "platform_id"), "received_at": at,
    })


def entry_for_chain_head(platform_id: str, seq: int, hash_hex: str, at: datetime) -> bytes:
    """A trading platform's audit chain head (``tenderhub audit head``) as the hub saw it."""
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise Invalid(f"seq must be a positive integer, not {seq!r}", field="seq")
    return canonical({
        "v": VERSION, "kind": CHAIN_HEAD, "platform": _text(platform_id, "platform_id"),
        "seq": seq, "hash": _hex64(hash_hex, "hash_hex"), "at": utc_text(at, "at"),
    })


def entry_for_tree_head(hub_id: str, size: int, root_hex: str, timestamp: datetime, key: str, signature: str) -> bytes:
    """A lower hub's signed tree head as the upper hub accepted it (or caught it forking): the
    upper hub's log then commits to every history of its lower hubs it has seen."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise Invalid(f"size must be a non-negative integer, not {size!r}", field="size")
    return canonical({
        "v": VERSION, "kind": TREE_HEAD, "hub": _text(hub_id, "hub_id"), "size": size, "root": _hex64(root_hex, "root_hex"),
        "timestamp": utc_text(timestamp, "timestamp"), "key": _text(key, "key"), "signature": _text(signature, "signature"),
    })


def entry_for_flag(hub_id: str, flag_id: int, flag_kind: str, detected_at: datetime, evidence_hex: str) -> bytes:
    """The upper hub flagged a lower hub (a fork, a false signed claim; ``hub/flags.py``):
    ``evidence`` the SHA-256 of the flag's evidence (canonical JSON), public at
    ``GET /hub/lower-hubs/{hub}/flags``."""
    return canonical({
        "v": VERSION, "kind": FLAG, "hub": _text(hub_id, "hub_id"), "flag": _count(flag_id, "flag_id"),
        "flag_kind": _text(flag_kind, "flag_kind"), "detected_at": utc_text(detected_at, "detected_at"),
        "evidence": _hex64(evidence_hex, "evidence_hex"),
    })


def entry_for_clearing(hub_id: str, flag_id: int, cleared_at: datetime, reason: str, operator: str,
                       tree_head: tuple[int, str] | None = None) -> bytes:
    """An operator of the upper hub cleared a lower hub's flag: when, who (the name the
    administrator gave), why, and for a fork the tree head (size, root) accepted going forward."""
    head = {"tree_size": _count(tree_head[0], "tree_size"), "tree_root": _hex64(tree_head[1], "tree_root")} if tree_head else {}
    return canonical({
        "v": VERSION, "kind": FLAG_CLEARED, "hub": _text(hub_id, "hub_id"), "flag": _count(flag_id, "flag_id"),
        "cleared_at": utc_text(cleared_at, "cleared_at"), "reason": _text(reason, "reason"),
        "operator": _text(operator, "operator"), **head,
    })


def _count(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(f"a non-negative integer is required, not {value!r}", field=field)
    return value


def parse_entry(entry: bytes) -> dict[str, Any]:
    """The fields of an entry; ``Invalid`` when the bytes are not a canonical entry."""
    try:
        fields = json.loads(entry.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"not a log entry: {exc}", field="entry") from exc
    if not isinstance(fields, dict) or canonical(fields) != entry:
        raise Invalid("not a canonical log entry", field="entry")
    return fields


def canonical(fields: dict[str, Any]) -> bytes:
    """Entries hold only texts and integers, which orjson writes exactly as ``json.dumps``."""
    try:
        return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # what orjson refuses (a lone surrogate, a big integer): json.dumps decides
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def utc_text(at: datetime, field: str) -> str:
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise Invalid("a timezone-aware time is required", field=field)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _text(value: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("a non-empty text is required", field=field)
    return value


def _hex64(value: str, field: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value.lower()):
        raise Invalid("a SHA-256 digest as 64 hex digits is required", field=field)
    return value.lower()

"""Entries are canonical JSON; tree heads are signed by the hub's key and verified by anyone."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tenderhub.core.shared.errors import Invalid
from tenderhub.crypto import keys, signing
from tenderhub.hub.tlog import (
    MemoryLeafStore,
    MerkleLog,
    SignedTreeHead,
    entry_for_chain_head,
    entry_for_release,
    parse_entry,
    sign_tree_head,
    verify_sth,
)

BEIJING = timezone(timedelta(hours=8))
AT = datetime(2026, 12, 1, 10, 3, 4, tzinfo=BEIJING)
DIGEST = "AB" * 32


def test_a_release_entry_is_canonical_json_in_utc() -> None:
    raw = entry_for_release("ocds-abc-001", "r1", DIGEST, "平台甲", AT)
    assert raw == (
        '{"digest":"' + "ab" * 32 + '","kind":"release","ocid":"ocds-abc-001","platform":"平台甲",'
        '"received_at":"2026-12-01T02:03:04.000000+00:00","release_id":"r1","v":1}'
    ).encode("utf-8")
    assert parse_entry(raw)["platform"] == "平台甲"


def test_the_same_chain_head_gives_the_same_bytes_whatever_the_timezone() -> None:
    a = entry_for_chain_head("p1", 7, "cd" * 32, AT)
    assert a == entry_for_chain_head("p1", 7, "CD" * 32, AT.astimezone(UTC))
    assert json.loads(a) == {"v": 1, "kind": "chain_head", "platform": "p1", "seq": 7, "hash": "cd" * 32, "at": "2026-12-01T02:03:04.000000+00:00"}


@pytest.mark.parametrize(("call", "field"), [
    (lambda: entry_for_chain_head("p1", 0, "cd" * 32, AT), "seq"),
    (lambda: entry_for_chain_head("p1", 1, "cd" * 31, AT), "hash_hex"),
    (lambda: entry_for_chain_head("", 1, "cd" * 32, AT), "platform_id"),
    (lambda: entry_for_chain_head("p1", 1, "cd" * 32, datetime(2026, 12, 1)), "at"),
    (lambda: entry_for_release("o", "r", "zz" * 32, "p", AT), "digest_hex"),
])
def test_a_malformed_entry_is_invalid_naming_its_field(call, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        call()
    assert refused.value.field == field


def test_non_canonical_bytes_are_not_an_entry() -> None:
    with pytest.raises(Invalid):
        parse_entry(b'{"v": 1}')
    with pytest.raises(Invalid):
        parse_entry(b"\xff")


def a_log() -> MerkleLog:
    log = MerkleLog(MemoryLeafStore())
    log.append_many(entry_for_chain_head("p1", i, f"{i:064x}", AT) for i in range(1, 10))
    return log


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_a_signed_tree_head_verifies_with_the_hub_key(suite: str) -> None:
    key, log = keys.generate(suite), a_log()
    sth = sign_tree_head(log, functools.partial(signing.sign, suite, key.private_pem), keys.fingerprint(key.public_pem), at=AT)
    assert (sth.size, sth.root_hex) == (9, log.root().hex()) and verify_sth(sth, key.public_pem)
    assert SignedTreeHead.from_dict(json.loads(json.dumps(sth.as_dict()))) == sth


def test_a_changed_or_foreign_tree_head_does_not_verify() -> None:
    key, other, log = keys.generate("intl"), keys.generate("intl"), a_log()
    sth = sign_tree_head(log, functools.partial(signing.sign, "intl", key.private_pem), keys.fingerprint(key.public_pem), at=AT, size=5)
    assert sth.root_hex == log.root(5).hex() and verify_sth(sth, key.public_pem)
    assert not verify_sth(replace(sth, size=6), key.public_pem)
    assert not verify_sth(replace(sth, root_hex=log.root().hex()), key.public_pem)
    assert not verify_sth(replace(sth, timestamp=AT + timedelta(seconds=1)), key.public_pem)
    assert not verify_sth(replace(sth, signature_b64="not base64!"), key.public_pem)
    assert not verify_sth(sth, other.public_pem)
    forged = sign_tree_head(log, functools.partial(signing.sign, "intl", other.private_pem), sth.key_fingerprint, at=AT)
    assert not verify_sth(forged, key.public_pem)

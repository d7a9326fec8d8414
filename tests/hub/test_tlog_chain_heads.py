"""A trading platform's audit chain anchored in the log: a platform that rewrites an old
audit row and recomputes every hash after it (its chain still verifies on its own) or cuts
its tail is caught by ``check_chain_heads``."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tenderhub.bootstrap import Platform, build
from tenderhub.core.shared.clock import BEIJING, FixedClock
from tenderhub.core.shared.ids import uscc_check_char
from tenderhub.core.shared.roles import PUBLIC, Actor
from tenderhub.crypto import keys, signing
from tenderhub.db import tables
from tenderhub.db.engine import make_session_factory
from tenderhub.db.repositories.audit import AuditRepository, row_hash
from tenderhub.hub.tlog import (
    MemoryLeafStore,
    MerkleLog,
    check_chain_heads,
    entry_for_chain_head,
    entry_for_release,
    sign_tree_head,
)
from tenderhub.services import subjects, tenders
from tenderhub.settings import Settings

PID = "platform-a"
AT = datetime(2026, 11, 30, 9, 0, tzinfo=BEIJING)


@dataclass
class Anchored:
    platform: Platform
    log: MerkleLog
    anchors: list[tuple[int, str]]

    def verify_chain(self) -> int | None:
        with make_session_factory(self.platform.engine)() as session:
            return AuditRepository(session).verify_chain()

    def chain(self) -> list[tuple[int, str]]:
        with make_session_factory(self.platform.engine)() as session:
            return [(r.seq, r.hash) for r in AuditRepository(session).list(limit=10_000)]


def a_tenderer(platform: Platform) -> Actor:
    body = "91110105MA0000001"
    made = subjects.register_subject(platform.services, PUBLIC, {
        "uscc": body + uscc_check_char(body), "name": "招标人 有限公司", "kind": "tenderer", "user_id": "tenderer",
    })
    return subjects.actor_for_token(platform.services, made["token"])


def work(platform: Platform, tenderer: Actor, n: int) -> None:
    """Some audited changes on the platform: n tenders created."""
    body = {"regime": "works", "title": "测试道路工程", "lots": [
        {"title": "标段1", "category": "works", "estimated_price": 10000000, "deadline": "2026-12-21T09:30"}]}
    for _ in range(n):
        tenders.create_tender(platform.services, tenderer, body)


def head(platform: Platform) -> tuple[int, str]:
    with make_session_factory(platform.engine)() as session:
        found = AuditRepository(session).head()
    assert found is not None
    return found


@pytest.fixture
def anchored(database_url: str, tmp_path: Path) -> Iterator[Anchored]:
    platform = build(Settings.load(data_dir=tmp_path, db_url=database_url), clock=FixedClock(AT))
    tenderer = a_tenderer(platform)
    log, anchors = MerkleLog(MemoryLeafStore()), []
    log.append(entry_for_release("ocds-x-1", "r1", "ab" * 32, "platform-b", AT))
    for _ in range(3):  # the platform works, and the hub logs its head every so often
        work(platform, tenderer, 2)
        seq, hash_hex = head(platform)
        log.append(entry_for_chain_head(PID, seq, hash_hex, AT))
        log.append(entry_for_chain_head("platform-b", seq, "cd" * 32, AT))  # another platform's head
        anchors.append((seq, hash_hex))
    work(platform, tenderer, 1)  # written after the last anchor
    yield Anchored(platform, log, anchors)
    platform.engine.dispose()


def rewrite_from(anchored: Anchored, seq: int) -> None:
    """The dishonest operator: edit row ``seq``, then recompute every hash after it."""
    t = tables.audit_events  # the operator's SQL, with the column types to recompute the hashes
    with anchored.platform.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET reason = 'edited by the operator' WHERE seq = :seq"), {"seq": seq})
        rows = [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.seq))]
        prev = rows[0]["prev_hash"]
        for row in rows:
            new_hash = row_hash(row, prev)
            conn.execute(sa.update(t).where(t.c.seq == row["seq"]).values(prev_hash=prev, hash=new_hash))
            prev = new_hash


def test_an_honest_platform_extends_every_logged_head(anchored: Anchored) -> None:
    assert len(anchored.chain()) > anchored.anchors[-1][0]
    assert check_chain_heads(anchored.log, PID, anchored.chain(), anchors=anchored.anchors) == []


def test_a_rewritten_old_row_is_caught_though_the_chain_still_verifies(anchored: Anchored) -> None:
    _first, second, third = (seq for seq, _ in anchored.anchors)
    rewrite_from(anchored, second - 1)
    assert anchored.verify_chain() is None  # the rewrite is invisible from inside
    problems = check_chain_heads(anchored.log, PID, anchored.chain())
    assert len(problems) == 2 and all("history rewritten" in p for p in problems)
    assert f"seq {second}:" in problems[0] and f"seq {third}:" in problems[1]


def test_a_rewrite_after_the_last_anchor_is_not_seen(anchored: Anchored) -> None:
    rewrite_from(anchored, anchored.anchors[-1][0] + 1)
    assert check_chain_heads(anchored.log, PID, anchored.chain()) == []


def test_a_cut_tail_is_caught(anchored: Anchored) -> None:
    last = anchored.anchors[-1][0]
    with anchored.platform.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq >= :seq"), {"seq": last})
    problems = check_chain_heads(anchored.log, PID, anchored.chain())
    assert problems == [f"seq {last}: logged at index {anchored.log.size() - 2} with hash {anchored.anchors[-1][1]}, "
                        "but the platform's chain has no such row (history cut)"]


def test_a_signed_head_limits_the_check_to_what_it_covers(anchored: Anchored) -> None:
    key = keys.generate("intl")
    sth = sign_tree_head(anchored.log, functools.partial(signing.sign, "intl", key.private_pem),
                         keys.fingerprint(key.public_pem), at=AT, size=3)  # covers the first anchor only
    rewrite_from(anchored, anchored.anchors[0][0] + 1)
    assert check_chain_heads(anchored.log, PID, anchored.chain(), sth=sth) == []
    assert len(check_chain_heads(anchored.log, PID, anchored.chain())) == 2


def test_an_anchor_the_log_does_not_hold_or_an_unknown_platform_is_a_problem(anchored: Anchored) -> None:
    claimed = [*anchored.anchors, (1, "ef" * 32)]
    assert check_chain_heads(anchored.log, PID, anchored.chain(), anchors=claimed) == [
        f"seq 1: the platform's anchor {'ef' * 32} is not in the log (size {anchored.log.size()})"
    ]
    assert check_chain_heads(anchored.log, "platform-z", []) == [f"no chain head of platform platform-z is in the log (size {anchored.log.size()})"]


def test_a_log_that_serves_a_wrong_root_fails_the_inclusion_proofs(anchored: Anchored) -> None:
    key = keys.generate("intl")
    sth = sign_tree_head(anchored.log, functools.partial(signing.sign, "intl", key.private_pem),
                         keys.fingerprint(key.public_pem), at=AT)
    lying = type(sth)(sth.size, "00" * 32, sth.timestamp, sth.signature_b64, sth.key_fingerprint)
    problems = check_chain_heads(anchored.log, PID, anchored.chain(), sth=lying)
    assert len(problems) == 3 and all("does not verify" in p for p in problems)

"""Group commit of sealed bids (``sealed_batch``, ADR 0025): several bids in one transaction,
each with its own checks, receipt time, refusal and audit actor; one bid's failure never fails
or loses another's; the deadline is judged on each bid's receipt time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sealed_builders import SealedBid, a_sealed_tender
from services_builders import World, a_world, bj

from tenderhub.core.shared.errors import Conflict, RuleViolation
from tenderhub.services import sealed, sealed_batch, sealed_whole
from tenderhub.services.sealed_batch import Pending
from tenderhub.services.tenders import load

DEADLINE = "2026-12-21T09:30"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path / "data", allow_unsealed=False)
    yield w
    w.platform.engine.dispose()


def pending(world: World, tender_id: str, lot: str, bid: SealedBid, *, at: str | None = None) -> Pending:
    """What ``submit_whole`` hands to the committer: the bytes stored and checked, the receipt time."""
    assert world.svc.vault is not None
    problems = sealed.verify_summary(bid.summary)
    ref = sealed_whole.stored(world.svc.vault, bid.summary, bid.sha256, bid.path.read_bytes())
    act = world.svc.act(bid.actor)
    if at is not None:
        act = type(act)(bj(at), act.by, act.calendar, act.reason)
    return Pending(bid.actor, act, tender_id, lot, {"sha256": bid.sha256, "summary": bid.summary}, problems, ref)


def stored_bids(world: World, tender_id: str) -> list[Any]:
    with world.svc.uow(None) as uow:
        return list(uow.tenders.get(tender_id).lots[0].bids)


def audit_rows(world: World, tag: str) -> list[Any]:
    with world.svc.uow(None) as uow:
        assert uow.audit.verify_chain() is None
        return uow.audit.list(tag=tag, limit=1000)


@pytest.mark.db
def test_a_group_records_every_bid_in_one_transaction_with_its_own_actor_and_number(world: World, tmp_path: Path) -> None:
    _, tender_id, lot, packages = a_sealed_tender(world, tmp_path, 4, deadline=DEADLINE)
    group = [pending(world, tender_id, lot, bid) for bid in packages]
    sealed_batch.record_group(world.svc, group)
    assert all(p.error is None and p.result is not None and not p.result[0] for p in group)
    numbers = [p.result[2].id.rsplit("-", 1)[1] for p in group if p.result]
    assert numbers == ["1", "2", "3", "4"]
    assert sorted(b.bidder_id for b in stored_bids(world, tender_id)) == ["b0", "b1", "b2", "b3"]
    actors = {row.target: row.actor for row in audit_rows(world, "bids:package:received")}
    assert sorted(actors.values()) == ["b0", "b1", "b2", "b3"]
    assert all(actors[p.result[2].id] == p.actor.user_id for p in group if p.result)


@pytest.mark.db
def test_a_refused_bid_in_a_group_does_not_fail_or_lose_the_others(world: World, tmp_path: Path) -> None:
    _, tender_id, lot, packages = a_sealed_tender(world, tmp_path, 4, deadline=DEADLINE, registered=3)  # b3 not registered
    group = [pending(world, tender_id, lot, bid) for bid in packages]
    forged = pending(world, tender_id, lot, packages[1])
    forged.problems = ["the signature does not verify"]
    sealed_batch.record_group(world.svc, [group[3], group[0], forged, group[2]])
    assert isinstance(group[3].error, RuleViolation) and group[3].error.rule.code == "BIDDER_REGISTERED"  # type: ignore[union-attr]
    assert isinstance(forged.error, RuleViolation) and forged.error.rule.code == "SEALED_SIGNATURE_INVALID"  # type: ignore[union-attr]
    assert group[0].result is not None and group[2].result is not None
    assert sorted(b.bidder_id for b in stored_bids(world, tender_id)) == ["b0", "b2"]


@pytest.mark.db
def test_a_bid_whose_bytes_vanished_is_dropped_and_the_group_is_written_again_without_it(world: World, tmp_path: Path) -> None:
    _, tender_id, lot, packages = a_sealed_tender(world, tmp_path, 3, deadline=DEADLINE)
    group = [pending(world, tender_id, lot, bid) for bid in packages]
    assert world.svc.vault is not None and group[1].ref is not None
    world.svc.vault.blobs.remove(group[1].ref.digest)  # a concurrent refusal of an identical package removed it
    sealed_batch.record_group(world.svc, group)
    assert isinstance(group[1].error, Conflict) and group[1].error.code == "upload_lost"
    assert group[0].result is not None and group[2].result is not None
    assert [b.bidder_id for b in stored_bids(world, tender_id)] == ["b0", "b2"]
    assert [b.id.rsplit("-", 1)[1] for b in stored_bids(world, tender_id)] == ["1", "2"]  # numbered as committed


@pytest.mark.db
def test_the_deadline_is_judged_on_each_bids_receipt_time_not_on_when_its_group_commits(world: World, tmp_path: Path) -> None:
    """电子招标投标办法 第26条: a bid whose bytes were all stored and checked before the deadline is
    in time even if its group is written after it; one whose receipt time is the deadline is late."""
    _, tender_id, lot, packages = a_sealed_tender(world, tmp_path, 3, deadline=DEADLINE)
    in_time = pending(world, tender_id, lot, packages[0], at="2026-12-21T09:29:59.999")
    at_deadline = pending(world, tender_id, lot, packages[1], at=DEADLINE)
    world.at("2026-12-21T09:30:00.200")  # the group is written 200 ms after the deadline
    late_alone = pending(world, tender_id, lot, packages[2])
    sealed_batch.record_group(world.svc, [in_time, at_deadline, late_alone])
    assert in_time.result is not None
    assert in_time.result[3].received_at == bj("2026-12-21T09:29:59.999")
    for late in (at_deadline, late_alone):
        assert isinstance(late.error, RuleViolation) and late.error.rule.code == "SEALED_UPLOAD_BEFORE_DEADLINE"  # type: ignore[union-attr]
    signed = sealed.receipt(world.svc, *in_time.result[1:])
    assert signed["receipt"]["received_at"] == "2026-12-21T09:29:59.999+08:00"


@pytest.mark.db
def test_the_same_package_twice_in_one_group_is_one_bid_with_one_receipt(world: World, tmp_path: Path) -> None:
    _, tender_id, lot, packages = a_sealed_tender(world, tmp_path, 1, deadline=DEADLINE)
    first, retry = pending(world, tender_id, lot, packages[0]), pending(world, tender_id, lot, packages[0])
    sealed_batch.record_group(world.svc, [first, retry])
    assert first.result is not None and retry.result is not None
    assert (first.result[0], retry.result[0]) == (False, True)
    r1, r2 = (sealed.receipt(world.svc, *p.result[1:]) for p in (first, retry) if p.result)
    assert r1["receipt"] == r2["receipt"] and len(stored_bids(world, tender_id)) == 1


@pytest.mark.db
def test_requests_that_arrive_while_a_group_is_written_are_the_next_group_and_each_gets_its_receipt(world: World, tmp_path: Path) -> None:
    _, tender_id, lot, packages = a_sealed_tender(world, tmp_path, 12, deadline=DEADLINE)
    committer, receipts = sealed_batch.committer_of(world.svc), {}

    def send(bid: SealedBid) -> None:
        data = {"lot": lot, "summary": bid.summary, "sha256": bid.sha256}
        receipts[bid.actor.user_id] = sealed_whole.submit_whole(world.svc, bid.actor, tender_id, data, bid.path.read_bytes())[1]

    threads = [threading.Thread(target=send, args=(bid,)) for bid in packages]
    with world.svc.uow(None) as blocker:
        load(blocker, tender_id, for_update=True)  # the first leader waits for this lock; the others queue
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while committer.waiting < 11 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert committer.waiting == 11
    for thread in threads:
        thread.join()
    assert committer.groups == 2 and len(receipts) == 12
    assert all(sealed.verify_receipt(world.svc, r) for r in receipts.values())
    stored = {b.id: b for b in stored_bids(world, tender_id)}
    assert sorted(stored) == sorted(r["receipt"]["bid"] for r in receipts.values())
    assert sorted(int(b.id.rsplit("-", 1)[1]) for b in stored.values()) == list(range(1, 13))
    assert len(audit_rows(world, "bids:package:received")) == 12

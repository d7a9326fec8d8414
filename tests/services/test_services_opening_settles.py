"""The opening waits for the bids of its tender that are receipted but not yet recorded
(``services/settling.py``, ADR 0025 "the opening waits"): a bid whose upload finished before the
deadline is never refused because its group was still being written when the lot was opened."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sealed_builders import SealedBid, a_sealed_tender
from services_builders import World, a_world

from tenderhub.core.shared.errors import Conflict
from tenderhub.services import bids, sealed_batch, sealed_whole, settling

DEADLINE = "2026-12-21T09:30"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path / "data", allow_unsealed=False)
    yield w
    w.platform.engine.dispose()


def send(world: World, tender_id: str, lot: str, bid: SealedBid) -> dict[str, Any]:
    data = {"lot": lot, "summary": bid.summary, "sha256": bid.sha256}
    return sealed_whole.submit_whole(world.svc, bid.actor, tender_id, data, bid.path.read_bytes())[1]


def held_leader(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """The committer's next group waits for ``release`` once ``started`` is set (the real group is then written)."""
    started, release, real = threading.Event(), threading.Event(), sealed_batch.record_group

    def record_group(svc: Any, group: list[sealed_batch.Pending]) -> None:
        started.set()
        assert release.wait(30)
        real(svc, group)

    monkeypatch.setattr(sealed_batch, "record_group", record_group)
    return started, release


@pytest.mark.db
def test_the_opening_waits_for_a_bid_receipted_before_the_deadline_and_records_it(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tenderer, tender_id, lot, packages = a_sealed_tender(world, tmp_path, 3, deadline=DEADLINE)
    for bid in packages[:2]:
        send(world, tender_id, lot, bid)
    started, release = held_leader(monkeypatch)
    world.at("2026-12-21T09:29:59.999")  # the last upload finishes 1 ms before the deadline
    receipts: list[dict[str, Any]] = []
    bidder = threading.Thread(target=lambda: receipts.append(send(world, tender_id, lot, packages[2])))
    bidder.start()
    assert started.wait(30)  # its receipt time is read; its group is held before the tender's lock
    world.at("2026-12-21T09:30:00.050")  # the tenderer opens the lot 50 ms after the deadline
    opened: list[dict[str, Any]] = []
    opener = threading.Thread(target=lambda: opened.append(bids.open_bids(world.svc, tenderer, tender_id, {"lot": lot})))
    opener.start()
    opener.join(0.3)
    assert opener.is_alive() and not opened  # the opening waits for the held bid
    release.set()
    bidder.join(30)
    opener.join(30)
    assert receipts and receipts[0]["receipt"]["received_at"] == "2026-12-21T09:29:59.999+08:00"
    assert opened and opened[0]["status"] == "opened"  # sealed: the record's entries come with decryption
    recorded = {b["bidder"]: b["sealed"]["received_at"] for b in opened[0]["tender"]["lots"][0]["bids"]}
    assert len(recorded) == 3 and recorded["b2 有限公司"].startswith("2026-12-21T09:29:59.999")


@pytest.mark.db
def test_the_opening_answers_a_retryable_409_when_a_bid_does_not_settle_in_time(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tenderer, tender_id, lot, packages = a_sealed_tender(world, tmp_path, 3, deadline=DEADLINE)
    started, release = held_leader(monkeypatch)
    monkeypatch.setattr(settling.Settling.wait_settled, "__defaults__", (0.2,))
    world.at("2026-12-21T09:29:59")
    bidder = threading.Thread(target=send, args=(world, tender_id, lot, packages[0]))
    bidder.start()
    assert started.wait(30)
    world.at("2026-12-21T09:30:01")
    with pytest.raises(Conflict) as refused:
        bids.open_bids(world.svc, tenderer, tender_id, {"lot": lot})
    assert (refused.value.code, refused.value.field) == ("bids_settling", "lot")
    assert refused.value.rule is not None and refused.value.rule.code == "SEALED_UPLOAD_BEFORE_DEADLINE"
    assert {k: refused.value.as_dict()[k] for k in ("kind", "law", "article")} == {"kind": "conflict", "law": "电子招标投标办法", "article": 26}
    release.set()
    bidder.join(30)
    opened = bids.open_bids(world.svc, tenderer, tender_id, {"lot": lot})  # the retry opens, the bid included
    assert [b["bidder"] for b in opened["tender"]["lots"][0]["bids"]] == ["b0 有限公司"]


HOLDER = """
import sys, time
from pathlib import Path
from tenderhub.services.settling import Settling
s = Settling(Path(sys.argv[1]))
with s.holding(sys.argv[2]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_another_process_with_bids_inside_makes_the_opening_wait_and_then_lets_it_through(tmp_path: Path) -> None:
    locks = tmp_path / "settling"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    other = subprocess.Popen([sys.executable, "-c", HOLDER, str(locks), "T-1"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "held"
        here = settling.Settling(locks)
        with pytest.raises(Conflict) as refused:
            here.wait_settled("T-1", timeout=0.2)
        assert "another process" in str(refused.value) and refused.value.code == "bids_settling"
        here.wait_settled("T-2", timeout=0.2)  # another tender: no wait
        with here.holding("T-1"):  # two independent holders share the lock
            assert here.inside("T-1") == 1
        assert other.stdin is not None
        other.stdin.write("\n")
        other.stdin.flush()
        assert other.wait(30) == 0
        here.wait_settled("T-1", timeout=5)  # the other process left: the opening goes on
    finally:
        if other.poll() is None:
            other.kill()

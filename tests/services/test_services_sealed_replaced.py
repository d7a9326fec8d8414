"""A sealed bid replaced by a newer package (法 第29条): a delayed retry of the older upload's
finish returns the older receipt and leaves the newer package the bid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sealed_builders import SealedBid, seal
from services_builders import World, a_tender_body, a_world

from tenderhub.services import bids, sealed, tenders

AT = "2026-12-10T10:00"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path / "data", allow_unsealed=False)
    yield w
    w.platform.engine.dispose()


def two_packages(world: World, tmp: Path) -> tuple[str, str, SealedBid, SealedBid]:
    """A sealed tender, one registered bidder and two packages of it (different prices)."""
    tenderer = world.subject("tenderer", "tenderer", 1)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body())
    world.at("2026-12-01T09:00")
    tenders.publish(world.svc, tenderer, made["id"], {"doc_sale_end": "2026-12-07"})
    world.at(AT)
    bidder = world.subject("b1", "bidder", 11)
    lot = made["lots"][0]["code"]
    bids.register(world.svc, bidder, made["id"], {"lot": lot})
    return made["id"], lot, seal(bidder, tmp / "first", price="9000000"), seal(bidder, tmp / "second", price="8800000")


def begin(world: World, tender_id: str, lot: str, bid: SealedBid) -> str:
    state = sealed.begin_upload(world.svc, bid.actor, tender_id, {"lot": lot, "summary": bid.summary, "sha256": bid.sha256})
    return str(state["upload_id"])


def finish(world: World, upload_id: str, bid: SealedBid) -> dict[str, Any]:
    return sealed.finish_upload(world.svc, bid.actor, upload_id, (0, bid.path.read_bytes()))


def the_bid(world: World, tender_id: str) -> Any:
    with world.svc.uow(None) as uow:
        [bid] = uow.tenders.get(tender_id).lots[0].bids
        return bid


def test_a_delayed_retry_of_an_older_finish_returns_its_receipt_and_keeps_the_newer_package(world: World, tmp_path: Path) -> None:
    tender_id, lot, first, second = two_packages(world, tmp_path)
    u1 = begin(world, tender_id, lot, first)
    r1 = finish(world, u1, first)
    world.at("2026-12-11T10:00")
    u2 = begin(world, tender_id, lot, second)
    r2 = finish(world, u2, second)
    assert u1 != u2 and r2["receipt"]["version"] == 2
    world.at("2026-12-11T10:05")
    again = finish(world, u1, first)  # U1's finish, retried late (its answer was lost)
    assert again["receipt"] == r1["receipt"] and sealed.verify_receipt(world.svc, again)
    bid = the_bid(world, tender_id)
    assert (bid.sealed.digest, bid.sealed.receipt_id, bid.version) == (second.sha256, u2, 2)
    assert sealed.finish_upload(world.svc, first.actor, u2)["receipt"] == r2["receipt"]


def test_a_retry_without_the_last_chunk_after_a_replacement_changes_nothing_either(world: World, tmp_path: Path) -> None:
    tender_id, lot, first, second = two_packages(world, tmp_path)
    u1 = begin(world, tender_id, lot, first)
    r1 = finish(world, u1, first)
    finish(world, begin(world, tender_id, lot, second), second)
    assert sealed.finish_upload(world.svc, first.actor, u1)["receipt"] == r1["receipt"]
    assert the_bid(world, tender_id).sealed.digest == second.sha256


def test_going_back_to_the_first_package_on_purpose_is_a_new_upload_and_a_new_version(world: World, tmp_path: Path) -> None:
    tender_id, lot, first, second = two_packages(world, tmp_path)
    u1 = begin(world, tender_id, lot, first)
    finish(world, u1, first)
    finish(world, begin(world, tender_id, lot, second), second)
    u3 = begin(world, tender_id, lot, first)  # the bidder sends its first package again
    assert u3 != u1
    r3 = finish(world, u3, first)
    assert r3["receipt"]["version"] == 3 and r3["receipt"]["receipt_id"] == u3
    bid = the_bid(world, tender_id)
    assert (bid.sealed.digest, bid.version) == (first.sha256, 3)
    assert begin(world, tender_id, lot, first) == u3  # resuming it (or retrying) keeps the same id

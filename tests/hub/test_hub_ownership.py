"""Who owns an ocid and a release id at the hub (ADR 0013): a platform cannot squat another
platform's release ids or ocids, and two first releases of one ocid racing each other cannot
both win (PostgreSQL: no check-then-insert race)."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from hub_support import registration, release

from tenderhub.core.shared.errors import Conflict, DomainError, Invalid
from tenderhub.crypto import keys
from tenderhub.crypto.keys import KeyPair
from tenderhub.hub import batch, ingest, protocol, registry
from tenderhub.hub.context import Hub

pytestmark = pytest.mark.db

A, B = "TH110000001", "TH120000002"


def join(hub: Hub, platform_id: str, **changes: Any) -> KeyPair:
    pair = keys.generate("intl")
    registry.register(hub, registration(platform_id, pair, **changes))
    return pair


def send(hub: Hub, platform_id: str, pair: KeyPair, doc: dict[str, Any]) -> ingest.Outcome:
    return ingest.ingest(hub, protocol.envelope(platform_id, pair, doc))


def test_a_release_id_another_platform_used_under_its_own_ocid_does_not_block_the_owner(hub: Hub) -> None:
    a, b = join(hub, A), join(hub, B)
    mine = release(1, ocid="ocds-thxxxx-A-0001")
    squatted = {**release(1, ocid="ocds-thxxxx-B-0001"), "id": mine["id"]}  # B takes A's predictable id first
    assert send(hub, B, b, squatted).created
    assert send(hub, A, a, mine).created
    assert send(hub, A, a, mine).created is False  # idempotent for its owner


def test_the_same_release_id_under_two_ocids_in_one_batch_is_two_releases(hub: Hub) -> None:
    a = join(hub, A)
    one, two = release(1, ocid="ocds-thxxxx-A-0001"), release(1, ocid="ocds-thxxxx-A-0002")
    two["id"] = one["id"]
    results = batch.ingest_many(hub, [protocol.envelope(A, a, one), protocol.envelope(A, a, two)])
    assert [r["status"] for r in results] == ["created", "created"]


def test_an_ocid_under_another_platforms_registered_prefix_is_refused_even_as_the_first(hub: Hub) -> None:
    a, b = join(hub, A, ocid_prefix="ocds-aaaaaa-"), join(hub, B)
    doc = release(0, ocid="ocds-aaaaaa-T2025-0001")
    with pytest.raises(Conflict) as refused:
        send(hub, B, b, doc)
    assert refused.value.code == "foreign_ocid" and refused.value.field == "/release/ocid"
    assert send(hub, A, a, doc).created


def test_a_platform_with_a_registered_prefix_publishes_only_under_it(hub: Hub) -> None:
    a = join(hub, A, ocid_prefix="ocds-aaaaaa-")
    with pytest.raises(Conflict) as refused:
        send(hub, A, a, release(0, ocid="ocds-zzzzzz-T2025-0001"))
    assert refused.value.code == "ocid_prefix"


def test_a_prefix_overlapping_another_platforms_is_refused_at_registration(hub: Hub) -> None:
    join(hub, A, ocid_prefix="ocds-aaaaaa-")
    with pytest.raises(Conflict) as refused:
        join(hub, B, ocid_prefix="ocds-aaaaaa-B-")
    assert refused.value.field == "ocid_prefix"
    with pytest.raises(Invalid):
        join(hub, "TH130000003", ocid_prefix="no spaces allowed")


def test_two_first_releases_of_one_ocid_from_two_platforms_at_once_leave_one_owner(hub: Hub) -> None:
    """Both transactions are held inside the ingest until both passed the ownership check (or
    2 s went by): the loser must still be refused, whatever the interleaving."""
    a, b = join(hub, A), join(hub, B)
    docs = {A: release(0, ocid="ocds-thxxxx-RACE-0001"), B: {**release(0, ocid="ocds-thxxxx-RACE-0001"), "id": "other-id"}}
    both = threading.Barrier(2, timeout=2)

    def hold(stage: str, _doc: dict[str, Any]) -> None:
        if stage == "started":
            with contextlib.suppress(threading.BrokenBarrierError):
                both.wait()

    hub.pause = hold
    outcomes: dict[str, Any] = {}

    def run(platform_id: str, pair: KeyPair) -> None:
        try:
            outcomes[platform_id] = send(hub, platform_id, pair, docs[platform_id]).created
        except DomainError as error:
            outcomes[platform_id] = error.code

    threads = [threading.Thread(target=run, args=(A, a)), threading.Thread(target=run, args=(B, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    hub.pause = None
    assert sorted(map(str, outcomes.values())) == ["True", "foreign_ocid"], outcomes

"""Security review of the hub tree: a permanent refusal upstream is recorded and forwarding goes
on past it; the upper hub shows how stale a lower hub's tree head is; only a platform logs chain
heads as itself; concurrent forwarded registrations of one id are a clean outcome. Both hubs on
the database under test (SQLite, and PostgreSQL in the second run)."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from hub_support import registration
from test_hub_tree import LOWER_ID
from test_hub_tree_log import Tree, hubs, wired  # noqa: F401  (the fixtures)

from tenderhub.crypto import keys
from tenderhub.hub import registry, tables, transparency, tree
from tenderhub.hub.context import Hub


def platform_row(hub: Hub, platform_id: str) -> Any:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(tables.platforms).where(tables.platforms.c.id == platform_id)).one()


def test_a_lower_hub_cannot_log_chain_heads_under_its_own_id(wired: Tree) -> None:  # noqa: F811
    wired.forwarder.forward_once()  # joined: LOWER_ID is a member of kind hub
    body = transparency.head_body(LOWER_ID, wired.lower.signing_pair(), 1, "ab" * 32)
    answer = wired.upstream.post(transparency.HEADS_PATH, json=body)
    assert (answer.json()["code"], answer.json()["field"]) == ("not_a_platform", "/platform_id")
    assert wired.upstream.get(f"/hub/platforms/{LOWER_ID}/chain-heads").json()["heads"] == []


def test_concurrent_forwarded_registrations_of_one_id_are_one_creation(wired: Tree) -> None:  # noqa: F811
    wired.forwarder.forward_once()
    for n in range(8):  # the race is short: try several ids, two threads each
        platform_id = f"TH11000010{n}"
        registry.register(wired.lower, registration(platform_id, keys.generate("intl")))
        body = tree.forwarded_registration(wired.lower, LOWER_ID, platform_row(wired.lower, platform_id))
        start, outcomes = threading.Barrier(2), list[Any]()

        def forward(body: dict[str, Any] = body, start: threading.Barrier = start, outcomes: list[Any] = outcomes) -> None:
            start.wait()
            try:
                outcomes.append(tree.accept_forwarded(wired.upper, body)[0])
            except Exception as error:  # noqa: BLE001  (the assertion names it)
                outcomes.append(error)

        workers = [threading.Thread(target=forward) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert sorted(outcomes, key=repr) == [False, True], outcomes  # one created, the other a repeat
        assert wired.upstream.get(f"/hub/platforms/{platform_id}").json()["via"] == LOWER_ID

"""Security review of the hub tree: a permanent refusal upstream is recorded and forwarding goes
on past it; the upper hub shows how stale a lower hub's tree head is; only a platform logs chain
heads as itself; concurrent forwarded registrations of one id are a clean outcome. Both hubs on
the database under test (SQLite, and PostgreSQL in the second run)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from hub_support import PLATFORM, Platform, client_for, registration, release
from test_hub_tree import LOWER_ID, TOKEN
from test_hub_tree_log import Tree, hubs, wired  # noqa: F401  (the fixtures)

from tenderhub.core.shared.clock import FixedClock
from tenderhub.crypto import keys
from tenderhub.hub import registry, tables, transparency, tree
from tenderhub.hub.context import Hub
from tenderhub.hub.relay import Refused, Transient
from tenderhub.hub.tree import HEADS, read_position


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
            except Exception as error:
                outcomes.append(error)

        workers = [threading.Thread(target=forward) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert sorted(outcomes, key=repr) == [False, True], outcomes  # one created, the other a repeat
        assert wired.upstream.get(f"/hub/platforms/{platform_id}").json()["via"] == LOWER_ID


def refusals(t: Tree) -> set[tuple[str, str, int, str | None]]:
    found = client_for(t.lower).get("/hub/upstream/refusals").json()["refusals"]
    return {(r["what"], r["subject"], r["status"], r["code"]) for r in found}


def lower_size(t: Tree) -> int:
    size: int = client_for(t.lower).get("/hub/log/sth").json()["size"]
    return size


def test_a_registration_and_a_head_refused_for_good_are_recorded_and_forwarding_goes_on(wired: Tree) -> None:  # noqa: F811
    squatter = keys.generate("intl")  # the platform's id is taken at the upper hub by another key
    taken = wired.upstream.post("/hub/platforms", json=registration(PLATFORM, squatter), headers={"Authorization": f"Bearer {TOKEN}"})
    assert taken.status_code == 201
    other = Platform(client_for(wired.lower), "TH110000002")
    assert wired.head(3).status_code == 201
    assert other.client.post(transparency.HEADS_PATH, json=transparency.head_body(other.platform_id, other.pair, 5, "cd" * 32)).status_code == 201
    wired.flaky.mode = "503"  # transient: nothing recorded, retried
    with pytest.raises(Transient):
        wired.forwarder.forward_once()
    assert refusals(wired) == set()
    wired.flaky.mode = "up"
    done = wired.forwarder.forward_once()  # no exception: the refusals are recorded, the rest goes on
    assert done.heads == 2 and read_position(wired.lower, HEADS) == 1
    assert refusals(wired) == {("registration", PLATFORM, 409, "conflict"), ("chain_head", f"{PLATFORM}#3", 403, "bad_signature")}
    assert wired.upstream.get("/hub/platforms/TH110000002").json()["via"] == LOWER_ID
    assert [h["seq"] for h in wired.upstream.get("/hub/platforms/TH110000002/chain-heads").json()["heads"]] == [5]
    assert wired.view()["tree_head"]["size"] == lower_size(wired) and wired.view()["state"] == "ok"
    assert other.post(release(1, ocid="ocds-thxxxx-T2025-0002")).status_code == 201 and wired.platform.post(release(2)).status_code == 201
    with pytest.raises(Refused):  # the platform's release is refused upstream (another key): the feed cursor stops there ...
        wired.forwarder.forward_once()
    assert wired.view()["tree_head"]["size"] == lower_size(wired)  # ... the tree head still goes up


def test_the_monitor_shows_how_long_a_lower_hub_has_not_been_heard_from(wired: Tree) -> None:  # noqa: F811
    upper_clock, lower_clock = wired.upper.clock, wired.lower.clock
    assert isinstance(upper_clock, FixedClock) and isinstance(lower_clock, FixedClock)
    wired.head(1)
    wired.forwarder.forward_once()
    view = wired.view()
    assert (view["seconds_since_accepted"], view["tree_head_age_seconds"], view["stale"]) == (0, 0, False)
    for clock in (upper_clock, lower_clock):
        clock.advance(minutes=5)
    assert wired.forwarder.forward_tree_head() is False  # unchanged and heard from lately: nothing posted
    assert wired.view()["seconds_since_accepted"] == 300
    for clock in (upper_clock, lower_clock):
        clock.advance(minutes=26)
    assert wired.view()["stale"] is True  # 31 minutes: three heartbeats missed
    wired.forwarder.forward_once()  # the heartbeat: the same tree, signed again
    view = wired.view()
    assert (view["seconds_since_accepted"], view["stale"], view["accepted"]) == (0, False, 1)
    assert view["tree_head_age_seconds"] == 0 and view["tree_head"]["size"] == lower_size(wired)


def test_a_tree_head_from_the_future_or_older_than_the_last_is_refused(wired: Tree) -> None:  # noqa: F811
    lower_clock = wired.lower.clock
    assert isinstance(lower_clock, FixedClock)
    wired.head(1)
    wired.forwarder.forward_once()
    start = lower_clock.now()
    lower_clock.advance(hours=1)  # the lower hub's clock runs an hour ahead
    wired.head(2)
    with pytest.raises(Refused, match="tree_head_in_future"):
        wired.forwarder.forward_once()
    lower_clock.set(start.replace(year=start.year - 1))  # and now a year behind
    with pytest.raises(Refused, match="tree_head_older"):
        wired.forwarder.forward_once()
    lower_clock.set(start)
    wired.forwarder.forward_once()
    assert wired.view()["tree_head"]["size"] == lower_size(wired) and wired.view()["state"] == "ok"

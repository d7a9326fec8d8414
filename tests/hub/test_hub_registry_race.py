"""Two registrations with overlapping ocid prefixes at once (the second started while the
first is between its overlap check and its insert) leave one owner: the check and the insert
are one step under the registry's lock (the write lock on SQLite, an advisory lock on
PostgreSQL), so the overlap check is not a read-then-insert race. Two connections, two threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hub_support import registration

from tenderhub.core.shared.errors import Conflict
from tenderhub.crypto import keys
from tenderhub.hub import protocol, proven, registry, tables, tree
from tenderhub.hub.context import Hub

pytestmark = pytest.mark.db

A, B = "TH110000001", "TH120000002"


def held_after_the_check(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Thread A stops right after its overlap check passed, before its insert."""
    reached, go, real = threading.Event(), threading.Event(), registry.refuse_overlap

    def check(conn: Any, prefix: str | None) -> None:
        real(conn, prefix)
        if threading.current_thread().name == "A":
            reached.set()
            assert go.wait(20)

    monkeypatch.setattr(registry, "refuse_overlap", check)
    return reached, go


def forwarded(hub: Hub) -> Any:
    """A registration forwarded by a lower hub (``tree.accept_forwarded``), which checks the overlap the same way."""
    lower = keys.generate("intl")
    registry.register(hub, {"id": "hub-lower", "name": "下级平台", "kind": "hub", "public_key_pem": lower.public_pem.decode()})

    def forward(data: dict[str, Any]) -> dict[str, Any]:
        body = {"hub_id": "hub-lower", "registration": data, "signature": protocol.sign(lower, tree.signed_part("hub-lower", data))}
        return tree.accept_forwarded(hub, body)[1]

    return forward


@pytest.mark.parametrize("second_by", ["register", "forward"])
@pytest.mark.parametrize(("first", "second"), [("ocds-aaaaaa-", "ocds-aaaaaa-B-"), ("ocds-aaaaaa-B-", "ocds-aaaaaa-")])
def test_two_overlapping_prefixes_registered_at_once_leave_one_owner(hub: Hub, monkeypatch: pytest.MonkeyPatch, first: str, second: str,
                                                                      second_by: str) -> None:
    by = {"register": lambda data: registry.register(hub, data), "forward": forwarded(hub)}
    reached, go = held_after_the_check(monkeypatch)
    outcomes: dict[str, Any] = {}

    def register(platform_id: str, prefix: str) -> None:
        try:
            how = by[second_by] if platform_id == B else by["register"]
            outcomes[platform_id] = how(registration(platform_id, keys.generate("intl"), ocid_prefix=prefix))["id"]
        except Exception as error:  # the outcome is what the test looks at
            outcomes[platform_id] = error

    a = threading.Thread(target=register, args=(A, first), name="A")
    b = threading.Thread(target=register, args=(B, second), name="B")
    a.start()
    assert reached.wait(20)
    b.start()
    b.join(timeout=1.0)  # with the lock, B waits for A's transaction; without it, B is done by now
    go.set()
    a.join(timeout=30)
    b.join(timeout=30)
    assert outcomes[A] == A, outcomes
    assert isinstance(outcomes[B], Conflict) and outcomes[B].field == "ocid_prefix", outcomes
    with hub.engine.connect() as conn:
        prefixes = conn.execute(tables.platforms.select().where(tables.platforms.c.ocid_prefix.is_not(None))).all()
    assert [(p.id, p.ocid_prefix) for p in prefixes] == [(A, first)]
    if second_by == "forward":  # signed by the lower hub: the upper hub records the refusal against it
        assert [r["code"] for r in proven.refusals_of(hub, "hub-lower")["refusals"]] == ["conflict"]

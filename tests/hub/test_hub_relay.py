"""The outbox relay: every public change reaches the hub exactly once, across hub outages."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hub_support import PLATFORM, T0, client_for, registration, release

from tenderhub.bootstrap import Platform, build
from tenderhub.crypto import keys
from tenderhub.crypto.platform_keys import PlatformKeys
from tenderhub.db.repositories.outbox import OutboxMessage
from tenderhub.hub import protocol
from tenderhub.hub.context import Hub
from tenderhub.hub.relay import (
    PUBLIC_TAGS,
    Backoff,
    FileAcks,
    MemoryAcks,
    Refused,
    Relay,
    Transient,
    hub_answer,
    hub_call,
)
from tenderhub.settings import Settings

CHANGES = 60


class Flaky(httpx.BaseTransport):
    """Delegates to the hub app; ``mode`` makes it refuse connections, answer 503, or process
    the request and then lose the answer (the hub stored it, the relay never hears)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.mode, self.calls = inner, "up", 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.mode == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "503":
            return httpx.Response(503, request=request)
        answer = self.inner.handle_request(request)
        if self.mode == "lose":
            answer.read()
            raise httpx.ReadTimeout("answer lost", request=request)
        return answer


@pytest.fixture
def trading(tmp_path: Path) -> Iterator[Platform]:
    directory = tmp_path / "platform"
    made = build(Settings.load(data_dir=directory, db_url=f"sqlite:///{directory / 'platform.db'}"))
    yield made
    made.engine.dispose()


def relay_for(trading: Platform, hub: Hub, tmp_path: Path, **options: Any) -> tuple[Relay, Flaky]:
    app_client = client_for(hub)
    pair = PlatformKeys(tmp_path / "platform" / "keys").pair("signing", "intl")
    assert app_client.post("/hub/platforms", json=registration(PLATFORM, pair)).status_code == 201
    flaky = Flaky(app_client._transport)
    client = httpx.Client(transport=flaky, base_url="http://testserver")
    return Relay(uow=lambda: trading.services.uow(None), client=client, platform_id=PLATFORM, pair=pair, **options), flaky


def minimal_release(_uow: Any, message: OutboxMessage) -> list[dict[str, Any]]:
    """One release per change, from the row itself (the mapping is tested in tests/exchange)."""
    return [release(int(message.key))]


def write_changes(trading: Platform, numbers: range, tag: str = "procedure:tender:published") -> None:
    with trading.services.uow(None) as uow:
        for n in numbers:
            uow.outbox.put(id=str(uuid.uuid4()), topic=tag, key=str(n), payload={}, at=T0)
        uow.commit()


def pending(trading: Platform) -> list[OutboxMessage]:
    with trading.services.uow(None) as uow:
        found: list[OutboxMessage] = uow.outbox.pending(1000)
    return found


def hub_release_ids(client: TestClient) -> list[str]:
    return [i["release"]["id"] for i in client.get("/hub/feed", params={"limit": 1000}).json()["items"]]


def test_every_change_arrives_exactly_once_across_hub_outages(trading: Platform, hub: Hub, tmp_path: Path) -> None:
    relay, flaky = relay_for(trading, hub, tmp_path, releases_of=minimal_release)
    write_changes(trading, range(0, 20))
    write_changes(trading, range(1000, 1005), tag="bids:bid:submitted")  # not public: never sent
    relay.relay_once(limit=7)
    for mode, more in (("refuse", range(20, 35)), ("503", range(35, 45)), ("lose", range(45, CHANGES))):
        flaky.mode = mode
        write_changes(trading, more)
        batch = relay.relay_once(limit=10)
        assert batch.transient and batch.sent == 0
        flaky.mode = "up"
        relay.relay_once(limit=3)
    while (batch := relay.relay_once(limit=9)).handled:
        pass
    ids = hub_release_ids(client_for(hub))
    assert len(ids) == len(set(ids)) == CHANGES
    assert set(ids) == {release(n)["id"] for n in range(CHANGES)}
    with trading.services.uow(None) as uow:
        assert uow.outbox.pending(1000) == []
        assert max(m.attempts for m in uow.outbox.all()) >= 2


def test_the_running_relay_backs_off_while_the_hub_is_down_and_catches_up(trading: Platform, hub: Hub, tmp_path: Path) -> None:
    relay, flaky = relay_for(trading, hub, tmp_path, releases_of=minimal_release)
    delays: list[float] = []
    stop = threading.Event()

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 3:
            flaky.mode = "up"
        if flaky.mode == "up" and not pending(trading):
            stop.set()

    flaky.mode = "refuse"
    write_changes(trading, range(CHANGES))
    relay.run(stop, idle=0, sleep=sleep)
    assert delays[:3] == [0.5, 1.0, 2.0]
    ids = hub_release_ids(client_for(hub))
    assert sorted(ids) == sorted(release(n)["id"] for n in range(CHANGES))


def test_backoff_grows_to_its_ceiling_and_resets() -> None:
    backoff = Backoff(base=1, factor=3, ceiling=10)
    assert [backoff.next_delay() for _ in range(4)] == [1, 3, 9, 10]
    backoff.reset()
    assert backoff.next_delay() == 1


@contextmanager
def after_scenario(tmp_path: Path, prefix: str) -> Iterator[Platform]:
    """The trading platform in ``tmp_path / "platform"`` once scenario ``prefix`` has run."""
    from tenderhub.scenarios.runner import run_file

    directory = tmp_path / "platform"
    run_file(next((Path(__file__).parents[2] / "scenarios").glob(f"{prefix}-*.yaml")), data_dir=directory)
    trading = build(Settings.load(data_dir=directory, db_url=f"sqlite:///{directory / 'trading.db'}"))
    try:
        yield trading
    finally:
        trading.engine.dispose()


def test_a_real_procedure_reaches_the_hub_as_its_mapped_releases(hub: Hub, tmp_path: Path) -> None:
    from tenderhub.exchange.ocds.mapping import releases_for

    with after_scenario(tmp_path, "01") as trading:
        relay, _ = relay_for(trading, hub, tmp_path)
        while relay.relay_once().handled:
            pass
        with trading.services.uow(None) as uow:
            expected = {r["id"] for t in uow.tenders.list(limit=100) for r in releases_for(t)}
        assert pending(trading) == []
    ids = hub_release_ids(client_for(hub))
    assert expected and len(ids) == len(set(ids)) and set(ids) == expected


class Counting(Flaky):
    """Counts the requests and every release id sent in them."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        super().__init__(inner)
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.sent += [e["release"]["id"] for e in body.get("releases", [body])]
        return super().handle_request(request)


def cumulative_releases(_uow: Any, message: OutboxMessage) -> list[dict[str, Any]]:
    """Like a tender: row n maps to every release 0..n (n = its key)."""
    return [release(k) for k in range(int(message.key) + 1)]


def counting_relay(trading: Platform, hub: Hub, tmp_path: Path, **options: Any) -> tuple[Relay, Counting]:
    relay, flaky = relay_for(trading, hub, tmp_path, **options)
    counting = Counting(flaky.inner)
    relay.client = httpx.Client(transport=counting, base_url="http://testserver")
    return relay, counting


def test_each_release_of_a_real_procedure_is_sent_once_when_the_hub_is_up(hub: Hub, tmp_path: Path) -> None:
    from tenderhub.exchange.ocds.mapping import releases_for

    with after_scenario(tmp_path, "05") as trading:
        relay, counting = counting_relay(trading, hub, tmp_path)
        posts = 0
        while (batch := relay.relay_once(limit=5)).handled:
            posts += batch.posts
        with trading.services.uow(None) as uow:
            expected = [r["id"] for t in uow.tenders.list(limit=100) for r in releases_for(t)]
            public_rows = sum(m.topic in PUBLIC_TAGS for m in uow.outbox.all())
    assert sorted(counting.sent) == sorted(expected) and len(set(expected)) == len(expected) > 5
    assert counting.calls == posts <= public_rows
    assert sorted(hub_release_ids(client_for(hub))) == sorted(expected)


def test_a_change_sends_only_the_releases_the_hub_has_not_acknowledged(trading: Platform, hub: Hub, tmp_path: Path) -> None:
    relay, counting = counting_relay(trading, hub, tmp_path, releases_of=cumulative_releases)
    write_changes(trading, range(0, 10))
    relay.relay_once(limit=100)
    assert counting.sent == [release(n)["id"] for n in range(10)] and counting.calls == 10
    write_changes(trading, [3])  # a change whose releases are all acknowledged: no request
    relay.relay_once()
    assert counting.calls == 10 and pending(trading) == []


def test_an_answer_lost_resends_only_that_batch_and_the_hub_answers_repeat(trading: Platform, hub: Hub, tmp_path: Path) -> None:
    relay, counting = counting_relay(trading, hub, tmp_path, releases_of=cumulative_releases)
    write_changes(trading, range(0, 3))
    relay.relay_once()
    counting.mode = "lose"
    write_changes(trading, [3])
    assert relay.relay_once().transient
    counting.mode = "up"
    batch = relay.relay_once()
    assert batch.sent == 1 and batch.receipts[0]["receipt"]["release_id"] == release(3)["id"]
    assert counting.sent == [release(n)["id"] for n in (0, 1, 2, 3, 3)]
    assert hub_release_ids(client_for(hub)) == [release(n)["id"] for n in range(4)]


def test_the_acks_file_spares_a_restarted_relay_every_resend(trading: Platform, hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "platform" / "hub-acks.jsonl"
    first, counting = counting_relay(trading, hub, tmp_path, releases_of=cumulative_releases, acks=FileAcks(path))
    write_changes(trading, range(0, 5))
    first.relay_once()
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"id": "torn')  # a crash in the middle of a line
    restarted = Relay(uow=first.uow, client=first.client, platform_id=PLATFORM, pair=first.pair,
                      releases_of=cumulative_releases, acks=FileAcks(path))
    write_changes(trading, range(5, 8))
    restarted.relay_once()
    assert counting.sent == [release(n)["id"] for n in range(8)]
    forgetful = Relay(uow=first.uow, client=first.client, platform_id=PLATFORM, pair=first.pair,
                      releases_of=cumulative_releases, acks=MemoryAcks())
    write_changes(trading, [8])
    forgetful.relay_once()  # without the file: everything again, answered "repeat"
    assert counting.sent[8:] == [release(n)["id"] for n in range(9)]
    assert hub_release_ids(client_for(hub)) == [release(n)["id"] for n in range(9)]


@pytest.mark.parametrize(("status", "outcome"), [(200, None), (201, None), (408, Transient), (429, Transient),
                                                 (503, Transient), (400, Refused), (404, Refused), (409, Refused)])
def test_a_hub_answer_is_read_retried_or_refused_by_its_status(status: int, outcome: type[Exception] | None) -> None:
    answer = httpx.Response(status, json={"ok": status}, request=httpx.Request("POST", "http://hub/hub/releases"))
    if outcome is None:
        assert hub_answer(answer) == {"ok": status}
        return
    with pytest.raises(outcome, match=f"HTTP {status}"):
        hub_answer(answer)


def test_a_hub_that_cannot_be_reached_is_transient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(refuse), base_url="http://hub") as client, pytest.raises(Transient, match="ConnectError"):
        hub_call(client, "POST", "/hub/releases", json={})


# ---- batch signatures and the hub's receipts (ADR 0013) -------------------------------------------


def test_the_relay_signs_each_request_once_and_checks_the_hubs_batch_receipts(trading: Platform, hub: Hub, tmp_path: Path) -> None:
    relay, _flaky = relay_for(trading, hub, tmp_path, releases_of=minimal_release, hub_key=hub.key_info()["public_pem"].encode())
    write_changes(trading, range(0, 12))
    batch = relay.relay_once(limit=100)
    assert batch.sent == 12 and batch.refused == 0
    assert all("batch" in r and "signature" not in r for r in batch.receipts)
    assert relay.acks.known(release(3)["id"], protocol.digest(release(3)))


@pytest.mark.parametrize("signing", ["batch", "release"])
def test_receipts_that_do_not_verify_with_the_hubs_key_are_not_acknowledged(trading: Platform, hub: Hub, tmp_path: Path, signing: str) -> None:
    acks = MemoryAcks()
    relay, _flaky = relay_for(trading, hub, tmp_path, releases_of=minimal_release, signing=signing, acks=acks,
                              hub_key=keys.generate("intl").public_pem)  # not the hub's key
    write_changes(trading, range(100, 103))
    batch = relay.relay_once(limit=100)
    assert batch.refused == 3 and batch.sent == 0
    assert not acks.known(release(100)["id"], protocol.digest(release(100)))
    relay.hub_key = hub.key_info()["public_pem"].encode()
    assert relay.relay_once(limit=100).sent == 3  # the same releases again: answered repeat, now acknowledged
    assert acks.known(release(100)["id"], protocol.digest(release(100)))


def test_a_receipt_naming_another_release_is_not_acknowledged(trading: Platform, hub: Hub, tmp_path: Path) -> None:
    relay, _flaky = relay_for(trading, hub, tmp_path, releases_of=minimal_release, hub_key=hub.key_info()["public_pem"].encode())
    receipt = relay.post_batch([(release(0), protocol.digest(release(0)))])[0]
    assert relay.receipt_holds(release(0), protocol.digest(release(0)), receipt)
    assert not relay.receipt_holds(release(1), protocol.digest(release(1)), receipt)


def test_the_relay_refuses_an_unknown_signing_mode(trading: Platform, hub: Hub, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        relay_for(trading, hub, tmp_path, signing="none")

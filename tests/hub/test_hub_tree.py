"""Hubs form a tree (电子招标投标办法 第45条): a lower hub joins an upper hub and forwards its
platforms and their original signed releases, exactly once, across outages of the upper hub."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hub_support import PLATFORM, T0, Platform, client_for, make_hub, registration, release

from tenderhub.core.shared.clock import FixedClock
from tenderhub.crypto import keys
from tenderhub.hub import batchsig, lifespan, protocol, proven, tables, tree
from tenderhub.hub.context import Hub, open_hub
from tenderhub.hub.protocol import envelope
from tenderhub.hub.relay import Refused, Transient
from tenderhub.hub.tree import Forwarder, read_position

LOWER_ID, TOKEN = "hub-beijing", "upper-admin-token"


class Flaky(httpx.BaseTransport):
    """The upper hub's app; ``mode`` refuses connections, answers 503, or stores and then
    loses the answer to a post of releases or chain heads (the upper hub has them, the
    forwarder never hears)."""

    LOST = (proven.RELEASES_PATH, proven.HEADS_PATH)

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.mode, self.batches = inner, "up", 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.mode == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "503":
            return httpx.Response(503, request=request)
        self.batches += request.url.path == proven.RELEASES_PATH
        answer = self.inner.handle_request(request)
        if self.mode == "lose" and request.url.path in self.LOST:
            answer.read()
            raise httpx.ReadTimeout("answer lost", request=request)
        return answer


@pytest.fixture
def upper(tmp_path: Path, database_url: str) -> Iterator[Hub]:
    made = make_hub(tmp_path / "upper", database_url)
    yield made
    made.close()


@pytest.fixture
def lower(tmp_path: Path) -> Iterator[Hub]:
    directory = tmp_path / "lower"
    directory.mkdir()
    made = open_hub(directory, f"sqlite:///{directory / 'hub.db'}", clock=FixedClock(T0))
    yield made
    made.close()


@pytest.fixture
def wire(upper: Hub, lower: Hub) -> tuple[TestClient, Flaky, Forwarder, Platform]:
    """The upper hub's client, the flaky link, the lower hub's forwarder, a platform of the lower hub."""
    upper_client = client_for(upper, admin_token=TOKEN)
    flaky = Flaky(upper_client._transport)
    link = httpx.Client(transport=flaky, base_url="http://testserver")
    forwarder = Forwarder(lower, link, LOWER_ID, token=TOKEN, limit=7)
    return upper_client, flaky, forwarder, Platform(client_for(lower))


def publish(platform: Platform, numbers: range) -> None:
    for n in numbers:
        assert platform.post(release(n)).status_code == 201


def drain(forwarder: Forwarder) -> int:
    rounds = 0
    while forwarder.forward_once().handled:
        rounds += 1
    return rounds


def test_every_release_reaches_the_upper_hub_once_across_outages(wire: Any, lower: Hub) -> None:
    upper_client, flaky, forwarder, platform = wire
    publish(platform, range(0, 10))
    forwarder.forward_once()  # joins, forwards the registration, the first 7 releases
    assert read_position(lower) == 7
    publish(platform, range(10, 25))
    for mode in ("refuse", "503"):
        flaky.mode = mode
        with pytest.raises(Transient):
            forwarder.forward_once()
        assert read_position(lower) == 7  # no receipts: the cursor stays
    flaky.mode = "lose"  # the upper hub stores 7 more, the answer is lost
    with pytest.raises(Transient):
        forwarder.forward_once()
    assert read_position(lower) == 7
    flaky.mode = "up"
    again = forwarder.forward_once()
    assert (again.repeat, again.created) == (7, 0)  # the lost batch: the same receipts, nothing twice
    drain(forwarder)
    assert read_position(lower) == 25
    lower_feed = client_for(lower).get("/hub/feed", params={"limit": 100}).json()["items"]
    upper_feed = upper_client.get("/hub/feed", params={"limit": 100}).json()["items"]
    assert [i["release"]["id"] for i in upper_feed] == [i["release"]["id"] for i in lower_feed]  # each once, in order
    assert len({i["release"]["id"] for i in upper_feed}) == 25


def test_the_upper_hub_holds_the_platforms_original_signature(wire: Any, lower: Hub) -> None:
    upper_client, _flaky, forwarder, platform = wire
    publish(platform, range(0, 3))
    drain(forwarder)
    doc = upper_client.get(f"/hub/releases/{release(1)['id']}").json()
    assert doc["signature"] == client_for(lower).get(f"/hub/releases/{release(1)['id']}").json()["signature"]
    assert protocol.verify("intl", platform.pair.public_pem, doc["release"], doc["signature"])  # never re-signed
    assert doc["platform_id"] == PLATFORM
    record = upper_client.get(f"/hub/records/{release(0)['ocid']}").json()
    assert len(record["releases"]) == 3
    entries = [json.loads(e["entry"]) for e in upper_client.get("/hub/log/entries").json()["entries"]]  # the upper hub's log covers them
    assert [e["release_id"] for e in entries if e["kind"] == "release"] == [release(n)["id"] for n in range(3)]
    assert [e["kind"] for e in entries] == ["tree_head", "release", "release", "release"]  # the lower hub's tree head first


def test_a_batch_signed_release_reaches_the_upper_hub_with_its_proof(wire: Any, lower: Hub) -> None:
    """ADR 0013: the forwarder sends each release with its platform's batch head and audit
    path; the upper hub verifies it with the platform's key alone, and forwards it the same way."""
    upper_client, _flaky, forwarder, platform = wire
    docs = [release(n) for n in range(9)]
    answer = platform.client.post(protocol.BATCH_PATH, json=batchsig.sign_releases(PLATFORM, platform.pair, docs)).json()
    assert answer["created"] == 9
    drain(forwarder)
    upper_doc = upper_client.get(f"/hub/releases/{docs[5]['id']}").json()
    lower_doc = client_for(lower).get(f"/hub/releases/{docs[5]['id']}").json()
    assert upper_doc["batch"] == lower_doc["batch"] and "signature" not in upper_doc  # never re-signed
    assert batchsig.parse_proof(upper_doc["batch"], "/batch").proves(bytes.fromhex(protocol.digest(docs[5])))
    assert len(upper_client.get("/hub/feed", params={"limit": 100}).json()["items"]) == 9


def test_the_upper_hub_lists_forwarded_platforms_with_via(wire: Any) -> None:
    upper_client, _flaky, forwarder, _platform = wire
    forwarder.forward_once()
    listing = {p["id"]: p for p in upper_client.get("/hub/platforms").json()}
    assert listing[LOWER_ID]["kind"] == "hub" and listing[LOWER_ID]["via"] is None
    assert listing[PLATFORM]["kind"] == "platform" and listing[PLATFORM]["via"] == LOWER_ID
    assert listing[PLATFORM]["units"]["operation"] == "乙运营公司"  # the item-11 information travels too


def test_a_release_of_a_forwarded_platform_posted_past_its_hub_is_refused(wire: Any) -> None:
    """ADR 0029: a platform registered through a lower hub reaches the upper hub through that
    hub only, with proof of inclusion in its log; signed by the platform or not, a release
    posted straight to the upper hub is refused."""
    upper_client, _flaky, forwarder, platform = wire
    publish(platform, range(0, 1))
    drain(forwarder)
    body = envelope(PLATFORM, platform.pair, release(5))
    answer = upper_client.post(protocol.BATCH_PATH, json={"releases": [body]}).json()
    assert answer["refused"] == 1 and answer["results"][0]["error"]["code"] == "forwarded_only"
    assert upper_client.post("/hub/releases", json=body).json()["code"] == "forwarded_only"
    assert upper_client.get(f"/hub/releases/{release(5)['id']}").status_code == 404


def test_a_forwarded_registration_must_be_signed_by_a_registered_lower_hub(wire: Any, lower: Hub) -> None:
    upper_client, _flaky, forwarder, platform = wire
    forwarder.forward_once()  # joined: LOWER_ID is a member of kind hub
    row = _lower_row(lower)
    body = tree.forwarded_registration(lower, LOWER_ID, row)
    body["registration"] = {**body["registration"], "id": "TH110000099"}  # not what the lower hub signed
    refused = upper_client.post(tree.FORWARD_PATH, json=body)
    assert (refused.json()["code"], refused.json()["field"]) == ("bad_signature", "/signature")
    as_platform = tree.forwarded_registration(lower, PLATFORM, row)  # a platform is not a hub
    assert upper_client.post(tree.FORWARD_PATH, json=as_platform).json()["code"] == "not_a_hub"
    unknown = tree.forwarded_registration(lower, "hub-nowhere", row)
    assert upper_client.post(tree.FORWARD_PATH, json=unknown).status_code == 404
    assert upper_client.get("/hub/platforms/TH110000099").status_code == 404
    again = upper_client.post(tree.FORWARD_PATH, json=tree.forwarded_registration(lower, LOWER_ID, row))
    assert again.status_code == 200  # idempotent
    del platform


def test_joining_needs_the_upper_hubs_administrator_token(upper: Hub, lower: Hub) -> None:
    link = client_for(upper, admin_token=TOKEN)
    with pytest.raises(tree.UpstreamError):
        Forwarder(lower, link, LOWER_ID, token="wrong").forward_once()
    assert link.get(f"/hub/platforms/{LOWER_ID}").status_code == 404


def test_a_refused_release_stops_the_cursor_before_it(wire: Any, lower: Hub) -> None:
    upper_client, _flaky, forwarder, platform = wire
    other = keys.generate("intl")
    publish(platform, range(0, 2))
    forwarder.forward_once()
    upper_client.post("/hub/platforms", json=registration("TH110000002", other), headers={"Authorization": f"Bearer {TOKEN}"})
    taken = "ocds-thxxxx-T2025-0009"  # upstream, another platform published under this ocid first
    assert upper_client.post("/hub/releases", json=envelope("TH110000002", other, release(0, ocid=taken))).status_code == 201
    publish(platform, range(2, 3))
    assert platform.post(release(3, ocid=taken)).status_code == 201  # the lower hub knows no other owner
    publish(platform, range(4, 5))
    with pytest.raises(Refused):
        forwarder.forward_once()
    assert read_position(lower) == 3  # release 2 acknowledged, release 3 (its ocid another's upstream) not
    with pytest.raises(Refused):  # retried later: refused again, the cursor does not pass it
        forwarder.forward_once()
    assert read_position(lower) == 3
    ids = [i["release"]["id"] for i in upper_client.get("/hub/feed").json()["items"]]
    assert ids.count(release(4)["id"]) == 1  # judged on its own in the batch, stored once


def test_run_backs_off_while_the_upper_hub_is_down(wire: Any, lower: Hub) -> None:
    _upper_client, flaky, forwarder, platform = wire
    publish(platform, range(0, 9))
    flaky.mode = "refuse"
    stop, waits = threading.Event(), []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            flaky.mode = "up"
        if read_position(lower) == 9:
            stop.set()

    forwarder.run(stop, idle=5.0, sleep=sleep)
    assert waits[:3] == [0.5, 1.0, 2.0]  # relay.Backoff: doubling while down
    assert waits[-1] == 5.0 and read_position(lower) == 9


def test_the_forwarder_runs_in_the_hub_apps_lifespan(wire: Any, lower: Hub) -> None:
    upper_client, _flaky, forwarder, platform = wire
    publish(platform, range(0, 4))
    app = client_for(lower).app
    lifespan.tie(app, forwarder)
    done = threading.Event()
    with TestClient(app):
        for _ in range(600):
            if read_position(lower) == 4:
                done.set()
                break
            done.wait(0.05)
    assert done.is_set()
    assert forwarder._thread is not None and not forwarder._thread.is_alive()  # stopped with the app
    assert len(upper_client.get("/hub/feed").json()["items"]) == 4


def _lower_row(lower: Hub) -> Any:
    with lower.engine.connect() as conn:
        return conn.execute(sa.select(tables.platforms).where(tables.platforms.c.id == PLATFORM)).one()


def test_serve_options_build_the_forwarder(lower: Hub, tmp_path: Path) -> None:
    import argparse

    from tenderhub.commands import serve
    from tenderhub.hub.serve import upstream

    token_file = tmp_path / "upper.token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    args = argparse.Namespace(upstream="http://upper.example", upstream_token_file=str(token_file), hub_id=None)
    forwarder = upstream(lower, args)
    assert forwarder is not None and forwarder.token == TOKEN and str(forwarder.client.base_url) == "http://upper.example"
    assert forwarder.hub_id == tree.default_hub_id(lower) and forwarder.hub_id.startswith("hub-")
    forwarder.client.close()
    assert upstream(lower, argparse.Namespace(upstream=None)) is None
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    wrong = parser.parse_args(["serve", "--role", "trading", "--upstream", "http://upper.example"])
    assert serve.run(wrong) == 2  # --upstream is for --role hub


def test_a_hub_member_publishes_no_releases_of_its_own(wire: Any, lower: Hub) -> None:
    upper_client, _flaky, forwarder, _platform = wire
    forwarder.forward_once()  # LOWER_ID joined as kind hub, its key registered
    body = envelope(LOWER_ID, lower.signing_pair(), release(0))
    single = upper_client.post("/hub/releases", json=body)
    assert (single.status_code, single.json()["field"]) == (404, "/platform_id")
    batch = upper_client.post(protocol.BATCH_PATH, json={"releases": [body]}).json()
    assert batch["results"][0]["error"]["field"] == "/releases/0/platform_id"

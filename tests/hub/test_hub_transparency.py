"""The transparency log in the hub: every release logged once with its ingest, platforms' signed
audit chain heads logged with a signed receipt, proofs served over HTTP, and ``tenderhub audit
verify --hub`` catching a platform that rewrote its history after a head was logged."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient
from hub_support import PLATFORM, T0, Platform, make_hub, registration, release

from db_support import fresh_database
from tenderhub import cli
from tenderhub.bootstrap import Platform as Trading
from tenderhub.bootstrap import build
from tenderhub.core.shared.clock import BEIJING, FixedClock
from tenderhub.core.shared.ids import uscc_check_char
from tenderhub.core.shared.roles import PUBLIC, Actor
from tenderhub.crypto import keys
from tenderhub.crypto.keys import KeyPair
from tenderhub.crypto.platform_keys import PlatformKeys
from tenderhub.db import tables
from tenderhub.db.repositories.audit import row_hash
from tenderhub.hub import protocol, transparency
from tenderhub.hub.app import create_hub_app
from tenderhub.hub.context import Hub
from tenderhub.hub.tlog import (
    SignedTreeHead,
    entry_for_chain_head,
    entry_for_release,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
    verify_sth,
)
from tenderhub.services import subjects, tenders
from tenderhub.settings import Settings

Capsys = pytest.CaptureFixture[str]
AT = datetime(2026, 11, 30, 9, 0, tzinfo=BEIJING)


def hub_pem(client: TestClient) -> bytes:
    pem: str = client.get("/hub/key").json()["public_pem"]
    return pem.encode()


def sth_of(client: TestClient) -> SignedTreeHead:
    return SignedTreeHead.from_dict(client.get("/hub/log/sth").json())


def post_head(client: TestClient, platform: Platform, seq: int, hash_hex: str) -> Any:
    return client.post("/hub/chain-heads", json=transparency.head_body(platform.platform_id, platform.pair, seq, hash_hex))


# ---- releases ------------------------------------------------------------------------------


def test_every_ingested_release_is_logged_once_and_its_receipt_names_the_leaf(client: TestClient) -> None:
    platform = Platform(client)
    first, second = platform.post(release(0)).json(), platform.post(release(1)).json()
    assert platform.post(release(0)).json() == first  # an idempotent repeat appends nothing
    assert (first["receipt"]["leaf_index"], second["receipt"]["leaf_index"]) == (0, 1)
    page = client.get("/hub/log/entries", params={"start": 0}).json()
    assert page["size"] == 2 and page["next"] is None
    expected = entry_for_release(release(0)["ocid"], release(0)["id"], protocol.digest(release(0)), PLATFORM, T0)
    assert page["entries"][0] == {"index": 0, "entry": expected.decode("utf-8")}


def test_a_refused_release_is_not_logged(client: TestClient) -> None:
    platform = Platform(client)
    forged = protocol.envelope(PLATFORM, keys.generate("intl"), release(0))
    assert client.post("/hub/releases", json=forged).status_code in (401, 403)
    assert client.post("/hub/releases", json={**forged, "release": {"id": "x"}}).status_code in (401, 403, 422)
    assert platform.post(release(0)).json()["receipt"]["leaf_index"] == 0
    assert sth_of(client).size == 1


# ---- chain heads ---------------------------------------------------------------------------


def test_a_signed_chain_head_gets_a_receipt_with_its_leaf_and_the_signed_head_after_it(client: TestClient) -> None:
    platform = Platform(client)
    platform.post(release(0))
    answer = post_head(client, platform, 7, "ab" * 32)
    assert answer.status_code == 201, answer.text
    receipt, pem = answer.json(), hub_pem(client)
    assert protocol.verify("intl", pem, receipt["receipt"], receipt["signature"])
    body = receipt["receipt"]
    sth = SignedTreeHead.from_dict(body["sth"])
    assert (body["leaf_index"], body["seq"], body["hash"], sth.size) == (1, 7, "ab" * 32, 2) and verify_sth(sth, pem)
    leaf = leaf_hash(entry_for_chain_head(PLATFORM, 7, "ab" * 32, T0))
    assert verify_inclusion(leaf, 1, sth.size, [bytes.fromhex(h) for h in body["audit_path"]], sth.root)


def test_the_same_head_again_is_not_logged_again_and_another_hash_at_its_seq_is_refused(client: TestClient) -> None:
    platform = Platform(client)
    assert post_head(client, platform, 3, "ab" * 32).status_code == 201
    again = post_head(client, platform, 3, "ab" * 32)
    assert again.status_code == 200 and again.json()["receipt"]["leaf_index"] == 0
    rewritten = post_head(client, platform, 3, "cd" * 32)
    assert rewritten.status_code == 409 and rewritten.json()["code"] == "chain_head_conflict"
    assert sth_of(client).size == 1


def test_a_head_with_a_bad_signature_an_unknown_platform_or_a_bad_field_is_refused(client: TestClient) -> None:
    platform = Platform(client)
    forged = transparency.head_body(PLATFORM, keys.generate("intl"), 3, "ab" * 32)
    assert client.post("/hub/chain-heads", json=forged).status_code in (401, 403)
    unknown = transparency.head_body("TH-unknown", platform.pair, 3, "ab" * 32)
    assert client.post("/hub/chain-heads", json=unknown).status_code == 404
    bad = client.post("/hub/chain-heads", json=transparency.head_body(PLATFORM, platform.pair, 0, "ab" * 32))
    assert bad.status_code == 422 and bad.json()["field"] == "seq"
    assert client.post("/hub/chain-heads", json={"platform_id": PLATFORM}).status_code == 422
    assert sth_of(client).size == 0


def test_a_platforms_heads_are_listed_from_the_index_in_log_order(client: TestClient) -> None:
    a, b = Platform(client), Platform(client, "TH110000002")
    for n in range(3):
        post_head(client, a, 10 + n, f"{n:02d}" * 32)
        post_head(client, b, 20 + n, "ef" * 32)
        a.post(release(n))
    heads = client.get(f"/hub/platforms/{PLATFORM}/chain-heads").json()["heads"]
    assert [(h["seq"], h["leaf_index"]) for h in heads] == [(10, 0), (11, 3), (12, 6)]
    assert heads[1]["entry"] == entry_for_chain_head(PLATFORM, 11, "01" * 32, T0).decode("utf-8")
    paged = client.get(f"/hub/platforms/{PLATFORM}/chain-heads", params={"after": 0, "limit": 1}).json()
    assert [h["seq"] for h in paged["heads"]] == [11] and paged["next"] == 3
    assert client.get("/hub/platforms/TH-unknown/chain-heads").status_code == 404


# ---- proofs --------------------------------------------------------------------------------


def test_the_hubs_proofs_verify_against_its_signed_tree_heads(client: TestClient) -> None:
    platform, pem = Platform(client), hub_pem(client)
    for n in range(5):
        platform.post(release(n))
    old = sth_of(client)
    for n in range(5, 12):
        if n % 2:
            platform.post(release(n))
        else:
            post_head(client, platform, n, "ab" * 32)
    new = sth_of(client)
    assert (old.size, new.size) == (5, 12) and verify_sth(old, pem) and verify_sth(new, pem)
    proof = client.get("/hub/log/consistency", params={"first": old.size, "second": new.size}).json()["consistency"]
    assert verify_consistency(old.size, new.size, old.root, new.root, [bytes.fromhex(h) for h in proof])
    for item in client.get("/hub/log/entries", params={"start": 0, "end": new.size}).json()["entries"]:
        path = client.get("/hub/log/inclusion", params={"index": item["index"], "size": new.size}).json()["audit_path"]
        assert verify_inclusion(leaf_hash(item["entry"].encode()), item["index"], new.size, [bytes.fromhex(h) for h in path], new.root)


def test_requests_outside_the_tree_are_invalid_naming_the_field(client: TestClient) -> None:
    Platform(client).post(release(0))
    for path, params, field in (("/hub/log/inclusion", {"index": 1, "size": 1}, "index"),
                                ("/hub/log/inclusion", {"index": 0, "size": 5}, "size"),
                                ("/hub/log/consistency", {"first": 2, "second": 1}, "old_size"),
                                ("/hub/log/entries", {"start": 9}, "start")):
        answer = client.get(path, params=params)
        assert answer.status_code == 422 and answer.json()["field"] == field, (path, answer.text)


# ---- the platform side and ``audit verify --hub`` ------------------------------------------


@dataclass
class Anchored:
    trading: Trading
    data_dir: Path
    url: str
    hub_url: str
    anchors: list[int]

    def verify(self, capsys: Capsys, *extra: str) -> tuple[int, dict[str, Any]]:
        code = cli.main(["audit", "verify", "--data-dir", str(self.data_dir), "--db", self.url, "--json", *extra])
        return code, json.loads(capsys.readouterr().out)

    def hub_args(self) -> list[str]:
        return ["--hub", self.hub_url, "--platform-id", PLATFORM]


class Served:
    """The hub app on a real socket (uvicorn in a thread): the CLI takes a URL."""

    def __init__(self, hub: Hub) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.server = uvicorn.Server(uvicorn.Config(create_hub_app(hub), log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def a_tenderer(trading: Trading) -> Actor:
    body = "91110105MA0000001"
    made = subjects.register_subject(trading.services, PUBLIC, {
        "uscc": body + uscc_check_char(body), "name": "招标人 有限公司", "kind": "tenderer", "user_id": "tenderer"})
    return subjects.actor_for_token(trading.services, made["token"])


def work(trading: Trading, tenderer: Actor, n: int) -> None:
    body = {"regime": "works", "title": "测试道路工程", "lots": [
        {"title": "标段1", "category": "works", "estimated_price": 10000000, "deadline": "2026-12-21T09:30"}]}
    for _ in range(n):
        tenders.create_tender(trading.services, tenderer, body)


def log_heads(trading: Trading, tenderer: Actor, hub_url: str, pair: KeyPair) -> list[int]:
    """The platform works and posts its head to the hub every so often (the relay's job)."""
    seqs = []
    with httpx.Client(base_url=hub_url) as http:
        assert http.post("/hub/platforms", json=registration(PLATFORM, pair)).status_code == 201
        for _ in range(3):
            work(trading, tenderer, 2)
            receipt = transparency.post_chain_head(lambda: trading.services.uow(None), http, PLATFORM, pair)
            assert receipt is not None
            seqs.append(receipt["receipt"]["seq"])
    work(trading, tenderer, 1)  # written after the last logged head
    return seqs


@pytest.fixture
def anchored(database_url: str, tmp_path: Path) -> Iterator[Anchored]:
    data_dir = tmp_path / "platform"
    trading = build(Settings.load(data_dir=data_dir, db_url=database_url), clock=FixedClock(AT))
    (tmp_path / "hubdb").mkdir()
    hub_db = fresh_database(tmp_path / "hubdb")  # the hub's own database, of the same kind
    hub = make_hub(tmp_path, next(hub_db))
    served = Served(hub)
    try:
        pair = PlatformKeys(data_dir / "keys").pair("signing", "intl")
        anchors = log_heads(trading, a_tenderer(trading), served.url, pair)
        yield Anchored(trading, data_dir, database_url, served.url, anchors)
    finally:
        served.stop()
        hub.close()
        trading.engine.dispose()
        next(hub_db, None)


def rewrite_from(trading: Trading, seq: int) -> None:
    """The dishonest operator: edit row ``seq`` with SQL, then recompute every hash after it."""
    t = tables.audit_events
    with trading.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET reason = 'edited by the operator' WHERE seq = :seq"), {"seq": seq})
        rows = [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.seq))]
        prev = rows[0]["prev_hash"]
        for row in rows:
            prev_hash, prev = prev, row_hash(row, prev)
            conn.execute(sa.update(t).where(t.c.seq == row["seq"]).values(prev_hash=prev_hash, hash=prev))


def test_an_untouched_platform_is_consistent_with_the_heads_it_logged(anchored: Anchored, capsys: Capsys) -> None:
    code, facts = anchored.verify(capsys, *anchored.hub_args())
    assert code == 0 and facts["ok"] and facts["hub"]["problems"] == []
    assert facts["hub"]["sth"]["size"] == 3 and facts["head"]["seq"] > anchored.anchors[-1]


def test_a_rewritten_old_row_passes_the_chain_but_fails_against_the_hub(anchored: Anchored, capsys: Capsys) -> None:
    _first, second, third = anchored.anchors
    rewrite_from(anchored.trading, second - 1)
    assert anchored.verify(capsys)[0] == 0  # the chain alone still verifies
    code, facts = anchored.verify(capsys, *anchored.hub_args())
    problems = facts["hub"]["problems"]
    assert code == 1 and not facts["ok"] and len(problems) == 2
    assert problems[0].startswith(f"seq {second}: logged at index 1") and "history rewritten" in problems[0]
    assert problems[1].startswith(f"seq {third}: logged at index 2")
    assert cli.main(["audit", "verify", "--data-dir", str(anchored.data_dir), "--db", anchored.url, *anchored.hub_args()]) == 1
    assert f"seq {second}: logged at index 1" in capsys.readouterr().out


def test_a_rewrite_after_the_last_logged_head_is_not_seen(anchored: Anchored, capsys: Capsys) -> None:
    rewrite_from(anchored.trading, anchored.anchors[-1] + 1)
    assert anchored.verify(capsys, *anchored.hub_args())[0] == 0


def test_an_unreachable_hub_or_a_missing_platform_id_exits_2(anchored: Anchored, capsys: Capsys) -> None:
    base = ["audit", "verify", "--data-dir", str(anchored.data_dir), "--db", anchored.url]
    assert cli.main([*base, "--hub", "http://127.0.0.1:9", "--platform-id", PLATFORM]) == 2
    assert cli.main([*base, "--hub", anchored.hub_url]) == 2
    capsys.readouterr()

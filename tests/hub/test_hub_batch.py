"""Batch ingest (``POST /hub/releases:batch``, ``batch.ingest_many``) on SQLite and PostgreSQL:
one outcome per item, refused items store nothing, stored ones share one transaction."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hub_support import PLATFORM, T0, Platform, release

from tenderhub.core.shared.errors import Invalid
from tenderhub.crypto import keys
from tenderhub.hub import protocol, tables
from tenderhub.hub.batch import MAX_BATCH, ingest_many
from tenderhub.hub.context import Hub
from tenderhub.hub.ingest import ingest
from tenderhub.hub.tlog import entry_for_release, leaf_hash, verify_inclusion
from tenderhub.hub.tlog.sth import SignedTreeHead, verify_sth


def post_batch(client: TestClient, bodies: list[Any]) -> Any:
    return client.post("/hub/releases:batch", json={"releases": bodies})


def feed_ids(client: TestClient) -> list[str]:
    return [i["release"]["id"] for i in client.get("/hub/feed", params={"limit": 1000}).json()["items"]]


def test_a_valid_batch_stores_every_release_with_a_signed_receipt_in_feed_order(client: TestClient) -> None:
    platform = Platform(client)
    docs = [release(n) for n in range(40)]
    answer = post_batch(client, [protocol.envelope(PLATFORM, platform.pair, d) for d in docs])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["created"], body["repeat"], body["refused"]) == (40, 0, 0)
    key = client.get("/hub/key").json()["public_pem"].encode()
    for n, result in enumerate(body["results"]):
        receipt = result["receipt"]
        assert (result["index"], result["status"], result["release_id"]) == (n, "created", docs[n]["id"])
        assert receipt["receipt"]["position"] == n + 1 and receipt["receipt"]["leaf_index"] == n
        assert receipt["receipt"]["digest"] == "sha256:" + protocol.digest(docs[n])
        assert protocol.verify("intl", key, receipt["receipt"], receipt["signature"])
    assert feed_ids(client) == [d["id"] for d in docs]
    assert client.get(f"/hub/releases/{docs[7]['id']}").json()["receipt"] == body["results"][7]["receipt"]
    assert platform.post(docs[7]).json() == body["results"][7]["receipt"]  # the single route agrees


def test_every_release_of_a_batch_is_in_the_log_and_proven_in_the_signed_tree_head(client: TestClient) -> None:
    platform = Platform(client)
    platform.post(release(100))  # a leaf before the batch
    results = post_batch(client, [protocol.envelope(PLATFORM, platform.pair, release(n)) for n in range(37)]).json()["results"]
    sth = SignedTreeHead.from_dict(client.get("/hub/log/sth").json())
    assert sth.size == 38 and verify_sth(sth, client.get("/hub/key").json()["public_pem"].encode())
    for n, result in enumerate(results):
        index = result["receipt"]["receipt"]["leaf_index"]
        entry = entry_for_release(release(n)["ocid"], release(n)["id"], protocol.digest(release(n)), PLATFORM, T0)
        path = client.get("/hub/log/inclusion", params={"index": index, "size": sth.size}).json()["audit_path"]
        assert verify_inclusion(leaf_hash(entry), index, sth.size, [bytes.fromhex(h) for h in path], sth.root)


def test_a_mixed_batch_refuses_the_bad_items_with_their_path_and_stores_the_others(client: TestClient) -> None:
    platform = Platform(client)
    platform.post(release(90))
    forged = protocol.envelope(PLATFORM, keys.generate("intl"), release(1))
    invalid = release(2) | {"tag": ["notATag"]}
    reused = release(90) | {"tender": {"id": "T", "title": "另一个标题"}}
    bodies = [protocol.envelope(PLATFORM, platform.pair, release(0)), forged, protocol.envelope(PLATFORM, platform.pair, invalid),
              protocol.envelope("UNKNOWN", platform.pair, release(3)), "not an object", {"platform_id": PLATFORM, "release": release(4)},
              protocol.envelope(PLATFORM, platform.pair, release(90)), protocol.envelope(PLATFORM, platform.pair, reused),
              protocol.envelope(PLATFORM, platform.pair, release(5)), protocol.envelope(PLATFORM, platform.pair, release(5)),
              protocol.envelope(PLATFORM, platform.pair, release(5) | {"language": "en"})]
    answer = post_batch(client, bodies)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["created", "refused", "refused", "refused", "refused", "refused",
                                              "repeat", "refused", "created", "repeat", "refused"]
    fields = {r["index"]: (r["error"]["code"], r["error"]["field"]) for r in results if r["status"] == "refused"}
    assert fields == {1: ("bad_signature", "/releases/1/signature"), 2: ("invalid_release", "/releases/2/release/tag/0"),
                      3: ("not_found", "/releases/3/platform_id"), 4: ("invalid", "/releases/4"),
                      5: ("invalid", "/releases/5/signature"), 7: ("release_id_reused", "/releases/7/release/id"),
                      10: ("release_id_reused", "/releases/10/release/id")}
    assert {"path": "/releases/2/release/tag/0", "message": results[2]["error"]["problems"][0]["message"]} in results[2]["error"]["problems"]
    assert results[1]["error"]["message"]["zh"] and results[1]["error"]["message"]["en"]
    assert results[9]["receipt"] == results[8]["receipt"] and results[6]["receipt"] == platform.post(release(90)).json()
    assert feed_ids(client) == [release(n)["id"] for n in (90, 0, 5)]
    assert client.get("/hub/log/sth").json()["size"] == 3
    assert client.get(f"/hub/releases/{release(1)['id']}").status_code == 404


def test_the_same_batch_again_is_all_repeats_with_the_same_receipts_and_logs_nothing(client: TestClient) -> None:
    platform = Platform(client)
    bodies = [protocol.envelope(PLATFORM, platform.pair, release(n)) for n in range(20)]
    first = post_batch(client, bodies).json()
    again = post_batch(client, bodies).json()
    assert (again["created"], again["repeat"]) == (0, 20)
    assert [r["receipt"] for r in again["results"]] == [r["receipt"] for r in first["results"]]
    assert client.get("/hub/log/sth").json()["size"] == 20 and len(feed_ids(client)) == 20


@pytest.mark.parametrize("body", [{"releases": []}, {"releases": "x"}, {"other": 1}, [1], {"releases": [{}] * (MAX_BATCH + 1)}])
def test_a_malformed_batch_is_refused_whole_naming_releases(client: TestClient, body: Any) -> None:
    answer = client.post("/hub/releases:batch", json=body)
    assert answer.status_code == 422 and answer.json()["field"] in ("/releases", "/")


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    for raw in (b"{", b'{"releases": [NaN]}'):
        answer = client.post("/hub/releases:batch", content=raw, headers={"content-type": "application/json"})
        assert answer.status_code == 422 and answer.json()["field"] == "/"


def test_a_failure_inside_the_transaction_stores_nothing_of_the_batch_and_a_resend_succeeds(hub: Hub, client: TestClient) -> None:
    platform = Platform(client)
    bodies = [protocol.envelope(PLATFORM, platform.pair, release(n)) for n in range(30)]

    def fail_late(stage: str, doc: dict[str, Any]) -> None:
        if stage == "written" and doc["id"] == release(29)["id"]:
            raise RuntimeError("the database went away")

    hub.pause = fail_late
    with pytest.raises(RuntimeError):
        ingest_many(hub, bodies)
    assert feed_ids(client) == [] and client.get("/hub/log/sth").json()["size"] == 0
    hub.pause = None
    assert [r["status"] for r in ingest_many(hub, bodies)] == ["created"] * 30
    assert feed_ids(client) == [release(n)["id"] for n in range(30)]


def test_a_release_holding_nan_is_refused_in_a_batch_and_alone(hub: Hub, client: TestClient) -> None:
    platform = Platform(client)
    good = protocol.envelope(PLATFORM, platform.pair, release(1))
    nan = {"platform_id": PLATFORM, "release": release(0) | {"tender": {"id": "T", "value": {"amount": float("nan")}}}, "signature": "AAAA"}
    results = ingest_many(hub, [nan, good])
    assert [r["status"] for r in results] == ["refused", "created"]
    assert results[0]["error"]["field"] == "/releases/0/release"
    with pytest.raises(Invalid):
        ingest(hub, nan)


def test_text_beyond_ascii_is_stored_and_read_back_byte_for_byte(hub: Hub, client: TestClient) -> None:
    """PostgreSQL receives the canonical JSON and the receipt as their UTF-8 bytes (ADR 0033):
    CJK, a 4-byte emoji, escapes and U+2028 come back exactly, in the row, the feed and by id."""
    platform = Platform(client)
    docs = [release(n, title="道路改造 😀 \"引号\" \\ \u2028 é") for n in range(3)]
    results = post_batch(client, [protocol.envelope(PLATFORM, platform.pair, d) for d in docs]).json()["results"]
    assert [r["status"] for r in results] == ["created"] * 3
    with hub.engine.connect() as conn:
        stored = dict(conn.execute(sa.select(tables.releases.c.id, tables.releases.c.canonical)).all())
        receipts = dict(conn.execute(sa.select(tables.releases.c.id, tables.releases.c.receipt)).all())
    for doc, result in zip(docs, results, strict=True):
        assert stored[doc["id"]].encode("utf-8") == protocol.canonical(doc)
        assert receipts[doc["id"]].encode("utf-8") == protocol.canonical(result["receipt"]["receipt"])
        assert client.get(f"/hub/releases/{doc['id']}").json()["release"] == doc
    assert [i["release"] for i in client.get("/hub/feed").json()["items"]] == docs

"""Batch signatures both ways (ADR 0013): a platform signs a batch of releases once, the hub
answers with one signature over its receipts, and every release and receipt still verifies
on its own (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hub_support import PLATFORM, Platform, release

from tenderhub.crypto import keys
from tenderhub.hub import batchsig, protocol, tables
from tenderhub.hub.batch import ingest_many
from tenderhub.hub.context import Hub
from tenderhub.hub.tlog import MemoryLeafStore, MerkleLog

pytestmark = pytest.mark.db


def signed(platform: Platform, docs: list[dict[str, Any]]) -> dict[str, Any]:
    return batchsig.sign_releases(PLATFORM, platform.pair, docs)


def post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/hub/releases:batch", json=body)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def hub_pem(client: TestClient) -> bytes:
    return str(client.get("/hub/key").json()["public_pem"]).encode()


@pytest.mark.parametrize("size", [*range(1, 40), 100, 1000])
def test_the_batch_tree_is_the_transparency_logs_tree(size: int) -> None:
    digests = [hashlib.sha256(str(i).encode()).digest() for i in range(size)]
    log = MerkleLog(MemoryLeafStore())
    for d in digests:
        log.append(d)
    root, paths = batchsig.merkle(digests)
    assert root == log.root()
    assert paths == [log.inclusion_proof(i) for i in range(size)]


def test_a_batch_signed_request_is_stored_and_answered_with_one_receipt_signature(client: TestClient, hub: Hub) -> None:
    platform = Platform(client)
    docs = [release(n) for n in range(40)]
    answer = post(client, signed(platform, docs))
    assert answer["created"] == 40
    receipts = [r["receipt"] for r in answer["results"]]
    assert all("signature" not in r and r["batch"]["size"] == 40 for r in receipts)
    assert len({r["batch"]["signature"] for r in receipts}) == 1
    assert all(batchsig.verify_receipt(hub_pem(client), r) for r in receipts)
    with hub.engine.connect() as conn:
        assert len(conn.execute(tables.receipt_batches.select()).all()) == 1
        assert len(conn.execute(tables.platform_batches.select()).all()) == 1


def test_a_tampered_batch_receipt_does_not_verify(client: TestClient) -> None:
    platform = Platform(client)
    receipt = post(client, signed(platform, [release(n) for n in range(5)]))["results"][2]["receipt"]
    pem = hub_pem(client)
    assert batchsig.verify_receipt(pem, receipt)
    assert not batchsig.verify_receipt(pem, {**receipt, "receipt": {**receipt["receipt"], "position": 99}})
    assert not batchsig.verify_receipt(pem, {**receipt, "batch": {**receipt["batch"], "index": 3}})
    assert not batchsig.verify_receipt(keys.generate("intl").public_pem, receipt)


def test_a_stored_batch_signed_release_verifies_alone_with_its_path(client: TestClient) -> None:
    platform = Platform(client)
    docs = [release(n) for n in range(7)]
    post(client, signed(platform, docs))
    found = client.get(f"/hub/releases/{docs[4]['id']}").json()
    assert "signature" not in found and found["batch"]["index"] == 4
    proof = batchsig.parse_proof(found["batch"], "/batch")
    assert proof.proves(hashlib.sha256(protocol.canonical(found["release"])).digest())
    head = batchsig.platform_head(PLATFORM, proof.size, proof.root)
    assert protocol.verify("intl", platform.pair.public_pem, head, proof.signature)
    assert batchsig.verify_receipt(hub_pem(client), found["receipt"])


@pytest.mark.parametrize("change", ["root", "signature", "size", "other_release"])
def test_a_batch_whose_signature_does_not_cover_its_releases_is_refused_whole(client: TestClient, change: str) -> None:
    platform = Platform(client)
    docs = [release(n) for n in range(4)]
    body = signed(platform, docs)
    if change == "root":
        body["batch"]["root"] = "0" * 64
    elif change == "signature":
        body["batch"]["signature"] = batchsig.sign_releases(PLATFORM, keys.generate("intl"), docs)["batch"]["signature"]
    elif change == "size":
        body["batch"]["size"] = 5
    else:
        body["releases"][1]["release"] = release(1, title="改过的")
    answer = post(client, body)
    assert answer["refused"] == 4
    assert {r["error"]["field"] for r in answer["results"]} <= {"/batch/signature", "/batch/size"}
    assert client.get("/hub/feed").json()["items"] == []


def test_an_invalid_release_in_a_signed_batch_is_refused_alone(client: TestClient) -> None:
    platform = Platform(client)
    docs = [release(n) for n in range(3)]
    docs[1] = {**docs[1], "date": "not a date"}
    answer = post(client, signed(platform, docs))
    assert [r["status"] for r in answer["results"]] == ["created", "refused", "created"]
    assert answer["results"][1]["error"]["field"].startswith("/releases/1/release")
    assert all(batchsig.verify_receipt(hub_pem(client), r["receipt"]) for r in answer["results"] if r["status"] == "created")


def test_an_item_of_a_signed_batch_may_not_carry_its_own_signature(client: TestClient) -> None:
    platform = Platform(client)
    body = signed(platform, [release(0)])
    body["releases"][0]["signature"] = protocol.sign(platform.pair, release(0))
    result = post(client, body)["results"][0]
    assert result["status"] == "refused" and result["error"]["field"] == "/releases/0/signature"


def test_a_repeated_signed_batch_gets_the_stored_receipts_back(client: TestClient) -> None:
    platform = Platform(client)
    body = signed(platform, [release(n) for n in range(6)])
    first, again = post(client, body), post(client, body)
    assert again["repeat"] == 6
    assert [r["receipt"] for r in again["results"]] == [r["receipt"] for r in first["results"]]


def test_old_clients_keep_one_signature_per_release_and_per_receipt(client: TestClient) -> None:
    platform = Platform(client)
    body = {"releases": [protocol.envelope(PLATFORM, platform.pair, release(n)) for n in range(3)]}
    receipts = [r["receipt"] for r in post(client, body)["results"]]
    assert all("signature" in r and "batch" not in r for r in receipts)
    assert all(protocol.verify("intl", hub_pem(client), r["receipt"], r["signature"]) for r in receipts)


def test_releases_signed_one_by_one_may_ask_for_a_batch_receipt(client: TestClient) -> None:
    platform = Platform(client)
    body = {"releases": [protocol.envelope(PLATFORM, platform.pair, release(n)) for n in range(3)], "receipts": "batch"}
    receipts = [r["receipt"] for r in post(client, body)["results"]]
    assert all("batch" in r and batchsig.verify_receipt(hub_pem(client), r) for r in receipts)
    assert client.post("/hub/releases:batch", json={**body, "receipts": "some"}).json()["field"] == "/receipts"


def test_a_release_carrying_its_own_batch_proof_is_accepted_alone_and_a_changed_one_is_not(client: TestClient) -> None:
    platform = Platform(client)
    docs = [release(n) for n in range(5)]
    post(client, signed(platform, docs))
    forwarded = {k: v for k, v in client.get(f"/hub/releases/{docs[3]['id']}").json().items() if k in ("platform_id", "release", "batch")}
    assert client.post("/hub/releases", json={**forwarded, "release": release(3, title="改过的")}).json()["code"] == "bad_signature"
    assert client.post("/hub/releases", json=forwarded).status_code == 200  # the same release again: its receipt
    moved = {**forwarded, "batch": {**forwarded["batch"], "index": 2}}
    assert client.post("/hub/releases", json=moved).json()["code"] == "bad_signature"


def test_ingest_many_takes_a_signed_batch_in_process(hub: Hub, client: TestClient) -> None:
    platform = Platform(client)
    body = signed(platform, [release(n) for n in range(20)])
    results = ingest_many(hub, body["releases"], signed_batch=body["batch"])
    assert [r["status"] for r in results] == ["created"] * 20


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 33])
def test_the_root_alone_and_the_paths_from_stored_leaves_are_the_batch_trees(size: int) -> None:
    """ADR 0021: the hub computes only the root at ingest and the paths on read from the
    stored leaves; both must be the tree ``merkle`` builds."""
    digests = [hashlib.sha256(bytes([n])).digest() for n in range(size)]
    root, paths = batchsig.merkle(digests)
    assert batchsig.root_of(digests) == root
    assert [list(p) for p in batchsig.paths_of(b"".join(digests))] == paths
    proof = batchsig.Proof(size, size - 1, root.hex(), (), "sig", b"".join(digests))
    assert proof.proves(digests[-1]) and not proof.proves(digests[0] if size > 1 else b"\x00" * 32)


def test_a_batch_first_seen_through_one_forwarded_release_gets_its_leaves_when_it_arrives_whole(client: TestClient, hub: Hub) -> None:
    """ADR 0021: the forwarded release keeps its own path (the hub did not know the batch's
    other leaves); the whole batch then stores its leaves, its other rows no path; every
    release read back carries a path that proves it."""
    platform = Platform(client)
    docs = [release(n) for n in range(6)]
    body = signed(platform, docs)
    root, paths = batchsig.merkle([hashlib.sha256(protocol.canonical(d)).digest() for d in docs])
    proof = {"size": 6, "index": 1, "root": root.hex(), "path": [h.hex() for h in paths[1]], "signature": body["batch"]["signature"]}
    assert client.post("/hub/releases", json={"platform_id": PLATFORM, "release": docs[1], "batch": proof}).status_code == 201
    with hub.engine.connect() as conn:
        assert conn.execute(sa.select(tables.platform_batches.c.leaves)).scalar_one() is None
    answer = post(client, body)
    assert [r["status"] for r in answer["results"]] == ["created", "repeat", "created", "created", "created", "created"]
    r = tables.releases
    with hub.engine.connect() as conn:
        assert conn.execute(sa.select(tables.platform_batches.c.leaves)).scalar_one() is not None
        with_path = conn.execute(sa.select(r.c.id).where(r.c.batch_path.is_not(None))).scalars().all()
    assert with_path == [docs[1]["id"]]
    for n, doc in enumerate(docs):
        found = client.get(f"/hub/releases/{doc['id']}").json()
        assert found["batch"]["path"] == [h.hex() for h in paths[n]]
        assert batchsig.verify_receipt(hub_pem(client), found["receipt"])

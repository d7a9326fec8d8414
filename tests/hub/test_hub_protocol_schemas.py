"""The exchange protocol's message schemas (hub/schemas, ``hub/messages.py``): each is a valid
draft 7 schema, real messages (the relay's envelopes of a scenario run, the hub app's receipts,
batch answers, chain-head receipts, tree heads, proofs, feed pages, the registrations the tests
use) validate with no error, wrong ones fail, and the hub's OpenAPI document carries them."""

from __future__ import annotations

import json
import uuid
from contextlib import closing
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import jsonschema_rs
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hub_support import PLATFORM, Platform, make_hub, registration, release

from tenderhub.bootstrap import build
from tenderhub.crypto import keys
from tenderhub.exchange.ocds.validate import resources
from tenderhub.hub import messages, protocol, registry, tables, transparency, tree
from tenderhub.hub.context import Hub
from tenderhub.hub.relay import Relay
from tenderhub.scenarios.runner import run_file
from tenderhub.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def validator(name: str) -> Any:
    """A draft 7 validator of ``name`` that resolves the other message schemas and the OCDS
    release schema (patched, as the hub validates it) locally; formats checked."""
    shipped = [(s["$id"], s) for s in messages.schemas().values()]
    registry = jsonschema_rs.Registry(shipped + resources())
    return jsonschema_rs.Draft7Validator(messages.schema(name), registry=registry, validate_formats=True)


def errors(name: str, doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator(name).iter_errors(doc)]


def assert_valid(name: str, doc: Any) -> None:
    assert errors(name, doc) == [], (name, errors(name, doc)[:5])


class Recorder(httpx.BaseTransport):
    """Hands each request to the hub app and keeps (path, request body, status, answer)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.exchanges = inner, []  # type: tuple[httpx.BaseTransport, list[tuple[str, Any, int, Any]]]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.inner.handle_request(request)
        answer.read()
        self.exchanges.append((request.url.path, json.loads(request.content), answer.status_code, json.loads(answer.content)))
        return answer


# ---- the schemas themselves ------------------------------------------------------------------


def test_every_shipped_schema_is_a_valid_draft_7_schema_listed_and_served(client: TestClient) -> None:
    shipped = sorted(p.name.removesuffix(".json") for p in files("tenderhub.hub").joinpath("schemas").iterdir() if p.name.endswith(".json"))
    assert shipped == sorted(messages.NAMES)
    listed = client.get("/hub/schemas").json()["schemas"]
    assert [s["name"] for s in listed] == list(messages.NAMES)
    for name in messages.NAMES:
        body = messages.schema(name)
        jsonschema.Draft7Validator.check_schema(body)
        assert body["$schema"] == "http://json-schema.org/draft-07/schema#" and body["$id"] == f"urn:tenderhub:hub:{name}:1"
        served = client.get(f"/hub/schemas/{name}")
        assert served.status_code == 200 and served.headers["content-type"].startswith(messages.MEDIA_TYPE)
        assert served.json() == body == client.get(f"/hub/schemas/{name}.json").json()
    missing = client.get("/hub/schemas/no-such-message")
    assert missing.status_code == 404 and missing.json()["field"] == "name"


def test_a_schema_that_breaks_the_metaschema_is_caught() -> None:
    broken = {**messages.schema("signed-tree-head"), "required": "size"}
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.Draft7Validator.check_schema(broken)


# ---- real messages ---------------------------------------------------------------------------


def test_the_relays_envelopes_of_a_scenario_run_and_the_hubs_batch_answers_validate(client: TestClient, workdir: Path) -> None:
    directory = workdir / "relay-01"
    run_file(next((ROOT / "scenarios").glob("01-*.yaml")), data_dir=directory)
    trading = build(Settings.load(data_dir=directory, db_url=f"sqlite:///{directory / 'trading.db'}"))
    pair = keys.generate("intl")
    assert client.post("/hub/platforms", json=registration(PLATFORM, pair)).status_code == 201
    recorder = Recorder(client._transport)
    relay = Relay(uow=lambda: trading.services.uow(None), client=httpx.Client(transport=recorder, base_url="http://testserver"),
                  platform_id=PLATFORM, pair=pair)
    try:
        done = relay.relay_once(1000)
    finally:
        trading.engine.dispose()
    assert done.receipts and done.refused == 0
    batches = [(body, status, answer) for path, body, status, answer in recorder.exchanges if path == protocol.BATCH_PATH]
    assert batches and all(status == 200 for _, status, _ in batches)
    for body, _, answer in batches:
        assert_valid("batch-request", body)
        assert "batch" in body and not any("signature" in item for item in body["releases"])  # the relay signs batches (ADR 0013)
        assert errors("batch-request", {**body, "releases": [{**body["releases"][0], "signature": "AAAA"}]})
        assert_valid("batch-response", answer)
        for result in answer["results"]:
            assert result["status"] in ("created", "repeat")
            assert_valid("release-receipt", result["receipt"])
            assert "batch" in result["receipt"] and "signature" not in result["receipt"]
    again = client.post(protocol.BATCH_PATH, json=batches[0][0]).json()
    assert again["repeat"] == len(batches[0][0]["releases"])
    assert_valid("batch-response", again)
    page = client.get("/hub/feed", params={"limit": 1000}).json()
    assert len(page["items"]) == sum(answer["created"] for _, _, answer in batches) > 0
    assert_valid("feed-page", page)


def test_single_receipts_new_and_repeated_validate(client: TestClient) -> None:
    platform = Platform(client)
    doc = release(0)
    assert_valid("release-envelope", protocol.envelope(PLATFORM, platform.pair, doc))
    first, second = platform.post(doc), platform.post(doc)
    assert (first.status_code, second.status_code) == (201, 200)
    assert_valid("release-receipt", first.json())
    assert_valid("release-receipt", second.json())


def test_refused_batch_items_validate_with_their_pointer_and_problems(client: TestClient) -> None:
    platform = Platform(client)
    stranger = keys.generate("intl")
    bad_schema = {**release(3), "tag": "tender"}
    body = {"releases": [
        protocol.envelope(PLATFORM, platform.pair, release(1)),
        protocol.envelope(PLATFORM, stranger, release(2)),  # bad signature
        protocol.envelope("TH-unknown", platform.pair, release(2)),  # unknown platform
        protocol.envelope(PLATFORM, platform.pair, bad_schema),  # OCDS problems
        "not an envelope",
        protocol.envelope(PLATFORM, platform.pair, {**release(1), "tender": {"id": "x", "title": "other"}}),  # id reused
    ]}
    answer = client.post(protocol.BATCH_PATH, json=body).json()
    assert [r["status"] for r in answer["results"]] == ["created"] + ["refused"] * 5
    assert answer["results"][3]["error"]["problems"] and answer["results"][4]["release_id"] is None
    assert_valid("batch-response", answer)
    mixed = json.loads(json.dumps(answer))
    mixed["results"][1]["receipt"] = answer["results"][0]["receipt"]  # refused with a receipt
    assert errors("batch-response", mixed)


def test_registrations_and_a_forwarded_registration_validate(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    pair = keys.generate("intl")
    assert_valid("platform-registration", registration(PLATFORM, pair))
    assert client.post("/hub/platforms", json=registration(PLATFORM, pair)).status_code == 201
    with closing(make_hub(tmp_path / "lower", f"sqlite:///{tmp_path / 'lower.db'}")) as lower:
        member = {"id": "hub-lower", "name": "下级公共服务平台", "kind": "hub", "public_key_pem": lower.key_info()["public_pem"]}
        assert_valid("platform-registration", member)  # what join_upstream sends
        assert client.post("/hub/platforms", json=member).status_code == 201
        registry.register(lower, registration("TH110000009"))
        with lower.engine.connect() as conn:
            row = conn.execute(sa.select(tables.platforms).where(tables.platforms.c.id == "TH110000009")).one()
        forwarded = tree.forwarded_registration(lower, "hub-lower", row)
    assert_valid("forwarded-registration", forwarded)
    answer = client.post(tree.FORWARD_PATH, json=forwarded)
    assert answer.status_code == 201 and answer.json()["via"] == "hub-lower"
    assert errors("platform-registration", {k: v for k, v in registration().items() if k != "units"})
    assert errors("platform-registration", registration(kind="relay"))
    assert errors("forwarded-registration", {**forwarded, "registration": {**forwarded["registration"], "kind": "hub"}})


def test_chain_heads_tree_heads_and_proofs_validate(client: TestClient) -> None:
    platform = Platform(client)
    for n in range(3):
        assert platform.post(release(n)).status_code == 201
    head = transparency.head_body(PLATFORM, platform.pair, 7, "ab" * 32)
    assert_valid("chain-head", head)
    first, again = client.post("/hub/chain-heads", json=head), client.post("/hub/chain-heads", json=head)
    assert (first.status_code, again.status_code) == (201, 200)
    assert_valid("chain-head-receipt", first.json())
    assert_valid("chain-head-receipt", again.json())
    sth = client.get("/hub/log/sth").json()
    assert sth["size"] == 4
    assert_valid("signed-tree-head", sth)
    assert_valid("inclusion-proof", client.get("/hub/log/inclusion", params={"index": 1, "size": 4}).json())
    assert_valid("consistency-proof", client.get("/hub/log/consistency", params={"first": 2, "second": 4}).json())
    assert_valid("feed-page", client.get("/hub/feed", params={"cursor": "1", "limit": 2}).json())
    assert errors("chain-head", {**head, "seq": 0})
    upper = transparency.head_body(PLATFORM, platform.pair, 8, "CD" * 32)  # the hub verifies over the lower-case hash
    assert errors("chain-head", upper) and client.post("/hub/chain-heads", json=upper).json()["code"] == "bad_signature"


# ---- wrong messages ----------------------------------------------------------------------------


def test_wrong_messages_fail(client: TestClient) -> None:
    platform = Platform(client)
    envelope = protocol.envelope(PLATFORM, platform.pair, release(0))
    receipt = platform.post(release(0)).json()
    sth = client.get("/hub/log/sth").json()
    unsigned = {k: v for k, v in envelope.items() if k != "signature"}
    assert any("signature" in e for e in errors("release-envelope", unsigned))
    assert errors("release-envelope", {**envelope, "release": {k: v for k, v in release(0).items() if k != "id"}})
    assert errors("release-envelope", {**envelope, "signature": "not base64!"})
    assert errors("release-receipt", {**receipt, "extra": 1})
    assert errors("release-receipt", {**receipt, "receipt": {**receipt["receipt"], "note": "x"}})
    assert errors("signed-tree-head", {**sth, "extra": True})
    assert errors("batch-request", {"releases": []})
    assert errors("batch-request", {"releases": [unsigned]})
    assert errors("feed-page", {"items": [], "next_cursor": "x", "limit": 1})


# ---- the OpenAPI document ----------------------------------------------------------------------


def schema_at(doc: dict[str, Any], path: str, method: str, where: str, status: str = "") -> Any:
    op = doc["paths"][path][method]
    part = op["requestBody"] if where == "request" else op["responses"][status]
    return part["content"]["application/json"]["schema"]


def test_the_openapi_document_references_the_message_schemas(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    components = doc["components"]["schemas"]
    assert schema_at(doc, "/hub/releases", "post", "request") == {"$ref": "#/components/schemas/ReleaseEnvelope"}
    assert schema_at(doc, protocol.BATCH_PATH, "post", "request") == {"$ref": "#/components/schemas/BatchRequest"}
    assert schema_at(doc, protocol.BATCH_PATH, "post", "response", "200") == {"$ref": "#/components/schemas/BatchResponse"}
    assert components["ReleaseEnvelope"] == messages.schema("release-envelope")
    for name, uses in messages.USES.items():
        assert components[messages.component(name)] == messages.schema(name)
        for use in uses:
            for status in use.statuses or ("",):
                found = schema_at(doc, use.path, use.method.lower(), "response" if status else "request", status)
                assert found == {"$ref": f"#/components/schemas/{messages.component(name)}"}, (name, use)


def test_the_documented_routes_still_take_what_the_parsers_take(client: TestClient) -> None:
    """The schemas document; the parsers decide: an envelope with an unknown member is still
    accepted (the member is not signed, the schema leaves the object open) and a wrong one is
    refused by ``ingest.parse`` with its own message."""
    platform = Platform(client)
    envelope = {**protocol.envelope(PLATFORM, platform.pair, release(0)), "note": str(uuid.uuid4())}
    assert_valid("release-envelope", envelope)
    assert client.post("/hub/releases", json=envelope).status_code == 201
    refused = client.post("/hub/releases", json={k: v for k, v in envelope.items() if k != "signature"})
    assert refused.status_code == 422 and refused.json()["field"] == "/signature"

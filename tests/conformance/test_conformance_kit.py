"""The conformance kit against our own platform (all pass) and against broken ones (the right
check fails). In process: the kit speaks HTTP to the platform app through a TestClient."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conformance_support import small_procurement
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from tenderhub.bootstrap import Platform, build
from tenderhub.commands.serve import ensure_operator
from tenderhub.conformance.instruction import signed_instruction
from tenderhub.conformance.kit import certify
from tenderhub.conformance.report import Report
from tenderhub.core.shared.clock import FixedClock, parse_beijing
from tenderhub.crypto import keys
from tenderhub.crypto.keys import KeyPair
from tenderhub.hub import protocol
from tenderhub.services.instructions import trust, trusted_key
from tenderhub.settings import Settings
from tenderhub.web.trading.app import create_app

TODAY = date(2026, 11, 30)
Change = Callable[[str, Any], Any]


@pytest.fixture
def hub_pair() -> KeyPair:
    return keys.generate("intl")


@pytest.fixture
def platform(tmp_path: Path, database_url: str, hub_pair: KeyPair) -> Iterator[Platform]:
    built = build(Settings.load(data_dir=tmp_path, db_url=database_url), clock=FixedClock(parse_beijing("2026-11-30T09:00")))
    trust(built.services, trusted_key("公共服务平台", hub_pair.public_pem))
    with TestClient(create_app(built)) as client:
        small_procurement(client, TODAY)
        small_procurement(client, TODAY, title="第二个项目", uscc="91110105MA00000025")
    yield built
    built.engine.dispose()


def run_kit(app: FastAPI, pair: KeyPair | None) -> Report:
    with TestClient(app, base_url="http://platform.test") as client:
        return certify(client, hub_pair=pair)


def statuses(report: Report) -> dict[str, str]:
    return {c.id: c.status for c in report.checks}


def tampered(platform: Platform, prefix: str, change: Change) -> FastAPI:
    """Our platform app with ``change(path, json)`` applied to the answers under ``prefix``."""
    app = create_app(platform)

    @app.middleware("http")
    async def rewrite(request: Request, call_next: Callable[[Request], Any]) -> Response:
        answer = await call_next(request)
        if not request.url.path.startswith(prefix) or answer.status_code >= 300:
            return answer
        body = b"".join([chunk async for chunk in answer.body_iterator])
        return JSONResponse(change(request.url.path, json.loads(body)), status_code=answer.status_code)

    return app


def each_release(doc: Any, change: Callable[[dict[str, Any]], None]) -> Any:
    for item in doc.get("items", [doc]):
        change(item)
    return doc


def resigned(platform: Platform, item: dict[str, Any]) -> None:
    item["signature"] = protocol.sign(platform.services.vault.keys.pair("signing", "intl"), item["release"])  # type: ignore[union-attr]


def test_our_platform_passes_every_check(platform: Platform, hub_pair: KeyPair) -> None:
    report = run_kit(create_app(platform), hub_pair)
    assert report.passed, "\n".join(report.lines())
    assert list(statuses(report)) == ["key", "feed", "signatures", "schema", "ids", "idempotency", "instruction"]
    assert report.platform_id == platform.settings.platform_code


def test_without_a_trusted_key_the_instruction_check_is_skipped_and_the_platform_not_certified(platform: Platform) -> None:
    report = run_kit(create_app(platform), None)
    assert statuses(report)["instruction"] == "skip" and not report.passed


def test_a_key_the_platform_does_not_trust_fails_the_instruction_check(platform: Platform) -> None:
    report = run_kit(create_app(platform), keys.generate("intl"))
    (check,) = [c for c in report.checks if c.id == "instruction"]
    assert check.status == "fail" and "HTTP 401" in check.details[0]


def test_a_corrupted_signature_fails_the_signature_check(platform: Platform, hub_pair: KeyPair) -> None:
    def corrupt(item: dict[str, Any]) -> None:
        item["signature"] = protocol.sign(keys.generate("intl"), item["release"])

    report = run_kit(tampered(platform, "/api/exchange/releases", lambda _p, doc: each_release(doc, corrupt)), hub_pair)
    got = statuses(report)
    assert (got["signatures"], got["schema"], got["ids"], got["feed"]) == ("fail", "pass", "pass", "pass")


def test_a_dropped_required_field_fails_the_schema_check_even_when_signed(platform: Platform, hub_pair: KeyPair) -> None:
    def drop_tag(item: dict[str, Any]) -> None:
        item["release"].pop("tag")
        resigned(platform, item)

    report = run_kit(tampered(platform, "/api/exchange/releases", lambda _p, doc: each_release(doc, drop_tag)), hub_pair)
    got = statuses(report)
    assert (got["schema"], got["signatures"], got["idempotency"]) == ("fail", "pass", "pass")
    assert any("tag" in d for c in report.checks if c.id == "schema" for d in c.details)


def test_a_release_that_changes_when_fetched_again_fails_the_idempotency_check(platform: Platform, hub_pair: KeyPair) -> None:
    fetched = iter(range(10_000))

    def drift(path: str, doc: Any) -> Any:
        if path == "/api/exchange/releases":
            return doc
        doc["release"]["tender"]["description"] = f"v{next(fetched)}"
        resigned(platform, doc)
        return doc

    got = statuses(run_kit(tampered(platform, "/api/exchange/releases", drift), hub_pair))
    assert (got["idempotency"], got["signatures"], got["schema"]) == ("fail", "pass", "pass")


def test_a_feed_that_skips_a_release_fails_the_feed_check(platform: Platform, hub_pair: KeyPair) -> None:
    def skip_first(path: str, doc: Any) -> Any:
        if path == "/api/exchange/releases":
            doc["items"] = [i for i in doc["items"] if i["position"] != 2]
        return doc

    report = run_kit(tampered(platform, "/api/exchange/releases", skip_first), hub_pair)
    assert statuses(report)["feed"] == "fail" and not report.passed


def test_an_acknowledgement_altered_after_signing_fails_the_instruction_check(platform: Platform, hub_pair: KeyPair) -> None:
    def alter(_path: str, doc: Any) -> Any:
        doc["acknowledgement"]["outcome"]["status"] = "applied"
        return doc

    report = run_kit(tampered(platform, "/api/instructions", alter), hub_pair)
    (check,) = [c for c in report.checks if c.id == "instruction"]
    assert check.status == "fail" and "signature" in check.details[0]


def test_the_instruction_routes_answer_with_the_documented_statuses(platform: Platform, hub_pair: KeyPair) -> None:
    _, token = ensure_operator(platform)
    with TestClient(create_app(platform)) as client:
        (tender, *_) = client.get("/api/tenders").json()
        body = signed_instruction(hub_pair, id="SUP-HTTP-1", kind="suspend", tender_id=tender["id"], issued_at="2026-11-30T09:00:00+08:00")
        first, again = client.post("/api/instructions", json=body), client.post("/api/instructions", json=body)
        assert (first.status_code, again.status_code, again.json()) == (201, 200, first.json())
        assert client.get(f"/api/tenders/{tender['id']}").json()["status"] == "suspended"
        assert client.post("/api/instructions", json={"instruction": body["instruction"], "signature": "AAAA"}).status_code == 401
        assert client.post("/api/instructions", json=[1, 2]).status_code == 422
        seen = client.get("/api/instructions/SUP-HTTP-1", headers={"Authorization": f"Bearer {token}"})
        assert seen.status_code == 200 and seen.json()["received"] == first.json()
        assert client.get("/api/instructions/SUP-HTTP-1").status_code in (401, 403)

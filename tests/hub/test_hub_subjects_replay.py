"""A subject's own signed registration carries a signed time: replayed or stale ones are refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from identity_support import ADMIN, Ca, Holder, admin, subject_body, uscc

from tenderhub.core.shared.clock import FixedClock
from tenderhub.hub.context import Hub
from tenderhub.hub.subjects import CLOCK_SKEW, FRESHNESS


@pytest.fixture
def admin_token() -> str:
    return ADMIN


@pytest.fixture
def company(client: TestClient, hub: Hub) -> Holder:
    ca = Ca.make("互认CA", hub.clock.now())
    assert client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin()).status_code == 201
    return ca.issue("北京第5建设有限公司", "company", uscc(5), hub.clock.now())


def signed(company: Holder, at: Any, **changes: Any) -> dict[str, Any]:
    record = subject_body(5, signed_at=at.isoformat(), **changes)
    return {"certificate": company.cert.decode(), "subject": record, "signature": company.sign_doc(record)}


def clock(hub: Hub) -> FixedClock:
    assert isinstance(hub.clock, FixedClock)
    return hub.clock


def name_at_hub(client: TestClient) -> str:
    return str(client.get(f"/hub/subjects/{uscc(5)}").json()["name"])


def test_a_captured_registration_posted_again_after_an_update_is_refused_as_a_replay(client: TestClient, hub: Hub, company: Holder) -> None:
    first = signed(company, hub.clock.now())
    assert client.post("/hub/subjects", json=first).status_code == 201
    clock(hub).advance(seconds=60)
    update = signed(company, hub.clock.now(), name="北京第5建设集团有限公司")
    assert client.post("/hub/subjects", json=update).status_code == 200
    clock(hub).advance(seconds=60)
    for replayed in (first, update):  # older than, and equal to, the last accepted update
        answer = client.post("/hub/subjects", json=replayed)
        assert answer.status_code == 409, answer.text
        assert (answer.json()["code"], answer.json()["field"]) == ("replayed_registration", "subject.signed_at")
    assert name_at_hub(client) == "北京第5建设集团有限公司"


def test_a_replay_cannot_undo_a_later_update_by_the_administrator(client: TestClient, hub: Hub, company: Holder) -> None:
    first = signed(company, hub.clock.now())
    assert client.post("/hub/subjects", json=first).status_code == 201
    clock(hub).advance(seconds=30)
    assert client.post("/hub/subjects", json={"subject": subject_body(5, name="管理员更正有限公司")}, headers=admin()).status_code == 200
    assert client.post("/hub/subjects", json=first).json()["code"] == "replayed_registration"
    assert name_at_hub(client) == "管理员更正有限公司"
    later = signed(company, hub.clock.now() + timedelta(seconds=1), name="北京第5建设有限公司")
    assert client.post("/hub/subjects", json=later).status_code == 200


def test_a_registration_outside_the_freshness_window_is_refused_and_nothing_is_stored(client: TestClient, hub: Hub, company: Holder) -> None:
    now = hub.clock.now()
    for at in (now - FRESHNESS - timedelta(seconds=1), now + CLOCK_SKEW + timedelta(seconds=1)):
        answer = client.post("/hub/subjects", json=signed(company, at))
        assert answer.status_code in (401, 403), answer.text
        assert (answer.json()["code"], answer.json()["field"]) == ("stale_registration", "subject.signed_at")
    assert client.get(f"/hub/subjects/{uscc(5)}").status_code == 404
    assert client.post("/hub/subjects", json=signed(company, now - FRESHNESS)).status_code == 201  # the bounds are inside the window
    assert client.post("/hub/subjects", json=signed(company, now + CLOCK_SKEW, name="北京第5建设集团有限公司")).status_code == 200


def test_a_signed_time_is_required_and_is_covered_by_the_signature(client: TestClient, hub: Hub, company: Holder) -> None:
    body = signed(company, hub.clock.now())
    without = {k: v for k, v in body["subject"].items() if k != "signed_at"}
    answer = client.post("/hub/subjects", json={**body, "subject": without, "signature": company.sign_doc(without)})
    assert (answer.status_code, answer.json()["field"]) == (422, "subject.signed_at")
    naive = {**body["subject"], "signed_at": "2026-11-30T09:00:00"}
    assert client.post("/hub/subjects", json={**body, "subject": naive, "signature": company.sign_doc(naive)}).json()["field"] == "subject.signed_at"
    moved = {**body, "subject": {**body["subject"], "signed_at": (hub.clock.now() + timedelta(seconds=5)).isoformat()}}
    assert client.post("/hub/subjects", json=moved).status_code in (401, 403)  # the time is signed: changing it breaks the signature
    assert client.get(f"/hub/subjects/{uscc(5)}").status_code == 404


def test_a_platforms_captured_registration_cannot_undo_its_later_update(client: TestClient, hub: Hub) -> None:
    from hub_support import Platform

    from tenderhub.hub.protocol import sign

    platform = Platform(TestClient(client.app, headers=admin()))

    def by_platform(record: dict[str, Any]) -> dict[str, Any]:
        return {"platform_id": platform.platform_id, "subject": record, "signature": sign(platform.pair, record)}

    first = by_platform(subject_body(5, signed_at=hub.clock.now().isoformat()))
    assert client.post("/hub/subjects", json=first).status_code == 201
    assert client.post("/hub/subjects", json=first).status_code == 200  # the same again: idempotent
    clock(hub).advance(seconds=60)
    update = by_platform(subject_body(5, name="北京第5建设集团有限公司", signed_at=hub.clock.now().isoformat()))
    assert client.post("/hub/subjects", json=update).status_code == 200
    replayed = client.post("/hub/subjects", json=first)
    assert replayed.status_code == 409 and replayed.json()["code"] == "replayed_registration"
    unsigned = client.post("/hub/subjects", json=by_platform(subject_body(5)))
    assert unsigned.status_code == 422 and unsigned.json()["field"] == "subject.signed_at"
    assert name_at_hub(client) == "北京第5建设集团有限公司"

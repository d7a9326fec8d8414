"""Credit records: platforms send them signed, the hub serves them with the blacklist."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hub_support import Platform
from identity_support import ADMIN, admin, register_platform_subject, uscc

from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid
from tenderhub.embedded import Embedded
from tenderhub.hub.context import Hub
from tenderhub.hub.credit import credit_summary
from tenderhub.hub.protocol import sign
from tenderhub.services import subjects
from tenderhub.services.credit import HttpCredit, MemoryCredit


def penalty(n: int = 1, **changes: Any) -> dict[str, Any]:
    return {"id": f"r-{n}", "uscc": uscc(41), "name": "北京第41建设有限公司", "kind": "penalty", "title": "串通投标，罚款并列入不良行为记录",
            "date": "2026-11-20", "authority": "北京市发展和改革委员会", "basis": {"law": "招标投标法", "article": 53}, **changes}


@pytest.fixture
def admin_token() -> str:
    return ADMIN


@pytest.fixture
def platform(client: TestClient) -> Platform:
    return Platform(TestClient(client.app, headers=admin()), "TH110000001")


def send(client: TestClient, platform: Platform, record: dict[str, Any]) -> Any:
    return client.post("/hub/credit", json={"platform_id": platform.platform_id, "record": record, "signature": sign(platform.pair, record)})


def test_a_signed_record_is_stored_once_and_served_with_its_source(client: TestClient, platform: Platform) -> None:
    made = send(client, platform, penalty())
    assert made.status_code == 201, made.text
    assert (made.json()["dataset"], made.json()["source_platform"]) == ("300", "TH110000001")
    assert send(client, platform, penalty()).status_code == 200
    assert send(client, platform, penalty(title="另一内容")).status_code == 409
    send(client, platform, penalty(2, kind="award", title="省级优质工程奖", basis=None, date="2026-10-01"))
    summary = client.get(f"/hub/credit/{uscc(41)}").json()
    assert summary["counts"] == {"penalties": 1, "awards": 1, "performance": 0, "blacklist": 0}
    assert summary["penalties"][0]["basis"] == {"law": "招标投标法", "article": 53}
    assert summary["awards"][0]["dataset"] == "304"


def test_an_unsigned_forged_or_malformed_record_is_refused_and_nothing_is_stored(client: TestClient, platform: Platform) -> None:
    forged = {"platform_id": platform.platform_id, "record": penalty(title="改"), "signature": sign(platform.pair, penalty())}
    assert client.post("/hub/credit", json=forged).json()["code"] == "bad_signature"
    unknown = {"platform_id": "TH119999999", "record": penalty(), "signature": sign(platform.pair, penalty())}
    assert client.post("/hub/credit", json=unknown).status_code == 404
    for bad, field in ((penalty(basis=None), "record.basis"), (penalty(kind="rumour"), "record.kind"), (penalty(uscc="123"), "record.uscc"),
                       (penalty(date="yesterday"), "record.date"), (penalty(id="x" * 65), "record.id"), (penalty(basis={"law": "招标投标法", "article": 0}), "record.basis.article")):
        answer = send(client, platform, bad)
        assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
    assert client.get(f"/hub/credit/{uscc(41)}").json()["counts"]["penalties"] == 0


def test_the_summary_for_the_portal_shows_penalties_newest_first_and_the_blacklist(client: TestClient, hub: Hub, platform: Platform) -> None:
    send(client, platform, penalty(1, date="2026-01-05"))
    send(client, platform, penalty(2, date="2026-06-05", title="弄虚作假"))
    listing = {"uscc": uscc(41), "name": "北京第41建设有限公司", "reason": "弄虚作假骗取中标", "basis": {"law": "招标投标法", "article": 54},
               "start": "2025-03-01T00:00", "end": None, "authority": "北京市发展和改革委员会"}
    assert client.post("/hub/blacklist", json=listing, headers=admin()).status_code == 201
    summary = credit_summary(hub, uscc(41))
    assert [p["title"] for p in summary["penalties"]] == ["弄虚作假", "串通投标，罚款并列入不良行为记录"]
    assert [b["reason"] for b in summary["blacklist"]] == ["弄虚作假骗取中标"]
    assert credit_summary(hub, uscc(42))["counts"] == {"penalties": 0, "awards": 0, "performance": 0, "blacklist": 0}


def test_the_in_memory_twin_is_idempotent_by_id() -> None:
    twin = MemoryCredit()
    twin.send(penalty())
    twin.send(penalty())
    with pytest.raises(Conflict):
        twin.send(penalty(title="改"))


# ---- platforms report through their CreditPort ------------------------------------------------------


def test_penalties_reported_on_two_platforms_reach_one_record_at_the_hub(system: Embedded) -> None:
    a, b = system.members
    register_platform_subject(a, 41, "bidder-a")
    operators = [subjects.create_operator(m.platform.services) for m in (a, b)]
    body = {"uscc": uscc(41), "kind": "penalty", "title": "串通投标", "date": "2026-11-20", "authority": "北京市发展和改革委员会",
            "basis": {"law": "招标投标法", "article": 53}}
    sent = subjects.report_credit(a.platform.services, operators[0], body)
    assert sent["source_platform"] == a.spec.code and sent["name"] == "北京第41建设有限公司"
    subjects.report_credit(b.platform.services, operators[1], {**body, "kind": "award", "title": "优质工程奖", "basis": None,
                                                               "name": "北京第41建设有限公司"})
    summary = system.client.get(f"/hub/credit/{uscc(41)}").json()
    assert [(r["kind"], r["source_platform"]) for r in summary["penalties"] + summary["awards"]] == [("penalty", a.spec.code), ("award", b.spec.code)]
    with pytest.raises(Invalid) as refused:
        subjects.report_credit(a.platform.services, operators[0], {**body, "basis": None})
    assert refused.value.field == "record.basis"
    bidder = subjects.actor_for_token(a.platform.services, register_platform_subject(a, 43, "bidder-43")["token"])
    with pytest.raises(Forbidden):
        subjects.report_credit(a.platform.services, bidder, body)


def test_the_embedded_system_delivers_a_queued_record_next_to_the_relay(system: Embedded) -> None:
    a = system.members[0]
    svc, operator = a.platform.services, subjects.create_operator(a.platform.services)
    linked = svc.credit
    assert isinstance(linked, HttpCredit)
    svc.credit = HttpCredit(httpx.Client(base_url="http://127.0.0.1:9", timeout=2), linked.platform_id, linked.pair)  # the hub is down
    body = {"uscc": uscc(44), "name": "北京第44建设有限公司", "kind": "performance", "title": "合同履约良好", "date": "2026-11-20",
            "authority": "北京市发展和改革委员会"}
    assert subjects.report_credit(svc, operator, body)["status"] == "queued"
    assert system.client.get(f"/hub/credit/{uscc(44)}").json()["counts"]["performance"] == 0
    assert system.relay_until_idle()[a.spec.code]["credit_sent"] == 1
    assert system.client.get(f"/hub/credit/{uscc(44)}").json()["counts"]["performance"] == 1
    assert system.relay_until_idle()[a.spec.code]["credit_sent"] == 0

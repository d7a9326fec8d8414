"""Credit records leave the platform when the fact happens: audited, delivered, exactly once at the hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hub_support import Platform, make_hub
from identity_support import ADMIN, admin, uscc

from tenderhub.bootstrap import Platform as TradingPlatform
from tenderhub.bootstrap import build
from tenderhub.core.shared.errors import Conflict
from tenderhub.core.shared.roles import Actor
from tenderhub.hub.context import Hub
from tenderhub.hub.credit import credit_summary
from tenderhub.scenarios.runner import load, run
from tenderhub.services import subjects
from tenderhub.services.credit import HttpCredit
from tenderhub.services.credit_records import ACKNOWLEDGED, REPORTED, CreditDelivery
from tenderhub.settings import Settings

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
CODE = "TH110000001"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    made = make_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.db'}")
    yield made
    made.close()


@pytest.fixture
def admin_token() -> str:
    return ADMIN


@pytest.fixture
def port(client: TestClient) -> HttpCredit:
    """The platform's real client of the hub's credit endpoint, signed with its registered key."""
    registered = Platform(TestClient(client.app, headers=admin()), CODE)
    return HttpCredit(client, CODE, registered.pair)


def platform_after(scenario: str | None, database_url: str, tmp_path: Path) -> TradingPlatform:
    settings = Settings.load(data_dir=tmp_path / "platform", db_url=database_url)
    if scenario is not None:
        assert all(r.ok for r in run(load(SCENARIOS / scenario), settings)), scenario
    return build(settings)


def delivery(platform: TradingPlatform, port: Any) -> CreditDelivery:
    return CreditDelivery(platform.services.uow, port, platform.services.clock, f"交易平台 {CODE}")


def audit(platform: TradingPlatform, tag: str) -> list[Any]:
    with platform.services.uow(None) as uow:
        rows: list[Any] = uow.audit.list(tag=tag, limit=1000)
        assert uow.audit.verify_chain() is None  # tenderhub audit verify covers the records and receipts
    return rows


def unreachable(port: HttpCredit) -> HttpCredit:
    return HttpCredit(httpx.Client(base_url="http://127.0.0.1:9", timeout=2), port.platform_id, port.pair)


@pytest.mark.parametrize(("scenario", "winner", "basis"), [
    ("01-works-open-tender-happy-path.yaml", "北京路桥建设有限公司", {"law": "招标投标法", "article": 45}),
    ("03-gp-goods-lowest-price.yaml", "京东方教育装备有限公司", {"law": "政府采购法", "article": 46}),
])
def test_an_award_sends_a_positive_record_citing_its_article_once(database_url: str, tmp_path: Path, hub: Hub, port: HttpCredit,
                                                                  scenario: str, winner: str, basis: dict[str, Any]) -> None:
    platform = platform_after(scenario, database_url, tmp_path)
    [reported] = [r.data["record"] for r in audit(platform, REPORTED)]
    assert (reported["kind"], reported["basis"], reported["name"]) == ("performance", basis, winner)
    assert delivery(platform, port).deliver_once().sent == 1
    assert delivery(platform, port).deliver_once().sent == 0  # a restarted step reads the receipts: nothing sent again
    [entry] = credit_summary(hub, reported["uscc"])["performance"]
    assert (entry["id"], entry["source_platform"], entry["basis"]) == (reported["id"], CODE, basis)
    [receipt] = audit(platform, ACKNOWLEDGED)
    assert receipt.data["record"] == reported and receipt.data["signature"] == entry["signature"] and receipt.data["received_at"]
    platform.engine.dispose()


def test_a_bid_revoked_at_decryption_by_the_bidders_fault_is_reported_and_one_withdrawn_is_not(
        database_url: str, tmp_path: Path, hub: Hub, port: HttpCredit) -> None:
    platform = platform_after("27-sealed-bids-online-opening.yaml", database_url, tmp_path)
    assert delivery(platform, port).deliver_once().sent == 1
    [receipt] = audit(platform, ACKNOWLEDGED)
    record = receipt.data["record"]
    assert (record["kind"], record["basis"]) == ("penalty", {"law": "电子招标投标办法", "article": 31})
    with platform.services.uow(None) as uow:
        revoked = [b for t in uow.tenders.list() for lot in t.lots for b in lot.bids if b.status.value == "revoked"]
        withdrawn = [b for t in uow.tenders.list() for lot in t.lots for b in lot.bids if b.status.value == "withdrawn"]
    assert [b.uscc for b in revoked] == [record["uscc"]]
    assert withdrawn and all(credit_summary(hub, b.uscc)["counts"]["penalties"] == 0 for b in withdrawn)  # not the bidder's fault: no record
    assert credit_summary(hub, record["uscc"])["penalties"][0]["id"] == record["id"]
    platform.engine.dispose()


def test_a_record_is_kept_while_the_hub_is_down_and_sent_once_when_it_is_back(database_url: str, tmp_path: Path, hub: Hub, port: HttpCredit) -> None:
    platform = platform_after("01-works-open-tender-happy-path.yaml", database_url, tmp_path)
    step = delivery(platform, unreachable(port))
    down = step.deliver_once()
    assert (down.sent, down.transient) == (0, True) and audit(platform, ACKNOWLEDGED) == []
    [reported] = [r.data["record"] for r in audit(platform, REPORTED)]
    port.send(reported)  # the hub got it but its answer was lost: the retry is a repeat, not a second record
    step.port = port
    assert step.deliver_once().sent == 1
    assert credit_summary(hub, reported["uscc"])["counts"]["performance"] == 1
    assert len(audit(platform, ACKNOWLEDGED)) == 1
    platform.engine.dispose()


def operator_of(platform: TradingPlatform) -> Actor:
    return subjects.create_operator(platform.services)


def test_a_reported_record_is_audited_with_the_hubs_receipt(database_url: str, tmp_path: Path, hub: Hub, port: HttpCredit) -> None:
    platform = platform_after(None, database_url, tmp_path)
    platform.services.credit = port
    body = {"id": "r-1", "uscc": uscc(41), "name": "北京第41建设有限公司", "kind": "penalty", "title": "串通投标", "date": "2026-11-20",
            "authority": "北京市发展和改革委员会", "basis": {"law": "招标投标法", "article": 53}}
    operator = operator_of(platform)
    sent = subjects.report_credit(platform.services, operator, body)
    assert sent["status"] == "acknowledged" and sent["source_platform"] == CODE
    assert subjects.report_credit(platform.services, operator, body)["status"] == "acknowledged"  # the same again: one record
    with pytest.raises(Conflict):
        subjects.report_credit(platform.services, operator, {**body, "title": "另一内容"})
    [reported] = audit(platform, REPORTED)
    assert reported.target == "r-1" and reported.data["record"]["title"] == "串通投标"
    assert {r.data["signature"] for r in audit(platform, ACKNOWLEDGED)} == {sent["signature"]}
    platform.services.credit = unreachable(port)
    queued = subjects.report_credit(platform.services, operator, {**body, "id": "r-2"})
    assert queued["status"] == "queued" and credit_summary(hub, uscc(41))["counts"]["penalties"] == 1
    assert delivery(platform, port).deliver_once().sent == 1
    assert credit_summary(hub, uscc(41))["counts"]["penalties"] == 2
    platform.engine.dispose()

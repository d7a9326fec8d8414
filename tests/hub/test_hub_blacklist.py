"""The hub's blacklist and joint punishment: every trading platform refuses a listed bidder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tenderhub.core.shared.clock import BEIJING, FixedClock
from tenderhub.core.shared.errors import RuleViolation
from tenderhub.core.shared.ids import uscc_check_char
from tenderhub.core.shared.roles import PUBLIC, Actor
from tenderhub.embedded import Embedded, Member, open_embedded
from tenderhub.services import bids, subjects, tenders
from tenderhub.services.credit import Listing, MemoryBlacklist

START = datetime(2026, 11, 30, 9, 0, tzinfo=BEIJING)


def uscc(n: int) -> str:
    body = f"91110105MA{n:07d}"
    return body + uscc_check_char(body)


BIDDER = uscc(77)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def system(tmp_path: Path, clock: FixedClock) -> Iterator[Embedded]:
    made = open_embedded(tmp_path / "data", clock=clock)
    yield made
    made.close()


def admin(system: Embedded) -> dict[str, str]:
    return {"Authorization": f"Bearer {system.admin_token}"}


def listing_body(**changes: Any) -> dict[str, Any]:
    return {"uscc": BIDDER, "name": "失信建设有限公司", "reason": "弄虚作假骗取中标，情节严重",
            "basis": {"law": "招标投标法", "article": 54}, "start": "2026-11-30T00:00",
            "end": "2027-11-30T00:00", "authority": "北京市发展和改革委员会", **changes}


def subject(member: Member, kind: str, n: int, alias: str) -> Actor:
    svc = member.platform.services
    made = subjects.register_subject(svc, PUBLIC, {"uscc": uscc(n), "name": f"{alias} 有限公司", "kind": kind, "user_id": alias})
    return subjects.actor_for_token(svc, made["token"])


def published_lot(member: Member, clock: FixedClock, regime: str) -> tuple[str, str]:
    """A published tender on the member's platform: (tender id, lot code)."""
    tenderer = subject(member, "tenderer", 1, "tenderer")
    lot = {"title": "标段1", "category": "works" if regime == "works" else "goods", "estimated_price": 10000000,
           "deadline": "2026-12-21T09:30"}
    made = tenders.create_tender(member.platform.services, tenderer, {"regime": regime, "title": "测试项目", "lots": [lot]})
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=BEIJING))
    tenders.publish(member.platform.services, tenderer, made["id"], {"doc_sale_end": "2026-12-09"})
    return made["id"], made["lots"][0]["code"]


def both_platforms(system: Embedded, clock: FixedClock) -> list[tuple[Member, str, str, Actor]]:
    """Platform A with a works tender, platform B with a GP tender; the same bidder on each."""
    out = []
    for member, regime in zip(system.members, ("works", "gp"), strict=True):
        tender_id, lot = published_lot(member, clock, regime)
        out.append((member, tender_id, lot, subject(member, "bidder", 77, "bidder")))
    return out


def refusal(member: Member, bidder: Actor, tender_id: str, lot: str) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        bids.register(member.platform.services, bidder, tender_id, {"lot": lot})
    return refused.value


# ---- the hub's routes ------------------------------------------------------------------------


def test_listing_needs_the_admin_token_and_is_public_to_read(system: Embedded) -> None:
    client = system.client
    refused = client.post("/hub/blacklist", json=listing_body())
    assert refused.status_code in (401, 403) and refused.json()["field"] == "authorization"
    assert refused.json()["message"] == {"zh": "此操作需要公共服务平台管理员令牌", "en": "this needs the hub administrator token"}
    made = client.post("/hub/blacklist", json=listing_body(), headers=admin(system))
    assert made.status_code == 201, made.text
    assert made.json()["dataset"] == "302" and made.json()["basis"] == {"law": "招标投标法", "article": 54}
    assert [e["uscc"] for e in client.get("/hub/blacklist").json()] == [BIDDER]
    assert client.get(f"/hub/blacklist/{BIDDER}").json()["authority"] == "北京市发展和改革委员会"
    assert client.get(f"/hub/blacklist/{uscc(78)}").status_code == 404
    assert client.delete(f"/hub/blacklist/{BIDDER}").status_code in (401, 403)


def test_a_listing_is_validated(system: Embedded) -> None:
    for bad in ({"uscc": "123"}, {"basis": {"law": "招标投标法"}}, {"end": "2026-11-01T00:00"}, {"reason": ""}):
        answer = system.client.post("/hub/blacklist", json=listing_body(**bad), headers=admin(system))
        assert answer.status_code == 422, (bad, answer.text)


def test_removal_keeps_the_entry_as_dataset_303_and_ends_the_listing(system: Embedded) -> None:
    system.client.post("/hub/blacklist", json=listing_body(), headers=admin(system))
    removed = system.client.delete(f"/hub/blacklist/{BIDDER}", headers=admin(system))
    assert removed.status_code == 200, removed.text
    assert removed.json()["dataset"] == "303" and removed.json()["removed"][0]["removed"]["dataset"] == "303"
    assert system.client.get("/hub/blacklist").json() == []
    assert system.client.get(f"/hub/blacklist/{BIDDER}").status_code == 404
    assert system.client.delete(f"/hub/blacklist/{BIDDER}", headers=admin(system)).status_code == 404


# ---- joint punishment: two platforms, one list -------------------------------------------------


def test_every_platform_refuses_a_blacklisted_bidder_until_the_removal(system: Embedded, clock: FixedClock) -> None:
    places = both_platforms(system, clock)
    assert system.client.post("/hub/blacklist", json=listing_body(), headers=admin(system)).status_code == 201
    for (member, tender_id, lot, bidder), (law, article) in zip(places, (("招标投标法", 53), ("政府采购法", 77)), strict=True):
        refused = refusal(member, bidder, tender_id, lot)
        assert refused.field == "bidder" and refused.rule is not None
        assert (refused.rule.key, refused.rule.citation.law, refused.rule.citation.article) == ("blacklisted_bidder", law, article)
        assert "北京市发展和改革委员会" in refused.message_zh
    assert system.client.delete(f"/hub/blacklist/{BIDDER}", headers=admin(system)).status_code == 200
    clock.advance(minutes=1)  # past the platforms' short cache
    for member, tender_id, lot, bidder in places:
        assert bids.register(member.platform.services, bidder, tender_id, {"lot": lot})["lot"] == lot


def test_a_listing_that_has_ended_no_longer_refuses(system: Embedded, clock: FixedClock) -> None:
    places = both_platforms(system, clock)  # the clock now stands at 2026-12-01T09:00
    body = listing_body(start="2026-11-01T00:00", end="2026-12-01T10:00")
    assert system.client.post("/hub/blacklist", json=body, headers=admin(system)).status_code == 201
    for member, tender_id, lot, bidder in places:
        assert refusal(member, bidder, tender_id, lot).rule.key == "blacklisted_bidder"  # type: ignore[union-attr]
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=BEIJING))
    assert system.client.get("/hub/blacklist").json() == []
    for member, tender_id, lot, bidder in places:
        assert bids.register(member.platform.services, bidder, tender_id, {"lot": lot})["lot"] == lot


def test_submission_is_refused_to_a_bidder_listed_after_registering(system: Embedded, clock: FixedClock) -> None:
    member, tender_id, lot, bidder = both_platforms(system, clock)[0]
    bids.register(member.platform.services, bidder, tender_id, {"lot": lot})
    system.client.post("/hub/blacklist", json=listing_body(), headers=admin(system))
    clock.advance(minutes=1)
    with pytest.raises(RuleViolation) as refused:
        bids.submit(member.platform.services, bidder, tender_id, {"lot": lot, "price": 9000000})
    assert refused.value.rule is not None and refused.value.rule.key == "blacklisted_bidder"


# ---- the platform-side port --------------------------------------------------------------------


def test_the_in_memory_twin_answers_by_the_listing_period() -> None:
    listing = Listing(BIDDER, "失信建设有限公司", "串通投标", "政府采购法", 77, "财政部门", START, START + timedelta(days=365))
    twin = MemoryBlacklist()
    twin.add(listing)
    assert twin.is_listed(BIDDER, START) == listing
    assert twin.is_listed(BIDDER, START - timedelta(seconds=1)) is None
    assert twin.is_listed(BIDDER, START + timedelta(days=365)) is None
    twin.remove(BIDDER)
    assert twin.is_listed(BIDDER, START) is None


def test_an_unreachable_hub_fails_closed() -> None:
    from tenderhub.core.shared.errors import Conflict
    from tenderhub.services.credit import HttpBlacklist

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("hub down", request=request)

    client = httpx.Client(transport=httpx.MockTransport(down), base_url="http://hub.test")
    with pytest.raises(Conflict) as refused:
        HttpBlacklist(client, FixedClock(START)).is_listed(BIDDER, START)
    assert refused.value.code == "blacklist_unavailable"

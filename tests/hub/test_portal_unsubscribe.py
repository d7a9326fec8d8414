"""Subscriptions at scale and their end (on SQLite and PostgreSQL): new announcements find
their subscriptions through the (type, region prefix) keys, with exactly the result of
checking every subscription; ``DELETE /portal/subscriptions/{id}`` with the secret ends one."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from portal_support import Portal, full

from tenderhub.hub.context import Hub
from tenderhub.hub.portal import filters, subscriptions
from tenderhub.hub.portal.delivery import run_once
from tenderhub.hub.portal.store import deliveries
from tenderhub.hub.portal.store import subscriptions as subscription_rows
from tenderhub.hub.search import Announcement, AnnouncementType

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
REGIONS = ("110000", "110100", "110105", "440000", "440300", None)
HOOK = "https://receiver.example.com/hook"  # never called here: a delivery stays pending


def random_search(rng: random.Random) -> dict[str, Any]:
    kinds = rng.sample([t.value for t in AnnouncementType], rng.choice((0, 0, 1, 2)))
    body: dict[str, Any] = {"owner": f"owner-{rng.randrange(10**6):06d}", "webhook_url": HOOK if rng.random() < 0.9 else None}
    body.update({"type": ",".join(kinds)} if kinds else {})
    body.update({"region": region} if (region := rng.choice(REGIONS)) else {})
    body.update({"q": "道路"} if rng.random() < 0.3 else {})
    body.update({"min_value": "500000"} if rng.random() < 0.2 else {})
    return body


def random_announcement(rng: random.Random, n: int) -> Announcement:
    return Announcement(uid=f"r-{n}#x", type=rng.choice(list(AnnouncementType)), title=rng.choice(("道路改造工程", "办公设备采购")),
                        body="招标人：某单位", ocid=f"ocds-x-{n}", platform="TH110000001",
                        region=rng.choice(("110105", "110228", "440305", "310000")), published_at=AT,
                        value=Decimal(rng.choice((100000, 900000))))


def brute_force(hub: Hub, a: Announcement) -> set[str]:
    """Every active subscription with a webhook, checked in full: what the keys must find."""
    s = subscription_rows
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(s).where(s.c.active.is_(True), s.c.webhook_url.is_not(None))).all()
    return {r.id for r in rows if filters.admits(subscriptions.saved_search(r), a)}


def enqueued(hub: Hub, a: Announcement) -> set[str]:
    with hub.engine.begin() as conn:
        subscriptions.enqueue(conn, a, AT)
        return set(conn.execute(sa.select(deliveries.c.subscription_id).where(deliveries.c.announcement_uid == a.uid)).scalars())


def test_keyed_matching_finds_exactly_the_subscriptions_a_full_scan_finds(portal: Portal) -> None:
    rng = random.Random(11)
    for _ in range(150):
        subscriptions.create(portal.hub, random_search(rng))
    matched = 0
    for n in range(60):
        a = random_announcement(rng, n)
        expected = brute_force(portal.hub, a)
        assert enqueued(portal.hub, a) == expected
        matched += len(expected)
    assert matched > 0


def test_an_announcement_looks_up_only_subscriptions_of_its_type_and_region(portal: Portal) -> None:
    beijing = subscriptions.create(portal.hub, {"owner": "a@example.com", "region": "110000", "webhook_url": HOOK})
    dongcheng = subscriptions.create(portal.hub, {"owner": "b@example.com", "region": "110101", "webhook_url": HOOK})
    awards = subscriptions.create(portal.hub, {"owner": "c@example.com", "type": "award_result", "webhook_url": HOOK})
    shenzhen = subscriptions.create(portal.hub, {"owner": "d@example.com", "region": "440300", "type": "tender_notice", "webhook_url": HOOK})
    a = Announcement(uid="r#tender_notice", type=AnnouncementType.TENDER_NOTICE, title="道路", body="", ocid="o",
                     platform="TH110000001", region="110105", published_at=AT)
    with portal.hub.engine.connect() as conn:
        found = {row.id for row in subscriptions.candidates(conn, a)}
    assert beijing["id"] in found and not found & {dongcheng["id"], awards["id"], shenzhen["id"]}


def delete(portal: Portal, subscription_id: str, secret: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    answer: httpx.Response = portal.client.delete(f"/portal/subscriptions/{subscription_id}", headers=headers)
    return answer


def states(hub: Hub, subscription_id: str) -> list[str]:
    d = deliveries
    with hub.engine.connect() as conn:
        return sorted(conn.execute(sa.select(d.c.status).where(d.c.subscription_id == subscription_id)).scalars())


def test_unsubscribing_needs_the_secret_and_ends_feed_and_webhooks(portal: Portal, workdir: Path) -> None:
    releases = full(workdir)
    made = portal.client.post("/portal/subscriptions", json={"owner": "buyer@example.com", "webhook_url": HOOK}).json()
    portal.ingest(releases[:2])
    pending = states(portal.hub, made["id"])
    assert pending and set(pending) == {"pending"}
    for secret in (None, "wrong-secret"):
        answer = delete(portal, made["id"], secret)
        assert answer.status_code == 401 and answer.json()["field"] == "authorization"  # no actor: 401
    assert states(portal.hub, made["id"]) == pending  # a refused request changes nothing
    answer = delete(portal, made["id"], made["secret"])
    assert answer.status_code == 200 and answer.json() == {"id": made["id"], "active": False, "cancelled_deliveries": len(pending)}
    assert set(states(portal.hub, made["id"])) == {"cancelled"}
    portal.ingest(releases[2:])
    assert len(states(portal.hub, made["id"])) == len(pending)  # nothing new for a cancelled subscription
    with httpx.Client() as client:
        assert run_once(portal.hub, client) == 0  # no cancelled delivery is attempted
    assert portal.client.get(made["feed_url"]).status_code == 404
    assert delete(portal, made["id"], made["secret"]).json()["cancelled_deliveries"] == 0
    assert delete(portal, "no-such-subscription", made["secret"]).status_code == 404

"""Use cases on a real database: authorization, confidentiality, no partial writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from services_builders import World, a_tender_body, a_world

from tenderhub.core.shared.errors import Forbidden, RuleViolation
from tenderhub.services import bids, evaluation, tenders
from tenderhub.services.tenders import get_tender


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> World:
    w = a_world(database_url, tmp_path)
    yield w
    w.platform.engine.dispose()


def published(world: World) -> dict[str, Any]:
    tenderer = world.subject("tenderer", "tenderer", 1)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body())
    world.at("2026-12-01T09:00")
    return tenders.publish(world.svc, tenderer, made["id"], {"doc_sale_end": "2026-12-07"})


def audit_count(world: World) -> int:
    with world.svc.uow(None) as uow:
        return len(uow.audit.list(limit=100000))


def test_only_the_tenderer_may_publish_its_tender(world: World) -> None:
    tenderer = world.subject("tenderer", "tenderer", 1)
    other = world.subject("other", "tenderer", 2)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body())
    with pytest.raises(Forbidden):
        tenders.publish(world.svc, other, made["id"], {"doc_sale_end": "2026-12-07"})


def test_a_refused_action_changes_nothing(world: World) -> None:
    tenderer = world.subject("tenderer", "tenderer", 1)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body(deadline="2026-12-18T09:30"))
    before, events = get_tender(world.svc, world.operator, made["id"]), audit_count(world)
    world.at("2026-12-01T09:00")
    with pytest.raises(RuleViolation) as refused:
        tenders.publish(world.svc, tenderer, made["id"], {"doc_sale_end": "2026-12-07"})
    assert (refused.value.rule.citation.law, refused.value.rule.citation.article) == ("招标投标法", 24)
    assert refused.value.field == "lots[0].deadline"
    assert get_tender(world.svc, world.operator, made["id"]) == before
    assert audit_count(world) == events


def test_before_opening_a_bidder_sees_only_its_own_bid_and_nobody_sees_registrations(world: World) -> None:
    tender = published(world)
    lot = tender["lots"][0]["code"]
    a, b = world.subject("a", "bidder", 11), world.subject("b", "bidder", 12)
    for actor, price in ((a, 9000000), (b, 9100000)):
        bids.register(world.svc, actor, tender["id"], {"lot": lot})
        bids.submit(world.svc, actor, tender["id"], {"lot": lot, "price": price})
    seen_by_a = get_tender(world.svc, a, tender["id"])["lots"][0]
    assert [x["price"] for x in seen_by_a["my_bids"]] == ["9000000.00"]
    assert "bids" not in seen_by_a
    seen_by_tenderer = get_tender(world.svc, world.actors["tenderer"], tender["id"])["lots"][0]
    assert seen_by_tenderer["my_bids"] == [] and seen_by_tenderer["my_registration"] is None
    assert "9100000" not in str(get_tender(world.svc, a, tender["id"]))


def test_expert_names_stay_hidden_until_the_award(world: World) -> None:
    tender = published(world)
    lot = tender["lots"][0]["code"]
    for i in range(3):
        bidder = world.subject(f"b{i}", "bidder", 20 + i)
        bids.register(world.svc, bidder, tender["id"], {"lot": lot})
        bids.submit(world.svc, bidder, tender["id"], {"lot": lot, "price": 9000000 + i})
    for i in range(5):
        world.expert(f"e{i}")
    world.at("2026-12-21T09:30")
    bids.open_bids(world.svc, world.actors["tenderer"], tender["id"], {"lot": lot})
    evaluation.draw_committee(world.svc, world.actors["tenderer"], tender["id"], {"lot": lot, "experts": {"road": 5}, "seed": "s1"})
    view = get_tender(world.svc, world.actors["b0"], tender["id"])["lots"][0]["committee"]
    assert view["size"] == 5
    assert all(m["id"] is None and "专家" not in m["name"] for m in view["members"])
    own = get_tender(world.svc, world.actors["e0"], tender["id"])["lots"][0]["committee"]
    assert [m["name"] for m in own["members"] if m["id"]] == ["专家e0"]


def test_every_change_leaves_an_audit_event_and_an_outbox_message(world: World) -> None:
    published(world)
    with world.svc.uow(None) as uow:
        tags = [row.tag for row in uow.audit.list(limit=1000)]
        assert uow.audit.verify_chain() is None
        outbox = uow.outbox.all()
    assert "procedure:tender:created" in tags and "procedure:tender:published" in tags
    assert len(outbox) == len(tags)


def test_a_deployed_platform_takes_sealed_bids_only(database_url: str, tmp_path: Path) -> None:
    deployed = a_world(database_url, tmp_path, allow_unsealed=False)
    try:
        tenderer = deployed.subject("tenderer", "tenderer", 1)
        with pytest.raises(RuleViolation) as refused:
            tenders.create_tender(deployed.svc, tenderer, {**a_tender_body(), "sealing": "none"})
        assert (refused.value.rule.citation.law, refused.value.rule.citation.article, refused.value.field) == ("电子招标投标办法", 25, "sealing")
        made = tenders.create_tender(deployed.svc, tenderer, a_tender_body())
        assert made["sealing"] == "envelope"
        deployed.at("2026-12-01T09:00")
        tenders.publish(deployed.svc, tenderer, made["id"], {"doc_sale_end": "2026-12-07"})
        bidder = deployed.subject("a", "bidder", 11)
        lot = made["lots"][0]["code"]
        bids.register(deployed.svc, bidder, made["id"], {"lot": lot})
        with pytest.raises(RuleViolation) as plain:
            bids.submit(deployed.svc, bidder, made["id"], {"lot": lot, "price": 9000000})
        assert plain.value.rule.citation.article == 25
    finally:
        deployed.platform.engine.dispose()

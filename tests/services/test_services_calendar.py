"""Loading the yearly holiday notice recomputes the provisional deadlines it touches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from services_builders import World, a_tender_body, a_world

import tenderhub.calendar
from tenderhub.core.shared.errors import Forbidden, Invalid
from tenderhub.services import calendar, tenders
from tenderhub.services.tenders import get_tender

EXAMPLE = Path(tenderhub.calendar.__file__).parent / "examples" / "2027-example.json"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path, start="2026-12-18T09:00")
    yield w
    w.platform.engine.dispose()


def test_a_deadline_in_2027_is_provisional_until_the_notice_is_loaded_and_then_moves_off_the_new_holiday(world: World) -> None:
    tenderer = world.subject("tenderer", "tenderer", 1)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body(deadline="2027-02-11T09:30"))
    tenders.publish(world.svc, tenderer, made["id"], {"doc_sale_end": "2026-12-28"})
    lot = get_tender(world.svc, world.operator, made["id"])["lots"][0]
    assert lot["deadline_provisional"] is True and lot["deadline"].startswith("2027-02-11T09:30")
    result = calendar.load_notice(world.svc, world.operator, json.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert result["deadlines_changed"] == 1
    lot = get_tender(world.svc, world.operator, made["id"])["lots"][0]
    assert lot["deadline_provisional"] is False
    assert lot["deadline"].startswith("2027-02-14T09:30")
    with world.svc.uow(None) as uow:
        assert [r.tag for r in uow.audit.list(tag="procedure:deadline:recomputed")] == ["procedure:deadline:recomputed"]


def test_only_an_operator_loads_a_notice_and_a_bad_notice_names_its_field(world: World) -> None:
    tenderer = world.subject("tenderer", "tenderer", 1)
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    with pytest.raises(Forbidden):
        calendar.load_notice(world.svc, tenderer, data)
    with pytest.raises(Invalid) as bad:
        calendar.load_notice(world.svc, world.operator, {**data, "holidays": ["2028-01-01"]})
    assert bad.value.field is not None and "holidays" in bad.value.field

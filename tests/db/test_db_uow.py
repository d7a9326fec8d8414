"""The unit of work: versions, races, rollback, and nothing ever half written."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from db_aggregates import T0, Lot, Status, a_tender

from tenderhub.core.shared.errors import Conflict, NotFound
from tenderhub.db import tables
from tenderhub.db.uow import UnitOfWork

UowFactory = Callable[..., UnitOfWork]


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _version(engine: sa.Engine, tender_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(tables.tenders.c.version).where(tables.tenders.c.id == tender_id)
            ).scalar_one()
        )


def test_an_added_tender_is_read_back_equal_with_version_one(
    uow_factory: UowFactory, engine: sa.Engine
) -> None:
    tender = a_tender()
    with uow_factory() as uow:
        uow.tenders.add(tender)
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.tenders.get(tender.id)
        assert loaded == tender and uow.tenders.version_of(loaded) == 1
        assert uow.tenders.get_by_code(tender.code) is loaded
    assert _version(engine, tender.id) == 1


def test_a_changed_tender_is_written_back_with_the_next_version(
    uow_factory: UowFactory, engine: sa.Engine
) -> None:
    tender = a_tender()
    with uow_factory() as uow:
        uow.tenders.add(tender)
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.tenders.get(tender.id)
        loaded.lots.append(Lot(2, "lot two", loaded.lots[0].budget, None))
        loaded.publish()
        uow.commit()
        assert uow.tenders.version_of(loaded) == 2
    with uow_factory() as uow:
        again = uow.tenders.get(tender.id)
        assert again.status is Status.PUBLISHED and len(again.lots) == 2
        assert uow.tenders.list(status=Status.PUBLISHED) == [again]
    assert _version(engine, tender.id) == 2


def test_an_unchanged_tender_is_not_rewritten(uow_factory: UowFactory, engine: sa.Engine) -> None:
    tender = a_tender()
    with uow_factory() as uow:
        uow.tenders.add(tender)
        uow.commit()
    with uow_factory() as uow:
        uow.tenders.get(tender.id)
        uow.commit()
    assert _version(engine, tender.id) == 1


def test_two_units_of_work_racing_on_one_tender_end_in_a_conflict(
    uow_factory: UowFactory, engine: sa.Engine
) -> None:
    tender = a_tender()
    with uow_factory() as uow:
        uow.tenders.add(tender)
        uow.commit()
    with uow_factory() as first, uow_factory() as second:
        mine, theirs = first.tenders.get(tender.id), second.tenders.get(tender.id)
        theirs.rename("theirs")
        second.commit()
        mine.rename("mine")
        with pytest.raises(Conflict):
            first.commit()
    with uow_factory() as uow:
        assert uow.tenders.get(tender.id).title == "theirs"
    assert _version(engine, tender.id) == 2
    assert _count(engine, tables.audit_events) == _count(engine, tables.outbox) == 1


def test_a_stale_version_is_a_conflict_naming_the_tender(
    uow_factory: UowFactory, engine: sa.Engine
) -> None:
    tender = a_tender()
    with uow_factory() as uow:
        uow.tenders.add(tender)
        uow.commit()
    with uow_factory() as uow:
        loaded = uow.tenders.get(tender.id)
        with engine.begin() as conn:  # someone else wrote in between, and is gone already
            conn.execute(sa.update(tables.tenders).values(version=5))
        loaded.rename("late")
        with pytest.raises(Conflict, match=tender.id):
            uow.commit()


def test_leaving_without_commit_writes_nothing(uow_factory: UowFactory, engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), uow_factory() as uow:
        tender = a_tender()
        uow.tenders.add(tender)
        tender.publish()
        raise RuntimeError("boom")
    assert [_count(engine, t) for t in (tables.tenders, tables.audit_events, tables.outbox)] == [
        0,
        0,
        0,
    ]


def test_a_commit_failing_halfway_leaves_no_partial_write(
    uow_factory: UowFactory, engine: sa.Engine
) -> None:
    good, bad = a_tender(), a_tender()
    with uow_factory() as uow:
        uow.tenders.add(good)
        uow.tenders.add(bad)
        uow.commit()
    with uow_factory() as uow:
        first, second = uow.tenders.get(good.id), uow.tenders.get(bad.id)
        first.publish()
        second.publish(
            when=T0.replace(tzinfo=None)
        )  # naive datetime: the audit row cannot be written
        with pytest.raises(ValueError, match="naive"):
            uow.commit()
    with uow_factory() as uow:
        assert uow.tenders.get(good.id).status is Status.DRAFT
    assert [_count(engine, t) for t in (tables.audit_events, tables.outbox)] == [0, 0]
    assert _version(engine, good.id) == 1


def test_a_duplicate_code_is_a_conflict_and_nothing_else_is_kept(
    uow_factory: UowFactory, engine: sa.Engine
) -> None:
    with uow_factory() as uow:
        uow.tenders.add(a_tender(code="T-1"))
        uow.commit()
    with uow_factory() as uow:
        uow.sequences.next("tender")
        with pytest.raises(Conflict):
            uow.tenders.add(a_tender(code="T-1"))
    assert _count(engine, tables.tenders) == 1 and _count(engine, tables.sequences) == 0


def test_a_missing_tender_is_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(NotFound):
        uow.tenders.get("nope")
    with uow_factory() as uow, pytest.raises(NotFound):
        uow.tenders.get_by_code("nope")


def test_events_become_outbox_rows_in_the_same_commit(uow_factory: UowFactory) -> None:
    tender = a_tender()
    with uow_factory() as uow:
        uow.tenders.add(tender)
        tender.publish(amount="12.30")
        records = uow.commit()
    with uow_factory() as uow:
        [message] = uow.outbox.pending()
        assert (message.id, message.topic, message.key) == (
            records[0].id,
            "procedure:tender:published",
            tender.id,
        )
        assert message.payload["data"] == {"amount": "12.30"} and message.payload["actor"] == "u-1"
        uow.outbox.mark_sent(message.id, at=T0)
        uow.commit()
    with uow_factory() as uow:
        assert uow.outbox.pending() == [] and uow.outbox.all()[0].attempts == 1

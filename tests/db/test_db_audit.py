"""The audit hash chain: continuous across commits, and tampering is found."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from db_aggregates import a_tender

from tenderhub.db import tables
from tenderhub.db.repositories.audit import GENESIS
from tenderhub.db.uow import UnitOfWork

UowFactory = Callable[..., UnitOfWork]


@pytest.fixture
def chained(uow_factory: UowFactory) -> UowFactory:
    """Four audit rows written by three commits."""
    tender = a_tender()
    with uow_factory() as uow:
        uow.tenders.add(tender)
        tender.rename("one")
        tender.rename("two")
        uow.commit()
    for title in ("three", "four"):
        with uow_factory(actor=None) as uow:
            uow.tenders.get(tender.id).rename(title)
            uow.commit()
    return uow_factory


def test_rows_link_to_the_previous_hash_across_commits(chained: UowFactory) -> None:
    with chained() as uow:
        rows = uow.audit.list()
        assert [r.prev_hash for r in rows] == [GENESIS, *(r.hash for r in rows[:-1])]
        assert [r.data["title"] for r in rows] == ["one", "two", "three", "four"]
        assert (rows[0].actor, rows[0].role, rows[0].ip, rows[0].device) == (
            "u-1",
            "agent",
            "10.0.0.1",
            "web",
        )
        assert rows[-1].actor == "u-1" and rows[-1].role == ""  # no actor context: the event's `by`
        assert uow.audit.verify_chain() is None
        assert uow.audit.head() == (rows[-1].seq, rows[-1].hash)


def _tamper(engine: sa.Engine, *statements: sa.Executable) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


def _seqs(chained: UowFactory) -> list[int]:
    with chained() as uow:
        return [r.seq for r in uow.audit.list()]


def _verify(chained: UowFactory) -> int | None:
    with chained() as uow:
        return uow.audit.verify_chain()


def test_a_changed_row_is_found(chained: UowFactory, engine: sa.Engine) -> None:
    seqs, t = _seqs(chained), tables.audit_events
    _tamper(engine, sa.update(t).where(t.c.seq == seqs[1]).values(reason="edited"))
    assert _verify(chained) == seqs[1]


def test_a_deleted_row_is_found_at_the_next_one(chained: UowFactory, engine: sa.Engine) -> None:
    seqs, t = _seqs(chained), tables.audit_events
    _tamper(engine, sa.delete(t).where(t.c.seq == seqs[1]))
    assert _verify(chained) == seqs[2]


def test_reordered_rows_are_found(chained: UowFactory, engine: sa.Engine) -> None:
    seqs, t = _seqs(chained), tables.audit_events
    _tamper(
        engine,
        sa.update(t).where(t.c.seq == seqs[1]).values(seq=-1),
        sa.update(t).where(t.c.seq == seqs[2]).values(seq=seqs[1]),
        sa.update(t).where(t.c.seq == -1).values(seq=seqs[2]),
    )
    assert _verify(chained) == seqs[1]


def test_an_event_without_an_aggregate_is_recorded_too(uow_factory: UowFactory) -> None:
    from db_aggregates import T0

    from tenderhub.core.shared.events import DomainEvent

    with uow_factory() as uow:
        uow.record(
            DomainEvent("calendar:notice:loaded", "calendar:2025", T0, "u-1", "", {"year": 2025})
        )
        uow.commit()
    with uow_factory() as uow:
        [row] = uow.audit.list(tag="calendar:notice:loaded")
        assert row.target == "calendar:2025" and row.at == T0 and uow.audit.verify_chain() is None

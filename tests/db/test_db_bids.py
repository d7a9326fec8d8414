"""Bids and registrations in their own rows (ADR 0010): the tender document holds neither; a
use case can load only a bidder's and writes back only those; the tender's version covers them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from builders import T0, a_bidder, a_form, a_published_tender, an_act, with_bids

from tenderhub.core.bids import submission
from tenderhub.core.bids.model import BidStatus, PartialList
from tenderhub.core.procedures.model import Tender
from tenderhub.core.shared.errors import Conflict
from tenderhub.db import migrate, tables
from tenderhub.db.engine import make_engine
from tenderhub.db.uow import AggregateClasses, UnitOfWork

Uow = Callable[[], UnitOfWork]
LATER = an_act(at=T0 + timedelta(days=2), by="bidder-2")


@pytest.fixture
def uow(session_factory: sessionmaker[Session]) -> Uow:
    return lambda: UnitOfWork(session_factory, classes=AggregateClasses(tender=Tender))


@pytest.fixture
def stored(uow: Uow) -> Iterator[Tender]:
    tender = a_published_tender()
    with_bids(tender, 3)
    with uow() as u:
        u.tenders.add(tender)
        u.commit()
    yield tender


def rows(engine: sa.Engine) -> dict[str, tuple[int, int, str]]:
    t = tables.tender_bids
    with engine.connect() as conn:
        return {r.id: (r.seq, r.version, r.status) for r in conn.execute(sa.select(t.c.id, t.c.seq, t.c.version, t.c.status))}


def tender_row(engine: sa.Engine) -> tuple[int, dict]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        row = conn.execute(sa.select(tables.tenders.c.version, tables.tenders.c.doc)).one()
    return row.version, row.doc


def test_bids_are_stored_as_rows_and_the_tender_document_has_none(stored: Tender, uow: Uow, engine: sa.Engine) -> None:
    version, doc = tender_row(engine)
    assert "bids" not in doc["lots"][0] and "registrations" not in doc["lots"][0] and version == 1
    assert rows(engine) == {f"lot-1-b1-{n}": (n - 1, 1, "submitted") for n in (1, 2, 3)}
    with uow() as u:
        again = u.tenders.get(stored.id)
    assert type(again.lots[0].bids) is list and again.lots[0].bids == stored.lots[0].bids
    assert again.lots[0].registrations == stored.lots[0].registrations and len(again.lots[0].registrations) == 3


def test_a_bidders_load_holds_only_its_bids_and_writes_back_only_them(stored: Tender, uow: Uow, engine: sa.Engine) -> None:
    with uow() as u:
        tender = u.tenders.get_for_update(stored.id, bidder_id="bidder-2")
        bids, registrations = tender.lot("lot-1").bids, tender.lot("lot-1").registrations
        assert isinstance(bids, PartialList) and [b.id for b in bids] == ["lot-1-b1-2"] and bids.total == 3
        assert isinstance(registrations, PartialList) and [r.bidder_id for r in registrations] == ["bidder-2"]
        submission.withdraw(tender, LATER, bid_id="lot-1-b1-2", bidder_id="bidder-2")
        u.commit()
    assert rows(engine) == {"lot-1-b1-1": (0, 1, "submitted"), "lot-1-b1-2": (1, 2, "withdrawn"), "lot-1-b1-3": (2, 1, "submitted")}
    assert tender_row(engine)[0] == 1  # under the tender's lock a changed bid leaves its version (ADR 0014)


def test_a_bid_changed_without_the_tender_lock_raises_the_tenders_version(stored: Tender, uow: Uow, engine: sa.Engine) -> None:
    with uow() as u:
        tender = u.tenders.get(stored.id, bidder_id="bidder-2")
        submission.withdraw(tender, LATER, bid_id="lot-1-b1-2", bidder_id="bidder-2")
        u.commit()
    assert tender_row(engine)[0] == 2  # optimistic: the version covers the bids


def test_a_tender_read_before_its_lock_was_taken_still_has_its_version_checked(stored: Tender, uow: Uow, engine: sa.Engine) -> None:
    with uow() as u:
        u.tenders.get(stored.id, bidder_id="bidder-2")  # read without the lock: what it saw may be stale
        with engine.begin() as conn:  # meanwhile someone else changes the tender
            conn.execute(sa.update(tables.tenders).values(version=2))
        with pytest.raises((Conflict, sa.exc.OperationalError)):  # SQLite: its snapshot cannot take the lock
            tender = u.tenders.get_for_update(stored.id, bidder_id="bidder-2")
            submission.withdraw(tender, LATER, bid_id="lot-1-b1-2", bidder_id="bidder-2")
            u.commit()  # PostgreSQL: the version check finds the change
    assert rows(engine)["lot-1-b1-2"] == (1, 1, "submitted")


def test_a_new_bid_in_a_partial_load_is_inserted_with_the_lots_next_number(stored: Tender, uow: Uow, engine: sa.Engine) -> None:
    bidder = a_bidder(4)
    with uow() as u:
        tender = u.tenders.get_for_update(stored.id, bidder_id=bidder.bidder_id)
        submission.register(tender, LATER, lot_id="lot-1", bidder=bidder)
        submission.submit(tender, LATER, lot_id="lot-1", bidder=bidder, form=a_form(), documents=[])
        u.commit()
    assert rows(engine)["lot-1-b1-4"] == (3, 1, "submitted")
    with engine.connect() as conn:
        registered = conn.execute(sa.select(tables.tender_registrations.c.id, tables.tender_registrations.c.seq)).all()
    assert sorted(registered) == [(f"lot-1-r1-{n}", n - 1) for n in (1, 2, 3, 4)]
    with uow() as u:
        assert [b.id for b in u.tenders.get(stored.id).lot("lot-1").bids] == [f"lot-1-b1-{n}" for n in (1, 2, 3, 4)]


def test_loading_again_without_a_filter_widens_to_every_bid_keeping_the_loaded_ones(stored: Tender, uow: Uow) -> None:
    with uow() as u:
        own = u.tenders.get(stored.id, bid_id="lot-1-b1-3").lot("lot-1").bids[0]
        whole = u.tenders.get(stored.id).lot("lot-1").bids
        assert type(whole) is list and [b.id for b in whole] == ["lot-1-b1-1", "lot-1-b1-2", "lot-1-b1-3"]
        assert whole[2] is own


def test_a_listing_after_a_partial_load_gives_every_bid(stored: Tender, uow: Uow) -> None:
    with uow() as u:
        u.tenders.get(stored.id, bidder_id="bidder-3")
        [listed] = u.tenders.list()
        assert type(listed.lot("lot-1").bids) is list and len(listed.lot("lot-1").bids) == 3
        assert len(listed.lot("lot-1").registrations) == 3


def test_an_unchanged_load_writes_nothing(stored: Tender, uow: Uow, engine: sa.Engine) -> None:
    with uow() as u:
        u.tenders.get_for_update(stored.id, bidder_id="bidder-1")
        u.commit()
    assert tender_row(engine)[0] == 1 and {v for _, v, _ in rows(engine).values()} == {1}


def test_a_bid_leaving_a_whole_list_deletes_its_row(stored: Tender, uow: Uow, engine: sa.Engine) -> None:
    with uow() as u:
        tender = u.tenders.get(stored.id)
        tender.lot("lot-1").bids.pop(0)
        u.commit()
    assert set(rows(engine)) == {"lot-1-b1-2", "lot-1-b1-3"}


def test_a_bid_changed_by_someone_else_is_a_stale_version(stored: Tender, uow: Uow, engine: sa.Engine) -> None:
    with uow() as u:
        tender = u.tenders.get(stored.id, bid_id="lot-1-b1-1")
        with engine.begin() as conn:
            conn.execute(sa.update(tables.tender_bids).where(tables.tender_bids.c.id == "lot-1-b1-1").values(version=7))
            conn.execute(sa.update(tables.tenders).values(version=1))
        tender.lot("lot-1").bids[0].status = BidStatus.WITHDRAWN
        with pytest.raises(Conflict) as refused:
            u.commit()
    assert refused.value.code == "stale_version" and rows(engine)["lot-1-b1-1"][2] == "submitted"


def test_revision_0003_moves_existing_bids_out_of_the_documents_and_back(db_url: str) -> None:
    migrate.upgrade(db_url, "0002")
    engine = make_engine(db_url)
    lot = {"id": "lot-1", "registrations": [{"id": "r1", "bidder_id": "u1"}],
           "bids": [{"id": f"b{n}", "bidder_id": f"u{n}", "status": "submitted", "x": n} for n in (1, 2)]}
    doc = {"lots": [lot, {"id": "lot-2"}], "code": "T"}
    with engine.begin() as conn:
        conn.execute(sa.insert(tables.tenders).values(id="t1", code="T", regime="works", status="active", title="t",
                                                      tenderer_id="s", created_at=T0, updated_at=T0, version=3, doc=doc))
    try:
        migrate.upgrade(db_url)
        assert set(tender_row(engine)[1]["lots"][0]) == {"id"}
        assert rows(engine) == {"b1": (0, 1, "submitted"), "b2": (1, 1, "submitted")}
        with engine.connect() as conn:
            assert conn.execute(sa.select(tables.tender_registrations.c.doc)).scalar_one() == {"id": "r1", "bidder_id": "u1"}
        migrate.downgrade(db_url, "0002")
        with engine.connect() as conn:
            assert conn.execute(sa.select(tables.tenders.c.doc)).scalar_one()["lots"][0] == lot
    finally:
        engine.dispose()


def test_after_a_commit_the_lock_is_gone_and_a_further_bid_change_raises_the_version(stored: Tender, uow: Uow, engine: sa.Engine) -> None:
    with uow() as u:
        tender = u.tenders.get_for_update(stored.id, bidder_id="bidder-2")
        u.commit()  # nothing changed; the lock is released
        submission.withdraw(tender, LATER, bid_id="lot-1-b1-2", bidder_id="bidder-2")
        u.commit()
    assert tender_row(engine)[0] == 2 and rows(engine)["lot-1-b1-2"] == (1, 2, "withdrawn")


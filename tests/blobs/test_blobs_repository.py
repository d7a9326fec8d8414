"""``BlobRepository`` on a real database built by the migrations (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenderhub.core.shared.errors import Conflict, NotFound
from tenderhub.db import migrate
from tenderhub.db.engine import make_engine, make_session_factory
from tenderhub.db.repositories.blobs import BlobRecord, BlobRepository

AT = datetime(2026, 12, 1, 2, 3, 4, tzinfo=UTC)
D1, D2, D3 = ("1" * 64, "2" * 64, "a" * 64)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with make_session_factory(engine)() as s:
        yield s
    engine.dispose()


def test_a_recorded_blob_reads_back(session: Session) -> None:
    repo = BlobRepository(session)
    repo.record(D1, 10, kind="bid_package", owner="subject-1", at=AT)
    session.commit()
    assert repo.get(D1) == BlobRecord(D1, 10, AT, "bid_package", "subject-1")
    assert repo.find(D2) is None


def test_the_same_content_recorded_twice_keeps_the_first_record(session: Session) -> None:
    repo = BlobRepository(session)
    first = repo.record(D1, 10, kind="bid_package", owner="a", at=AT)
    assert repo.record(D1, 10, kind="tender_document", owner="b", at=AT) == first
    with pytest.raises(Conflict):
        repo.record(D1, 11, kind="bid_package", owner="a", at=AT)


def test_records_are_listed_by_digest_and_filtered_and_paged(session: Session) -> None:
    repo = BlobRepository(session)
    for digest, owner in ((D3, "a"), (D1, "a"), (D2, "b")):
        repo.record(digest, 1, kind="bid_package", owner=owner, at=AT)
    assert [r.digest for r in repo.list()] == [D1, D2, D3]
    assert [r.digest for r in repo.list(owner="a")] == [D1, D3]
    assert [r.digest for r in repo.list(after=D1, limit=1)] == [D2]
    assert repo.count() == 3


def test_an_unknown_blob_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        BlobRepository(session).get(D1)


def test_the_blobs_migration_agrees_with_the_tables_and_round_trips(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert migrate.check(database_url) == []
    migrate.downgrade(database_url, "0001")
    engine = make_engine(database_url)
    assert not sa.inspect(engine).has_table("blobs")
    engine.dispose()
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == "0003" and migrate.check(database_url) == []

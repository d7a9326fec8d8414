"""A platform after a real procurement (scenario 01) with three stored bid files, on the
database ``database_url`` gives (SQLite, or PostgreSQL in the second run), ready to tamper."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from tenderhub.blobs import FileBlobStore, location
from tenderhub.core.shared.clock import FixedClock
from tenderhub.db.engine import make_engine, make_session_factory
from tenderhub.db.repositories.blobs import BlobRepository
from tenderhub.db.uow import UnitOfWork
from tenderhub.scenarios.runner import load, run
from tenderhub.settings import Settings

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "01-works-open-tender-happy-path.yaml"
FILES = (b"bid package one" * 100, b"bid package two" * 200, b"tender document")


@dataclass
class Platform:
    data_dir: Path
    url: str
    store: FileBlobStore
    digests: list[str]

    def args(self) -> list[str]:
        return ["--data-dir", str(self.data_dir), "--db", self.url]

    def sql(self, *statements: str, **params: object) -> None:
        """Tamper with raw SQL, as someone with database access would."""
        engine = make_engine(self.url)
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement), params)
        engine.dispose()

    def seqs(self) -> list[int]:
        engine = make_engine(self.url)
        with engine.connect() as conn:
            seqs = list(conn.execute(sa.text("SELECT seq FROM audit_events ORDER BY seq")).scalars())
        engine.dispose()
        return seqs


@pytest.fixture
def platform(database_url: str, tmp_path: Path) -> Platform:
    data_dir = tmp_path / "data"
    results = run(load(SCENARIO), Settings.load(data_dir=data_dir, db_url=database_url))
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    store = FileBlobStore(location(data_dir))
    refs = [store.put_stream(io.BytesIO(data)) for data in FILES]
    engine = make_engine(database_url)
    with UnitOfWork(make_session_factory(engine), clock=FixedClock(results[-1].at)) as uow:
        for ref in refs:
            BlobRepository(uow.session).record(ref.digest, ref.size, kind="bid_package", owner="bidder-1", at=uow.clock.now())
        uow.commit()
    engine.dispose()
    return Platform(data_dir, database_url, store, sorted(r.digest for r in refs))

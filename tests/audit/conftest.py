"""The ``platform`` fixture: see ``audit_support``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from audit_support import FILES, SCENARIO, Platform

from tenderhub.blobs import FileBlobStore, location
from tenderhub.core.shared.clock import FixedClock
from tenderhub.db.engine import make_engine, make_session_factory
from tenderhub.db.repositories.blobs import BlobRepository
from tenderhub.db.uow import UnitOfWork
from tenderhub.scenarios.runner import load, run
from tenderhub.settings import Settings


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

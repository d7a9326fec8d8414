"""Fixtures for the db tests: every test runs on SQLite and PostgreSQL, each on a fresh
database built by the migrations (a temp file; a throw-away schema on PostgreSQL).

PostgreSQL comes from ``TENDERHUB_TEST_PG_URL`` (default: the URL printed by
``scripts/ensure-postgres.sh``); it is skipped when unreachable unless
``TENDERHUB_REQUIRE_PG=1``, which turns the skip into a failure.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from db_aggregates import Expert, Notice, Subject, Tender, User
from sqlalchemy.orm import Session, sessionmaker

from db_support import fresh_pg_schema
from tenderhub.core.shared.clock import FixedClock
from tenderhub.db.context import ActorContext
from tenderhub.db.engine import make_engine, make_session_factory, sqlite_url_for
from tenderhub.db.migrate import upgrade
from tenderhub.db.uow import AggregateClasses, UnitOfWork

PG_DEFAULT = "postgresql+psycopg://tenderhub:tenderhub@127.0.0.1:5432/tenderhub_test"
CLASSES = AggregateClasses(
    tender=Tender, subject=Subject, user=User, expert=Expert, calendar=Notice
)
T0 = datetime(2025, 3, 1, 1, 2, 3, 456789, tzinfo=UTC)


def pg_base_url() -> str:
    return os.environ.get("TENDERHUB_TEST_PG_URL", PG_DEFAULT)


@functools.cache
def pg_problem() -> str | None:
    engine = sa.create_engine(pg_base_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return None
    except Exception as exc:  # any failure means "not reachable"
        return f"PostgreSQL unreachable at {pg_base_url()}: {type(exc).__name__}: {exc}"
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A blank database (nothing migrated) of each kind."""
    if request.param == "sqlite":
        yield sqlite_url_for(tmp_path)
        return
    problem = pg_problem()
    if problem:
        if os.environ.get("TENDERHUB_REQUIRE_PG") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    yield from fresh_pg_schema(pg_base_url())


@pytest.fixture
def migrated_url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


@pytest.fixture
def engine(migrated_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(migrated_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def uow_factory(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> Callable[..., UnitOfWork]:
    def make(
        actor: ActorContext | None = ActorContext("u-1", "agent", "10.0.0.1", "web"),
    ) -> UnitOfWork:
        return UnitOfWork(session_factory, classes=CLASSES, actor=actor, clock=clock)

    return make

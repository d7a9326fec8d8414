"""Suite-wide fixtures.

``database_url`` gives a fresh, empty database of the kind chosen by ``TENDERHUB_TEST_DB``:
``sqlite`` (default: a file in tmp_path) or ``postgresql`` (a throw-away schema on the server
at ``TENDERHUB_TEST_PG_URL``; ``make test`` starts that server). Tests that take it are marked
``db`` and run a second time on PostgreSQL in ``make test``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

PG_DEFAULT = "postgresql+psycopg://tenderhub:tenderhub@127.0.0.1:5432/tenderhub_test"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "db: uses the database_url fixture (runs on SQLite and PostgreSQL)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def database_kind() -> str:
    return os.environ.get("TENDERHUB_TEST_DB", "sqlite")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if database_kind() != "postgresql":
        yield f"sqlite:///{tmp_path / 'trading.db'}"
        return
    yield from fresh_pg_schema(os.environ.get("TENDERHUB_TEST_PG_URL", PG_DEFAULT))


def fresh_pg_schema(base: str) -> Iterator[str]:
    """A new schema on the PostgreSQL server, selected through ``search_path``; dropped after."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL unreachable at {base}: {exc}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()

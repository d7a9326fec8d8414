"""Test databases: a SQLite file, or a throw-away schema on the PostgreSQL test server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

PG_DEFAULT = "postgresql+psycopg://tenderhub:tenderhub@127.0.0.1:5432/tenderhub_test"


def database_kind() -> str:
    return os.environ.get("TENDERHUB_TEST_DB", "sqlite")


def fresh_database(tmp_path: object) -> Iterator[str]:
    """A fresh database of the kind ``TENDERHUB_TEST_DB`` selects (default SQLite)."""
    if database_kind() != "postgresql":
        yield f"sqlite:///{tmp_path}/trading.db"
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

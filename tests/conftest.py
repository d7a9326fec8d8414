"""Suite-wide fixtures.

``database_url`` gives a fresh, empty database of the kind chosen by ``TENDERHUB_TEST_DB``:
``sqlite`` (default: a file in tmp_path) or ``postgresql`` (a throw-away schema on the server
at ``TENDERHUB_TEST_PG_URL``; ``make test`` starts that server). Tests that take it are marked
``db`` and run a second time on PostgreSQL in ``make test``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from db_support import fresh_database


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "db: uses the database_url fixture (runs on SQLite and PostgreSQL)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(tmp_path)

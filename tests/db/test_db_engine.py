"""Engine settings and the UTC datetime column type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from tenderhub.db import tables
from tenderhub.db.engine import make_engine, sqlite_url_for


@pytest.mark.parametrize("group_sync", [True, False])
def test_sqlite_connections_use_wal_foreign_keys_busy_timeout_and_durable_sync(
    tmp_path: Path, group_sync: bool
) -> None:
    engine = make_engine(sqlite_url_for(tmp_path / "data"), group_sync=group_sync)
    with engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert (pragma("journal_mode"), pragma("foreign_keys"), pragma("synchronous")) == (
            "wal",
            1,
            # FULL: the WAL is fsynced inside every commit (ADR 0016); NORMAL only together with
            # the group fsync every writing commit waits for before it returns (ADR 0024)
            1 if group_sync else 2,
        )
        assert (conn.connection.dbapi_connection.wal_barrier is not None) is group_sync  # type: ignore[union-attr]
        assert pragma("busy_timeout") == 5000
    engine.dispose()
    assert (tmp_path / "data" / "tenderhub.db").exists()


def test_datetimes_come_back_aware_in_utc_with_microseconds(engine: sa.Engine) -> None:
    at = datetime(2025, 5, 1, 8, 30, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    with engine.begin() as conn:
        conn.execute(sa.insert(tables.sequences).values(name="x", value=1))
        conn.execute(
            sa.insert(tables.calendar_notices).values(
                year=2025, doc={}, loaded_at=at, loaded_by="me"
            )
        )
        back = conn.execute(sa.select(tables.calendar_notices.c.loaded_at)).scalar_one()
    assert back == at and back.tzinfo == UTC and back.microsecond == 123456


def test_naive_datetimes_are_refused_by_the_column_type(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive"), engine.begin() as conn:
        conn.execute(
            sa.insert(tables.calendar_notices).values(
                year=2025, doc={}, loaded_at=datetime(2025, 1, 1), loaded_by="me"
            )
        )

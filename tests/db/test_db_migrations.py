"""Migrations build the schema, undo it, rebuild it, and agree with the tables module."""

from __future__ import annotations

import sqlalchemy as sa

from tenderhub.db import migrate
from tenderhub.db.engine import make_engine
from tenderhub.db.tables import metadata


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip_leaves_no_diff(db_url: str) -> None:
    migrate.upgrade(db_url)
    assert _tables(db_url) == set(metadata.tables)
    assert migrate.check(db_url) == []
    migrate.downgrade(db_url, "base")
    assert _tables(db_url) == set()
    assert migrate.current(db_url) is None
    migrate.upgrade(db_url)
    assert migrate.current(db_url) == "0003"
    assert migrate.check(db_url) == []


def test_the_migration_scripts_ship_inside_the_package() -> None:
    assert (migrate.MIGRATIONS / "env.py").is_file()
    assert "MIGRATION SAFETY CHECKLIST" in (migrate.MIGRATIONS / "script.py.mako").read_text()
    assert list((migrate.MIGRATIONS / "versions").glob("0001_*.py"))

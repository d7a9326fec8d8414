"""The hub's migrations build its schema, undo it, rebuild it, and agree with its models."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tenderhub.db.engine import make_engine
from tenderhub.hub import migrate
from tenderhub.hub.context import open_hub
from tenderhub.hub.schema import table_names

FTS_AND_VERSION = {"hub_alembic_version"}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        names = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return {n for n in names if not n.startswith("portal_announcements_fts")} - FTS_AND_VERSION


def test_upgrade_downgrade_upgrade_round_trip_leaves_no_diff(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert _tables(database_url) == table_names()
    assert migrate.check(database_url) == []
    migrate.downgrade(database_url, "base")
    assert _tables(database_url) == set()
    assert migrate.current(database_url) is None
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == "0005"
    assert migrate.check(database_url) == []


def test_open_hub_migrates_and_full_text_search_works(database_url: str, tmp_path: Path) -> None:
    from tenderhub.hub.search import schema as search

    hub = open_hub(tmp_path, database_url)
    try:
        assert migrate.current(database_url) == "0005"
        with hub.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                found = conn.exec_driver_sql(f"SELECT name FROM sqlite_master WHERE name = '{search.FTS}'").first()
            else:
                found = conn.exec_driver_sql(
                    "SELECT 1 FROM information_schema.columns "
                    "WHERE table_name = 'portal_announcements' AND column_name = 'tsv'").first()
        assert found is not None
    finally:
        hub.close()
    open_hub(tmp_path, database_url).close()  # a second start finds the schema current


def test_a_hub_database_made_before_migrations_is_adopted(database_url: str, tmp_path: Path) -> None:
    """Hubs before revision 0001 built their tables with create_all: the first migrated start
    recognises such a schema and stamps it instead of failing on existing tables."""
    engine = make_engine(database_url)
    try:
        from tenderhub.hub.schema import metadatas

        for metadata in metadatas():
            metadata.create_all(engine)
    finally:
        engine.dispose()
    open_hub(tmp_path, database_url).close()
    assert migrate.current(database_url) == "0005"
    assert migrate.check(database_url) == []


def test_the_migration_scripts_ship_inside_the_package() -> None:
    assert (migrate.MIGRATIONS / "env.py").is_file()
    assert "MIGRATION SAFETY CHECKLIST" in (migrate.MIGRATIONS / "script.py.mako").read_text()
    assert list((migrate.MIGRATIONS / "versions").glob("0001_*.py"))

"""Alembic driven from code: no alembic.ini, the scripts ship inside the package.

``upgrade(url)``, ``downgrade(url, rev)`` and ``check(url)`` (the autogenerate diff between
``tables.metadata`` and the migrated database; empty when they agree).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from tenderhub.db.engine import make_engine
from tenderhub.db.tables import metadata

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str, location: Path = MIGRATIONS) -> Config:
    """The Alembic config; the URL travels in ``attributes`` (no ``%`` interpolation).
    ``location``: another history's scripts (the hub's, ``hub/migrate.py``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, rev: str = "head") -> None:
    command.upgrade(alembic_config(url), rev)


def downgrade(url: str, rev: str) -> None:
    command.downgrade(alembic_config(url), rev)


def current(url: str, version_table: str = "alembic_version") -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn, opts={"version_table": version_table}).get_current_revision()
    finally:
        engine.dispose()


def check(url: str, models: Any = metadata, **opts: Any) -> list[Any]:
    """Differences between the models and the migrated schema (``[]`` means in sync);
    ``models`` and ``opts`` (version table, include filter) for another history."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, **opts})
            return list(compare_metadata(ctx, models))
    finally:
        engine.dispose()

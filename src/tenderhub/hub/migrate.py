"""The hub database's migrations (Alembic, driven from code like ``tenderhub.db.migrate``).

The hub keeps its own revision history in ``hub/migrations/versions`` and its own version
table ``hub_alembic_version``, so a hub and a trading platform could even share one database
without their histories mixing (they do not by default: each has its own). ``open_hub`` runs
``upgrade`` on start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from tenderhub.db import migrate
from tenderhub.db.engine import make_engine
from tenderhub.hub.schema import include_object, metadatas

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "hub_alembic_version"


def alembic_config(url: str) -> Config:
    return migrate.alembic_config(url, MIGRATIONS)


def upgrade(url: str, rev: str = "head") -> None:
    command.upgrade(alembic_config(url), rev)


def downgrade(url: str, rev: str) -> None:
    command.downgrade(alembic_config(url), rev)


def current(url: str) -> str | None:
    return migrate.current(url, VERSION_TABLE)


def check(url: str) -> list[Any]:
    """Differences between the hub's models and the migrated schema (``[]``: in sync)."""
    return migrate.check(url, metadatas(), version_table=VERSION_TABLE, include_object=include_object)


def prepare(url: str) -> None:
    """Bring the hub database at ``url`` to the newest revision; ``open_hub`` calls it.

    A hub database made before the hub had migrations (tables built by ``create_all``, no
    ``hub_alembic_version``) is adopted: what is missing is created the old way and the
    database is stamped ``0001``, which is exactly what those tables were."""
    if current(url) is None and _has_hub_tables(url):
        _create_missing(url)
        command.stamp(alembic_config(url), "0001")
    upgrade(url)


def _has_hub_tables(url: str) -> bool:
    engine = make_engine(url)
    try:
        return "hub_platforms" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _create_missing(url: str) -> None:
    from tenderhub.hub import tables, transparency
    from tenderhub.hub.portal import store

    engine = make_engine(url)
    try:
        tables.create_all(engine)
        transparency.create_tables(engine)
        store.create_tables(engine)
    finally:
        engine.dispose()

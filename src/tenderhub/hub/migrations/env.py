"""Alembic environment of the hub's database (see ``hub/migrate.py``)."""

from __future__ import annotations

from alembic import context

from tenderhub.db.engine import make_engine
from tenderhub.hub.migrate import VERSION_TABLE
from tenderhub.hub.schema import include_object, metadatas

config = context.config


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: use tenderhub.hub.migrate.upgrade(url)")
    return str(url)


def run_online() -> None:
    engine = make_engine(_url(), sqlite_foreign_keys=False)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadatas(),
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
                version_table=VERSION_TABLE,
                include_object=include_object,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("the hub's migrations run online only (tenderhub.hub.migrate.upgrade)")
run_online()

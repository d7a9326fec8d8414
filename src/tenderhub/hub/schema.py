"""Every table of the hub's database, for its migrations (``hub/migrate.py``).

The hub's tables live in four ``MetaData`` objects: ``hub.tables.metadata`` (registry,
releases, feed, receipts, and the tables the blacklist, subjects, trust list, single sign-on,
investment projects, credit records, the hub tree's upstream cursor, the lower hubs' tree heads
(``hub/monitor.py``) and flags (``hub/flags.py``) and the portal define on it), the transparency log's
(``hub.tlog.sqlstore``), its chain-head index (``hub.transparency``) and the portal's search
index (``hub.search.schema``). ``metadatas()`` imports every module that defines a table, so
none is missed, and returns the four.

Full-text search needs statements SQLAlchemy does not model (an FTS5 virtual table and its
triggers on SQLite, a generated ``tsvector`` column and a GIN index on PostgreSQL); the
migrations run them through ``hub.search.schema`` and ``IGNORED`` keeps them out of the
comparison with the models.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# objects made by raw DDL, not by the models: left out of migrate.check's comparison
IGNORED = frozenset({"portal_announcements_fts", "tsv", "portal_announcements_tsv"})


def metadatas() -> list[sa.MetaData]:
    from tenderhub.hub import (  # noqa: F401
        blacklist,
        credit,
        crls,
        crlsources,
        flags,
        monitor,
        projects,
        proven,
        sso,
        subjects,
        tables,
        transparency,
        tree,
        trust,
        upstream,
    )
    from tenderhub.hub.portal import store  # noqa: F401
    from tenderhub.hub.search import schema as search
    from tenderhub.hub.tlog import sqlstore

    return [tables.metadata, transparency.metadata, sqlstore.metadata, search.metadata]


def table_names() -> set[str]:
    return {name for metadata in metadatas() for name in metadata.tables}


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter: leave the full-text objects (and FTS5's shadow tables) alone."""
    if name is None:
        return True
    return name not in IGNORED and not name.startswith("portal_announcements_fts_")

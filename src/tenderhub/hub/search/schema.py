"""The portal index on SQL (SQLite or PostgreSQL), in its own ``MetaData``.

``portal_announcements`` holds every announcement and its token string (``tokens``). Its
primary key ``sort_key`` is the publication second × 10⁶ + a slot, so the newest-first
order is the key order and the full-text index can walk its postings from the newest row
and stop after one page:

* SQLite: FTS5 table ``portal_announcements_fts``, external content (the ``tokens``
  column, rowid = ``sort_key``), kept in step by triggers, tokenizer ``ascii`` (white space
  splits, every non-ASCII character is part of a token, so the Python tokens are stored as
  they are, independent of SQLite's Unicode 6.1 tables), ``detail=none`` (no positions:
  queries only AND tokens).
* PostgreSQL: a generated column ``tsv = array_to_tsvector(string_to_array(tokens, ' '))``
  (the tokens as lexemes verbatim, no parser, no positions) with a GIN index.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
SLOTS = 1_000_000  # sort keys per publication second

announcements = sa.Table(
    "portal_announcements",
    metadata,
    sa.Column("sort_key", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=False),
    sa.Column("uid", sa.String(200), nullable=False, unique=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("ocid", sa.String(128), nullable=False),
    sa.Column("platform", sa.String(128), nullable=False),
    sa.Column("region", sa.String(12), nullable=False),
    sa.Column("industry", sa.String(64)),
    sa.Column("method", sa.String(32)),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("value", sa.Numeric(20, 2)),
    sa.Column("tokens", sa.Text, nullable=False),
)
sa.Index("portal_announcements_ocid", announcements.c.ocid)

FTS = "portal_announcements_fts"
GIN = "portal_announcements_tsv"

_SQLITE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(tokens, content='portal_announcements', "
    "content_rowid='sort_key', tokenize='ascii', detail='none')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON portal_announcements BEGIN "
    f"INSERT INTO {FTS}(rowid, tokens) VALUES (new.sort_key, new.tokens); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON portal_announcements BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, tokens) VALUES ('delete', old.sort_key, old.tokens); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE ON portal_announcements BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, tokens) VALUES ('delete', old.sort_key, old.tokens); "
    f"INSERT INTO {FTS}(rowid, tokens) VALUES (new.sort_key, new.tokens); END",
]
_POSTGRESQL = [
    "ALTER TABLE portal_announcements ADD COLUMN IF NOT EXISTS tsv tsvector "
    "GENERATED ALWAYS AS (array_to_tsvector(string_to_array(tokens, ' '))) STORED",
    f"CREATE INDEX IF NOT EXISTS {GIN} ON portal_announcements USING gin (tsv)",
]


def create_tables(engine: sa.Engine, *, fulltext_index: bool = True) -> None:
    """Create the index's tables if absent (the hub's database). ``fulltext_index=False``
    leaves out PostgreSQL's GIN index, for a bulk load followed by ``create_gin_index``."""
    metadata.create_all(engine)
    if engine.dialect.name == "sqlite":
        statements = _SQLITE
    else:
        statements = _POSTGRESQL if fulltext_index else _POSTGRESQL[:1]
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def create_gin_index(engine: sa.Engine) -> None:
    """PostgreSQL: the GIN index, built in one pass (after a bulk load). No-op on SQLite."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql(_POSTGRESQL[-1])


def optimize(engine: sa.Engine) -> None:
    """After a bulk load: merge FTS5 segments and ANALYZE (SQLite); VACUUM ANALYZE (PostgreSQL)."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO {FTS}({FTS}) VALUES ('optimize')")
            conn.exec_driver_sql("ANALYZE")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE portal_announcements")


def drop_tables(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS}")
    metadata.drop_all(engine)

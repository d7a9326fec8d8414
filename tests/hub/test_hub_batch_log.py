"""``SqlLeafStore.append_many`` in batches of any size and start (the left siblings read in one
query) builds the same tree as one leaf at a time in memory (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tenderhub.db.engine import make_engine
from tenderhub.hub.tlog import (
    MemoryLeafStore,
    MerkleLog,
    SqlLeafStore,
    create_tables,
    verify_consistency,
    verify_inclusion,
)


def test_batches_of_every_size_give_the_roots_and_proofs_of_single_appends(database_url: str) -> None:
    engine = make_engine(database_url)
    create_tables(engine)
    sql, memory = MerkleLog(SqlLeafStore(engine)), MerkleLog(MemoryLeafStore())
    sizes, start = [1, 2, 3, 1, 7, 16, 5, 31, 1, 64, 13], 0
    try:
        for size in sizes:
            entries = [f"entry {start + i}".encode() for i in range(size)]
            with engine.begin() as conn:
                assert MerkleLog(SqlLeafStore(conn)).append_many(entries) == list(range(start, start + size))
            for entry in entries:
                memory.append(entry)
            old, start = start, start + size
            assert sql.root() == memory.root() and sql.size() == start
            assert verify_consistency(old, start, sql.root(old), sql.root(), sql.consistency_proof(old, start))
        for index in (0, 1, 5, 63, start - 1):
            assert verify_inclusion(memory.leaf_hash(index), index, start, sql.inclusion_proof(index), memory.root())
        with engine.connect() as conn:  # every perfect subtree stored once
            assert conn.execute(sa.text("SELECT count(*) FROM tlog_nodes")).scalar_one() == start - bin(start).count("1")
    finally:
        engine.dispose()


def test_leaves_reserved_staged_and_written_later_in_the_transaction_build_the_same_tree(database_url: str) -> None:
    """ADR 0033: the ingest reserves the log's end, hashes the leaves while the release rows are
    stored, then writes them; the tree is the one of single appends, and reserving needs the
    caller's transaction."""
    from tenderhub.hub.tlog.sqlstore import stage

    engine = make_engine(database_url)
    create_tables(engine)
    sql, memory = MerkleLog(SqlLeafStore(engine)), MerkleLog(MemoryLeafStore())
    try:
        for start, size in ((0, 5), (5, 1), (6, 26)):
            entries = [f"entry {start + i}".encode() for i in range(size)]
            with engine.begin() as conn:
                reserved = SqlLeafStore(conn).reserve()
                assert reserved.start == start
                SqlLeafStore(conn).write(stage(reserved, entries))
            for entry in entries:
                memory.append(entry)
            assert sql.root() == memory.root() and sql.size() == start + size
        with pytest.raises(TypeError, match="caller's transaction"):
            SqlLeafStore(engine).reserve()
    finally:
        engine.dispose()

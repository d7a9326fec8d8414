"""The log on SQL (SQLite, and PostgreSQL in the second run): the same tree as in memory,
appends one by one or in a batch, in the caller's transaction, and O(log n) reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tenderhub.core.shared.errors import Invalid
from tenderhub.hub.tlog import (
    MemoryLeafStore,
    MerkleLog,
    SqlLeafStore,
    create_tables,
    verify_consistency,
    verify_inclusion,
)
from tenderhub.hub.tlog.sqlstore import leaves, nodes


def entry(i: int) -> bytes:
    return f"entry {i} 招标".encode()


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url)
    create_tables(engine)
    yield engine
    engine.dispose()


def memory_log(n: int) -> MerkleLog:
    log = MerkleLog(MemoryLeafStore())
    log.append_many(entry(i) for i in range(n))
    return log


def test_appends_one_by_one_and_in_a_batch_build_the_memory_tree(engine: sa.Engine) -> None:
    log, reference = MerkleLog(SqlLeafStore(engine)), memory_log(300)
    assert [log.append(entry(i)) for i in range(21)] == list(range(21))
    assert log.append_many(entry(i) for i in range(21, 300)) == list(range(21, 300))
    assert log.size() == 300 and log.append_many([]) == []
    assert [log.root(n) for n in (0, 1, 21, 22, 128, 255, 300)] == [reference.root(n) for n in (0, 1, 21, 22, 128, 255, 300)]
    assert log.inclusion_proof(200, 300) == reference.inclusion_proof(200, 300)
    assert log.consistency_proof(21, 300) == reference.consistency_proof(21, 300)


def test_every_perfect_subtree_is_stored_with_its_leaf(engine: sa.Engine) -> None:
    MerkleLog(SqlLeafStore(engine)).append_many(entry(i) for i in range(100))
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(nodes)).scalar_one()
        top = conn.execute(sa.select(sa.func.max(nodes.c.level))).scalar_one()
    assert stored == 50 + 25 + 12 + 6 + 3 + 1 and top == 6


def test_entries_come_back_in_order(engine: sa.Engine) -> None:
    log = MerkleLog(SqlLeafStore(engine))
    log.append_many(entry(i) for i in range(2500))
    got = list(log.entries(1990, 2010))
    assert got == [(i, entry(i)) for i in range(1990, 2010)]
    assert sum(1 for _ in log.entries()) == 2500


def test_a_log_bound_to_a_connection_appends_in_the_callers_transaction(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        MerkleLog(SqlLeafStore(conn)).append_many([b"a", b"b", b"c"])
        conn.rollback()
    assert MerkleLog(SqlLeafStore(engine)).size() == 0
    with engine.begin() as conn:
        MerkleLog(SqlLeafStore(conn)).append_many([b"a", b"b", b"c"])
    assert MerkleLog(SqlLeafStore(engine)).size() == 3


def test_create_tables_is_idempotent_and_uses_only_the_logs_tables(engine: sa.Engine) -> None:
    create_tables(engine)
    names = set(sa.inspect(engine).get_table_names())
    assert {"tlog_leaves", "tlog_nodes"} <= names and leaves.metadata is nodes.metadata


def test_a_root_or_proof_is_two_queries_in_a_log_of_thousands(engine: sa.Engine) -> None:
    log = MerkleLog(SqlLeafStore(engine))
    log.append_many(entry(i) for i in range(5000))
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    root = log.root(4999)
    proof = log.inclusion_proof(1234, 4999)
    consistency = log.consistency_proof(3001, 4999)
    # per request: the size (an index lookup, max(idx)) and one read of all the hashes needed
    assert len(statements) == 6 and sum("tlog_nodes" in s for s in statements) == 3
    reference = memory_log(5000)
    assert root == reference.root(4999) and verify_inclusion(reference.leaf_hash(1234), 1234, 4999, proof, root)
    assert verify_consistency(3001, 4999, reference.root(3001), root, consistency)


def test_many_inclusion_proofs_at_once_are_each_the_proof_of_its_leaf(engine: sa.Engine) -> None:
    log, reference = MerkleLog(SqlLeafStore(engine)), memory_log(777)
    log.append_many(entry(i) for i in range(777))
    indices = [0, 1, 2, 255, 256, 500, 775, 776, 1, 640]
    for size in (777, 700, 3):
        wanted = [i for i in indices if i < size]
        proofs = log.inclusion_proofs(wanted, size)
        assert proofs == [reference.inclusion_proof(i, size) for i in wanted] == reference.inclusion_proofs(wanted, size)
        assert all(verify_inclusion(reference.leaf_hash(i), i, size, p, reference.root(size)) for i, p in zip(wanted, proofs, strict=True))
    with pytest.raises(Invalid):
        log.inclusion_proofs([3, 777], 777)

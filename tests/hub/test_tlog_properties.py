"""Properties of the log for random sizes and indices, and its cost: roots and proofs read
O(log n) stored hashes, also in a log of 100,000 leaves."""

from __future__ import annotations

from collections.abc import Collection

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenderhub.core.shared.errors import Invalid
from tenderhub.hub.tlog import (
    EMPTY_ROOT,
    LeafStore,
    MemoryLeafStore,
    MerkleLog,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from tenderhub.hub.tlog.tree import Node

MAX = 300


def entry(i: int) -> bytes:
    return f"entry {i}".encode()


def build(n: int) -> MerkleLog:
    log = MerkleLog(MemoryLeafStore())
    log.append_many(entry(i) for i in range(n))
    return log


LOG = build(MAX)


def naive_root(n: int) -> bytes:
    """Level by level, pairing left to right and promoting a last odd node: the RFC tree."""
    level = [leaf_hash(entry(i)) for i in range(n)]
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = paired + ([level[-1]] if len(level) % 2 else [])
    return level[0]


def flip(proof: list[bytes], at: int) -> list[bytes]:
    changed = bytearray(proof[at])
    changed[0] ^= 1
    return [*proof[:at], bytes(changed), *proof[at + 1:]]


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX))
    return draw(st.integers(0, size - 1)), size


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(1, MAX))
    return draw(st.integers(1, new)), new


@given(st.integers(0, MAX))
def test_the_root_is_the_level_by_level_root(size: int) -> None:
    assert LOG.root(size) == naive_root(size)


@given(index_and_size())
def test_every_inclusion_proof_verifies(case: tuple[int, int]) -> None:
    index, size = case
    proof = LOG.inclusion_proof(index, size)
    assert verify_inclusion(LOG.leaf_hash(index), index, size, proof, LOG.root(size))


@given(index_and_size(), st.data())
def test_an_inclusion_proof_fails_for_a_tampered_leaf_index_size_or_path(case: tuple[int, int], data: st.DataObject) -> None:
    index, size = case
    proof, root, leaf = LOG.inclusion_proof(index, size), LOG.root(size), LOG.leaf_hash(index)
    assert not verify_inclusion(leaf_hash(entry(index) + b"!"), index, size, proof, root)
    other = data.draw(st.integers(0, MAX - 1).filter(lambda s: s != size - 1), label="other size - 1") + 1
    assert not verify_inclusion(leaf, index, other, proof, LOG.root(other))
    if size > 1:
        wrong = data.draw(st.integers(0, size - 1).filter(lambda i: i != index), label="wrong index")
        assert not verify_inclusion(leaf, wrong, size, proof, root)
        assert not verify_inclusion(leaf, index, size, flip(proof, data.draw(st.integers(0, len(proof) - 1))), root)
        assert not verify_inclusion(leaf, index, size, proof[:-1], root)
    assert not verify_inclusion(leaf, index, size, [*proof, root], root)


@given(two_sizes())
def test_every_consistency_proof_verifies(case: tuple[int, int]) -> None:
    old, new = case
    proof = LOG.consistency_proof(old, new)
    assert verify_consistency(old, new, LOG.root(old), LOG.root(new), proof)


@given(two_sizes(), st.data())
def test_a_consistency_proof_fails_for_another_history_or_size(case: tuple[int, int], data: st.DataObject) -> None:
    old, new = case
    proof, old_root, new_root = LOG.consistency_proof(old, new), LOG.root(old), LOG.root(new)
    forked = build_forked(old)
    assert not verify_consistency(old, new, forked, new_root, proof)
    other = data.draw(st.integers(1, new).filter(lambda s: s != old), label="other old size") if new > 1 else None
    if other is not None:
        assert not verify_consistency(other, new, LOG.root(other), new_root, proof)
    if proof:
        assert not verify_consistency(old, new, old_root, new_root, flip(proof, data.draw(st.integers(0, len(proof) - 1))))


def build_forked(size: int) -> bytes:
    """The root of a history whose last leaf differs."""
    log = MerkleLog(MemoryLeafStore())
    log.append_many([*(entry(i) for i in range(size - 1)), b"forged"])
    return log.root()


def test_requests_outside_the_tree_are_invalid() -> None:
    with pytest.raises(Invalid):
        LOG.inclusion_proof(10, 10)
    with pytest.raises(Invalid):
        LOG.root(MAX + 1)
    with pytest.raises(Invalid):
        LOG.consistency_proof(11, 10)
    assert LOG.consistency_proof(0, 10) == [] and LOG.consistency_proof(10, 10) == []


class CountingStore:
    """A store that counts the hashes read from it."""

    def __init__(self, inner: MemoryLeafStore) -> None:
        self.inner, self.reads = inner, 0

    def append(self, entry: bytes) -> int:
        return self.inner.append(entry)

    def leaf_hash(self, index: int) -> bytes:
        self.reads += 1
        return self.inner.leaf_hash(index)

    def size(self) -> int:
        return self.inner.size()

    def subtree_hashes(self, nodes: Collection[Node]) -> dict[Node, bytes]:
        self.reads += len(nodes)
        return self.inner.subtree_hashes(nodes)


@pytest.fixture(scope="module")
def big() -> CountingStore:
    store = CountingStore(MemoryLeafStore())
    MerkleLog(store.inner).append_many(entry(i) for i in range(100_000))
    return store


@pytest.mark.parametrize("size", [100_000, 99_999, 65_537, 12_345])
def test_roots_and_proofs_of_a_big_log_read_log_n_hashes(big: CountingStore, size: int) -> None:
    log, budget = MerkleLog(big), 2 * size.bit_length() + 2
    for request in (lambda: log.root(size), lambda: log.inclusion_proof(size // 3, size),
                    lambda: log.inclusion_proof(size - 1, size), lambda: log.consistency_proof(size // 2 + 1, size)):
        big.reads = 0
        request()
        assert 0 < big.reads <= budget
    proof = log.consistency_proof(777, size)
    assert verify_consistency(777, size, log.root(777), log.root(size), proof)


def test_a_store_without_the_cache_gives_the_same_answers() -> None:
    class Plain:
        def __init__(self) -> None:
            self.inner = MemoryLeafStore()

        def append(self, entry: bytes) -> int:
            return self.inner.append(entry)

        def leaf_hash(self, index: int) -> bytes:
            return self.inner.leaf_hash(index)

        def size(self) -> int:
            return self.inner.size()

    plain: LeafStore = Plain()
    log = MerkleLog(plain)
    log.append_many(entry(i) for i in range(37))
    assert log.root() == LOG.root(37)
    assert log.inclusion_proof(20, 37) == LOG.inclusion_proof(20, 37)
    assert log.consistency_proof(13, 37) == LOG.consistency_proof(13, 37)

"""``MerkleLog``: an append-only RFC 6962 Merkle tree over a ``LeafStore``.

Each root or proof element is the hash of a subtree the RFC recursion visits; each such
subtree is a run of O(log n) perfect subtrees (``tree.perfect_cover``). All the hashes a
request needs are read at once from the store's ``SubtreeCache`` (one round trip for the
SQL store) and folded. A store without the cache still works, in O(n) per request.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from tenderhub.core.shared.errors import Invalid
from tenderhub.hub.tlog.store import BulkAppender, EntryReader, LeafStore, SubtreeCache
from tenderhub.hub.tlog.tree import (
    EMPTY_ROOT,
    Node,
    Range,
    consistency_ranges,
    fold,
    inclusion_ranges,
    node_hash,
    perfect_cover,
)

PAGE = 1000


class MerkleLog:
    def __init__(self, store: LeafStore) -> None:
        self.store = store

    def append(self, entry: bytes) -> int:
        return self.store.append(entry)

    def append_many(self, entries: Iterable[bytes]) -> list[int]:
        """Append in order; one transaction when the store supports it."""
        if isinstance(self.store, BulkAppender):
            return self.store.append_many(entries)
        return [self.store.append(entry) for entry in entries]

    def size(self) -> int:
        return self.store.size()

    def leaf_hash(self, index: int) -> bytes:
        return self.store.leaf_hash(index)

    def root(self, size: int | None = None) -> bytes:
        size = self._tree_size(size)
        return EMPTY_ROOT if size == 0 else self._range_hashes([(0, size)])[0]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self._tree_size(size)
        if not 0 <= index < size:
            raise Invalid(f"leaf {index} is not in a tree of {size} leaves", field="index")
        return self._range_hashes(inclusion_ranges(index, size))

    def inclusion_proofs(self, indices: list[int], size: int) -> list[list[bytes]]:
        """``inclusion_proof`` of each index in the tree of ``size``, every hash read at once."""
        size = self._tree_size(size)
        bad = [i for i in indices if not 0 <= i < size]
        if bad:
            raise Invalid(f"leaf {bad[0]} is not in a tree of {size} leaves", field="index")
        ranges = [inclusion_ranges(i, size) for i in indices]
        covers = [[perfect_cover(start, end) for start, end in r] for r in ranges]
        hashes = self._node_hashes({node for proof in covers for cover in proof for node in cover})
        return [[fold(cover, hashes) for cover in proof] for proof in covers]

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self._tree_size(new_size)
        if not 0 <= old_size <= new_size:
            raise Invalid(f"old size {old_size} is not within 0..{new_size}", field="old_size")
        if old_size in (0, new_size):
            return []
        return self._range_hashes(consistency_ranges(old_size, new_size))

    def entries(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(index, entry) from ``start`` to ``end`` (default: the current size), a page at a time."""
        if not isinstance(self.store, EntryReader):
            raise TypeError(f"{type(self.store).__name__} does not give entries back")
        end = self.size() if end is None else end
        for page in range(start, end, PAGE):
            yield from self.store.entries(page, min(page + PAGE, end))

    def _tree_size(self, size: int | None) -> int:
        current = self.store.size()
        if size is None:
            return current
        if not 0 <= size <= current:
            raise Invalid(f"the log has {current} leaves, not {size}", field="size")
        return size

    def _range_hashes(self, ranges: list[Range]) -> list[bytes]:
        covers = [perfect_cover(start, end) for start, end in ranges]
        hashes = self._node_hashes({node for cover in covers for node in cover})
        return [fold(cover, hashes) for cover in covers]

    def _node_hashes(self, nodes: Collection[Node]) -> dict[Node, bytes]:
        found: dict[Node, bytes] = {}
        if isinstance(self.store, SubtreeCache):
            found = self.store.subtree_hashes(nodes)
        missing = [node for node in nodes if node not in found]
        for node in missing:
            found[node] = self._compute(node)
        return found

    def _compute(self, node: Node) -> bytes:
        """A perfect subtree's hash from its children (a cache miss, or no cache at all)."""
        level, index = node
        if level == 0:
            return self.store.leaf_hash(index)
        children = [(level - 1, 2 * index), (level - 1, 2 * index + 1)]
        hashes = self._node_hashes(children)
        return node_hash(hashes[children[0]], hashes[children[1]])

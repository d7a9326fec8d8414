"""The storage port of the log and its in-memory implementation.

``LeafStore`` is all the log needs; a store that is also a ``SubtreeCache`` keeps the hash
of every perfect subtree as leaves are appended (``tree.completed_nodes``, amortized O(1)
per append), so roots and proofs read O(log n) hashes instead of n. An ``EntryReader``
gives the entries back (auditors and ``check_chain_heads`` read them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Protocol, runtime_checkable

from tenderhub.hub.tlog.tree import Node, completed_nodes, leaf_hash


class LeafStore(Protocol):
    def append(self, entry: bytes) -> int:
        """Store one entry (and its leaf hash); return its index."""
        ...

    def leaf_hash(self, index: int) -> bytes: ...

    def size(self) -> int: ...


@runtime_checkable
class SubtreeCache(Protocol):
    def subtree_hashes(self, nodes: Collection[Node]) -> dict[Node, bytes]:
        """Stored hashes of the given perfect subtrees (level 0: leaves); absent ones left out."""
        ...


@runtime_checkable
class EntryReader(Protocol):
    def entries(self, start: int, end: int) -> Iterator[tuple[int, bytes]]: ...


@runtime_checkable
class BulkAppender(Protocol):
    def append_many(self, entries: Iterable[bytes]) -> list[int]: ...


class MemoryLeafStore:
    """Leaves and perfect-subtree hashes in dictionaries: tests, tools, the embedded hub."""

    def __init__(self) -> None:
        self._entries: list[bytes] = []
        self._nodes: dict[Node, bytes] = {}

    def append(self, entry: bytes) -> int:
        index = len(self._entries)
        leaf = leaf_hash(entry)
        self._entries.append(bytes(entry))
        self._nodes[(0, index)] = leaf
        self._nodes.update(completed_nodes(index, leaf, self._nodes.__getitem__))
        return index

    def append_many(self, entries: Iterable[bytes]) -> list[int]:
        return [self.append(entry) for entry in entries]

    def leaf_hash(self, index: int) -> bytes:
        return self._nodes[(0, index)]

    def size(self) -> int:
        return len(self._entries)

    def subtree_hashes(self, nodes: Collection[Node]) -> dict[Node, bytes]:
        return {node: self._nodes[node] for node in nodes if node in self._nodes}

    def entries(self, start: int, end: int) -> Iterator[tuple[int, bytes]]:
        for index in range(start, min(end, len(self._entries))):
            yield index, self._entries[index]

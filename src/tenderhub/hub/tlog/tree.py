"""RFC 6962 §2.1 hashing and the shape of the tree, as pure functions over indices.

A *node* ``(level, index)`` is the perfect subtree over leaves ``[index << level,
(index + 1) << level)``; level 0 nodes are the leaves. Every subtree the RFC recursion
visits (split at the largest power of two smaller than n) is a run of such nodes, so a
root or proof element is a fold of O(log n) stored node hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

Node = tuple[int, int]
Range = tuple[int, int]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_cover(start: int, end: int) -> list[Node]:
    """The aligned perfect subtrees that make up ``[start, end)``, left to right."""
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(cover: list[Node], hashes: dict[Node, bytes]) -> bytes:
    """MTH of a range from its cover: a right fold, as the RFC's split builds it."""
    if not cover:
        return EMPTY_ROOT
    result = hashes[cover[-1]]
    for node in reversed(cover[:-1]):
        result = node_hash(hashes[node], result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose hashes form PATH(index, D[0:size]), leaf end first (RFC 6962 §2.1.1)."""
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The subtrees whose hashes form PROOF(old, D[0:new]) (RFC 6962 §2.1.2)."""
    ranges: list[Range] = []
    start, end, m, whole = 0, new, old, True
    while m != end - start:
        k = split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        ranges.append((start, end))
    return ranges[::-1]


def completed_nodes(index: int, leaf: bytes, get: Callable[[Node], bytes]) -> list[tuple[Node, bytes]]:
    """The perfect subtrees (level >= 1) that appending leaf ``index`` completes.

    ``get`` reads an earlier node (the left sibling at each level): amortized O(1) per append.
    """
    made: list[tuple[Node, bytes]] = []
    current, level = leaf, 0
    while (index >> level) & 1:
        left = get((level, (index >> level) - 1))
        current = node_hash(left, current)
        level += 1
        made.append(((level, index >> level), current))
    return made

"""The hub's transparency log: an RFC 6962 / RFC 9162 Merkle tree (docs/transparency-log.md).

Leaves are canonical JSON entries (signed releases received, platforms' audit chain heads);
the hub signs tree heads; anyone verifies inclusion and consistency proofs with the pure
verifiers, and ``check_chain_heads`` shows whether a platform rewrote its audit history.
"""

from tenderhub.hub.tlog.checker import LoggedHead, check_chain_heads, logged_heads
from tenderhub.hub.tlog.entries import (
    entries_for_releases,
    entry_for_chain_head,
    entry_for_clearing,
    entry_for_flag,
    entry_for_release,
    entry_for_tree_head,
    parse_entry,
)
from tenderhub.hub.tlog.log import MerkleLog
from tenderhub.hub.tlog.sqlstore import SqlLeafStore, create_tables
from tenderhub.hub.tlog.sqlstore import metadata as tlog_metadata
from tenderhub.hub.tlog.sth import SignedTreeHead, Signer, sign_tree_head, verify_sth
from tenderhub.hub.tlog.store import EntryReader, LeafStore, MemoryLeafStore, SubtreeCache
from tenderhub.hub.tlog.tree import EMPTY_ROOT, leaf_hash, node_hash
from tenderhub.hub.tlog.verify import verify_consistency, verify_inclusion

__all__ = [
    "EMPTY_ROOT",
    "EntryReader",
    "LeafStore",
    "LoggedHead",
    "MemoryLeafStore",
    "MerkleLog",
    "SignedTreeHead",
    "Signer",
    "SqlLeafStore",
    "SubtreeCache",
    "check_chain_heads",
    "create_tables",
    "entries_for_releases",
    "entry_for_chain_head",
    "entry_for_clearing",
    "entry_for_flag",
    "entry_for_release",
    "entry_for_tree_head",
    "leaf_hash",
    "logged_heads",
    "node_hash",
    "parse_entry",
    "sign_tree_head",
    "tlog_metadata",
    "verify_consistency",
    "verify_inclusion",
    "verify_sth",
]

"""What a platform or an auditor checks: the platform's audit chain extends every head the
hub logged for it, and every such head is proven to be in the log.

A platform that rewrites an old audit row and recomputes every hash after it still has a
chain that verifies on its own, but its hash at an anchored seq no longer matches the logged
one; a platform that cuts its tail loses rows at anchored seqs. Both are problems here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tenderhub.core.shared.errors import Invalid
from tenderhub.hub.tlog.entries import CHAIN_HEAD, parse_entry
from tenderhub.hub.tlog.log import MerkleLog
from tenderhub.hub.tlog.sth import SignedTreeHead
from tenderhub.hub.tlog.tree import leaf_hash
from tenderhub.hub.tlog.verify import verify_inclusion


@dataclass(frozen=True)
class LoggedHead:
    index: int
    entry: bytes
    seq: int
    hash: str


def logged_heads(log: MerkleLog, platform_id: str, size: int | None = None) -> Iterator[LoggedHead]:
    """The chain heads of ``platform_id`` among the first ``size`` entries of the log."""
    for index, entry in log.entries(0, size):
        try:
            fields = parse_entry(entry)
        except Invalid:
            continue
        if fields.get("kind") == CHAIN_HEAD and fields.get("platform") == platform_id:
            yield LoggedHead(index, entry, int(fields["seq"]), str(fields["hash"]))


def check_chain_heads(
    log: MerkleLog,
    platform_id: str,
    heads: Iterable[tuple[int, str]],
    *,
    sth: SignedTreeHead | None = None,
    anchors: Iterable[tuple[int, str]] = (),
) -> list[str]:
    """Problems found, empty when the platform's chain is consistent with the log.

    ``heads``: the platform's current chain as (seq, hash), e.g. every row of its
    ``AuditRepository.list``. ``sth``: check against this signed head (default: the log's
    current root). ``anchors``: heads the platform says it had logged (its receipts).
    """
    size = log.size() if sth is None else sth.size
    root = log.root(size) if sth is None else sth.root
    chain = dict(heads)
    logged = list(logged_heads(log, platform_id, size))
    problems = [] if logged else [f"no chain head of platform {platform_id} is in the log (size {size})"]
    for head in logged:
        problems += _check_head(log, head, size, root, chain)
    found = {(head.seq, head.hash) for head in logged}
    problems += [
        f"seq {seq}: the platform's anchor {hash_hex} is not in the log (size {size})"
        for seq, hash_hex in anchors if (seq, hash_hex) not in found
    ]
    return problems


def _check_head(log: MerkleLog, head: LoggedHead, size: int, root: bytes, chain: dict[int, str]) -> list[str]:
    problems: list[str] = []
    proof = log.inclusion_proof(head.index, size)
    if not verify_inclusion(leaf_hash(head.entry), head.index, size, proof, root):
        problems.append(f"log index {head.index}: the inclusion proof of seq {head.seq} does not verify")
    have = chain.get(head.seq)
    if have is None:
        problems.append(f"seq {head.seq}: logged at index {head.index} with hash {head.hash}, "
                        "but the platform's chain has no such row (history cut)")
    elif have != head.hash:
        problems.append(f"seq {head.seq}: logged at index {head.index} with hash {head.hash}, "
                        f"but the platform's chain now has {have} (history rewritten)")
    return problems

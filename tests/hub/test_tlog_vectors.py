"""The log against the RFC 6962 test data of the Certificate Transparency code (Go/C++) and
against a straightforward recursive reference implementation of RFC 6962 §2.1."""

from __future__ import annotations

import hashlib

import pytest

from tenderhub.hub.tlog import (
    EMPTY_ROOT,
    MemoryLeafStore,
    MerkleLog,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
ROOTS = [  # published roots for sizes 0..8
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = {  # (0-based index, size): published audit path (the Go data counts leaves from 1)
    (0, 1): [],
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
}
CONSISTENCY = {  # (old, new): published proof
    (1, 1): [],
    (1, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
}


# --- the reference: RFC 6962 §2.1 written out literally, over the leaf inputs ---------------

def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def k_of(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return sha(b"")
    if len(d) == 1:
        return sha(b"\x00" + d[0])
    k = k_of(len(d))
    return sha(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = k_of(len(d))
    return [*path(m, d[:k]), mth(d[k:])] if m < k else [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = k_of(len(d))
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def hexes(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


@pytest.fixture
def log() -> MerkleLog:
    log = MerkleLog(MemoryLeafStore())
    log.append_many(LEAVES)
    return log


def test_the_reference_implementation_gives_the_published_roots() -> None:
    assert [mth(LEAVES[:n]).hex() for n in range(9)] == ROOTS


def test_the_empty_tree_hashes_to_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == ROOTS[0] == MerkleLog(MemoryLeafStore()).root().hex()


def test_the_log_gives_the_published_root_at_every_size(log: MerkleLog) -> None:
    assert [log.root(n).hex() for n in range(9)] == ROOTS


def test_a_growing_log_gives_the_published_root_after_each_append() -> None:
    log, roots = MerkleLog(MemoryLeafStore()), []
    for entry in LEAVES:
        log.append(entry)
        roots.append(log.root().hex())
    assert roots == ROOTS[1:]


def test_leaf_and_node_hashes_carry_the_domain_separation_bytes() -> None:
    assert leaf_hash(b"").hex() == ROOTS[1]
    assert leaf_hash(b"") != sha(b"")


@pytest.mark.parametrize(("index", "size"), sorted(INCLUSION))
def test_inclusion_proofs_are_the_published_ones_and_verify(log: MerkleLog, index: int, size: int) -> None:
    proof = log.inclusion_proof(index, size)
    assert hexes(proof) == INCLUSION[(index, size)] == hexes(path(index, LEAVES[:size]))
    assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old", "new"), sorted(CONSISTENCY))
def test_consistency_proofs_are_the_published_ones_and_verify(log: MerkleLog, old: int, new: int) -> None:
    proof = log.consistency_proof(old, new)
    assert hexes(proof) == CONSISTENCY[(old, new)]
    if old < new:
        assert hexes(proof) == hexes(subproof(old, LEAVES[:new], True))
    assert verify_consistency(old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), proof)


def test_every_proof_over_the_eight_leaves_matches_the_reference(log: MerkleLog) -> None:
    for size in range(1, 9):
        for index in range(size):
            assert log.inclusion_proof(index, size) == path(index, LEAVES[:size])
        for old in range(1, size):
            assert log.consistency_proof(old, size) == subproof(old, LEAVES[:size], True)


def test_the_published_proofs_fail_for_a_neighbouring_leaf_or_size() -> None:
    proof = [bytes.fromhex(h) for h in INCLUSION[(5, 8)]]
    root = bytes.fromhex(ROOTS[8])
    assert not verify_inclusion(leaf_hash(LEAVES[4]), 5, 8, proof, root)
    assert not verify_inclusion(leaf_hash(LEAVES[5]), 4, 8, proof, root)
    # the size is bound through the root: the right root of the wrong size refuses the proof
    assert not verify_inclusion(leaf_hash(LEAVES[5]), 5, 7, proof, bytes.fromhex(ROOTS[7]))
    assert not verify_inclusion(leaf_hash(LEAVES[5]), 5, 4, proof, root)
    consistency = [bytes.fromhex(h) for h in CONSISTENCY[(6, 8)]]
    assert not verify_consistency(5, 8, bytes.fromhex(ROOTS[6]), root, consistency)
    assert not verify_consistency(6, 8, bytes.fromhex(ROOTS[5]), root, consistency)


def test_trivial_consistency_needs_an_empty_proof_and_matching_roots() -> None:
    r1, r8 = bytes.fromhex(ROOTS[1]), bytes.fromhex(ROOTS[8])
    assert verify_consistency(0, 8, EMPTY_ROOT, r8, [])
    assert not verify_consistency(0, 8, r1, r8, [])
    assert verify_consistency(8, 8, r8, r8, [])
    assert not verify_consistency(8, 8, r8, r1, [])
    assert not verify_consistency(8, 8, r8, r8, [r1])
    assert not verify_consistency(8, 1, r8, r1, [])
    assert not verify_consistency(1, 8, r1, r8, [])

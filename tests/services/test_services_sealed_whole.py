"""A sealed bid in one request (``sealed_whole.submit_whole``): the same upload id, receipt and
replacement rules as the resumable upload, and a refusal leaves nothing in the store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sealed_builders import SealedBid
from services_builders import World, a_world
from test_services_sealed_replaced import begin, finish, the_bid, two_packages

from tenderhub.blobs.port import DigestMismatch
from tenderhub.core.shared.errors import NotFound, RuleViolation
from tenderhub.services import sealed, sealed_whole


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path / "data", allow_unsealed=False)
    yield w
    w.platform.engine.dispose()


def whole(world: World, tender_id: str, lot: str, bid: SealedBid, body: bytes | None = None) -> tuple[bool, dict[str, Any]]:
    data = {"lot": lot, "summary": bid.summary, "sha256": bid.sha256}
    return sealed_whole.submit_whole(world.svc, bid.actor, tender_id, data, bid.path.read_bytes() if body is None else body)


def stored_digests(world: World) -> list[str]:
    assert world.svc.vault is not None
    return list(world.svc.vault.blobs.iter_digests())


@pytest.mark.db
def test_one_request_gives_the_receipt_a_retry_the_same_and_the_resumable_finish_the_same(world: World, tmp_path: Path) -> None:
    tender_id, lot, first, _ = two_packages(world, tmp_path)
    again, r1 = whole(world, tender_id, lot, first)
    assert not again and r1["receipt"]["version"] == 1 and sealed.verify_receipt(world.svc, r1)
    retried, same = whole(world, tender_id, lot, first)  # a retry after a lost answer (ECDSA: a new signature)
    assert retried and same["receipt"] == r1["receipt"] and sealed.verify_receipt(world.svc, same)
    u1 = begin(world, tender_id, lot, first)  # the resumable protocol names the same upload
    assert u1 == r1["receipt"]["receipt_id"] and finish(world, u1, first)["receipt"] == r1["receipt"]
    assert stored_digests(world) == [first.sha256]


@pytest.mark.db
def test_a_replacement_in_one_request_keeps_the_replaced_upload_rule(world: World, tmp_path: Path) -> None:
    tender_id, lot, first, second = two_packages(world, tmp_path)
    u1 = begin(world, tender_id, lot, first)  # begun resumably, then sent whole: the same upload id
    _, r1 = whole(world, tender_id, lot, first)
    world.at("2026-12-11T10:00")
    _, r2 = whole(world, tender_id, lot, second)
    assert r2["receipt"]["version"] == 2 and r1["receipt"]["receipt_id"] == u1
    assert finish(world, u1, first)["receipt"] == r1["receipt"]  # U1's finish, retried late: changes nothing
    assert (the_bid(world, tender_id).sealed.digest, the_bid(world, tender_id).version) == (second.sha256, 2)
    again, r3 = whole(world, tender_id, lot, first)  # the first package sent again: on purpose, a new version
    assert not again and r3["receipt"]["version"] == 3 and r3["receipt"]["receipt_id"] != u1


@pytest.mark.db
def test_refusals_store_nothing(world: World, tmp_path: Path) -> None:
    tender_id, lot, first, second = two_packages(world, tmp_path)
    with pytest.raises(RuleViolation) as other_bytes:
        whole(world, tender_id, lot, first, body=second.path.read_bytes())
    assert other_bytes.value.rule is not None and other_bytes.value.rule.code == "SEALED_SIGNATURE_INVALID"
    wrong_sha = {"lot": lot, "summary": first.summary, "sha256": second.sha256}
    with pytest.raises(DigestMismatch):
        sealed_whole.submit_whole(world.svc, first.actor, tender_id, wrong_sha, first.path.read_bytes())
    forged = {"lot": lot, "summary": {**first.summary, "ciphertext_digest": "0" * 64}, "sha256": first.sha256}
    with pytest.raises(RuleViolation) as signature:
        sealed_whole.submit_whole(world.svc, first.actor, tender_id, forged, first.path.read_bytes())
    assert signature.value.rule is not None and signature.value.rule.code == "SEALED_SIGNATURE_INVALID"
    with pytest.raises(NotFound):
        whole(world, tender_id, "no-such-lot", first)
    assert stored_digests(world) == []
    world.at("2026-12-21T09:30")  # after the deadline: refused under the lock, the stored bytes removed
    with pytest.raises(RuleViolation) as late:
        whole(world, tender_id, lot, first)
    assert late.value.rule is not None and late.value.rule.code == "SEALED_UPLOAD_BEFORE_DEADLINE"
    assert stored_digests(world) == []


def test_the_bytes_are_hashed_from_views_of_the_body_in_blocks_to_its_end() -> None:
    body = bytes(range(256)) * 10_000  # 2.56 MB: three blocks of the check's 1 MiB reads
    reader = sealed_whole.Slices(body)
    blocks = [bytes(block) for block in iter(lambda: reader.read(1 << 20), b"")]
    assert [len(b) for b in blocks] == [1 << 20, 1 << 20, len(body) - 2 * (1 << 20)] and b"".join(blocks) == body
    assert bytes(reader.read()) == b"" and bytes(sealed_whole.Slices(body).read()) == body

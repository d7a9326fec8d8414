"""Sealed bids end to end through the use cases, with the real crypto and blob store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sealed_builders import SealedBid, release, seal, upload
from services_builders import World, a_tender_body, a_world

from tenderhub.core.shared.errors import Conflict, RuleViolation
from tenderhub.services import bids, sealed, tenders
from tenderhub.services.sealed_uploads import commit_if_stored
from tenderhub.services.tenders import get_tender

MARKER = "PLAINTEXT-MARKER-7f3a9c"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path / "data", allow_unsealed=False)
    yield w
    w.platform.engine.dispose()


def sealed_tender(world: World) -> tuple[str, str]:
    tenderer = world.subject("tenderer", "tenderer", 1)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body())
    world.at("2026-12-01T09:00")
    tenders.publish(world.svc, tenderer, made["id"], {"doc_sale_end": "2026-12-07"})
    return made["id"], made["lots"][0]["code"]


def a_registered_sealed_bid(world: World, tmp: Path, *, at: str = "2026-12-10T10:00") -> tuple[str, str, SealedBid]:
    """A sealed tender, one bidder registered for its lot at ``at``, and that bidder's sealed package."""
    tender_id, lot = sealed_tender(world)
    world.at(at)
    bidder = world.subject("b1", "bidder", 11)
    bids.register(world.svc, bidder, tender_id, {"lot": lot})
    return tender_id, lot, seal(bidder, tmp, price="9000000")


def three_sealed_bids(world: World, tmp: Path) -> tuple[str, str, list[SealedBid]]:
    tender_id, lot = sealed_tender(world)
    world.at("2026-12-10T10:00")
    made = []
    for n, price in ((11, "9100000"), (12, "9050000"), (13, "9200000")):
        bidder = world.subject(f"b{n}", "bidder", n)
        bids.register(world.svc, bidder, tender_id, {"lot": lot})
        bid = seal(bidder, tmp, price=price, marker=MARKER)
        receipt = upload(world, tender_id, lot, bid)
        assert sealed.verify_receipt(world.svc, receipt)
        made.append(bid)
    return tender_id, lot, made


def every_byte(world: World, data_dir: Path) -> bytes:
    """All the bytes an administrator could read: database files and blob/upload areas."""
    found = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    url = world.platform.settings.db_url
    if url.startswith("postgresql"):
        import sqlalchemy as sa

        with world.platform.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT doc::text FROM tenders UNION ALL SELECT doc::text FROM tender_bids UNION ALL SELECT data::text FROM audit_events UNION ALL SELECT payload::text FROM outbox")).scalars()
            found += "".join(rows).encode()
    return found


def test_a_sealed_bid_is_unreadable_before_opening_and_readable_only_after_its_bidder_releases_the_key(world: World, tmp_path: Path) -> None:
    tender_id, lot, made = three_sealed_bids(world, tmp_path / "bidders")
    data_dir = tmp_path / "data"
    assert MARKER.encode() not in every_byte(world, data_dir)
    assert "9100000" not in str(get_tender(world.svc, world.operator, tender_id))
    world.at("2026-12-21T09:30")
    bids.open_bids(world.svc, world.actors["tenderer"], tender_id, {"lot": lot})
    assert MARKER.encode() not in every_byte(world, data_dir)
    world.at("2026-12-21T09:40")
    for bid in made:
        result = sealed.decrypt(world.svc, bid.actor, tender_id, {"lot": lot, "release": release(world, bid)})
        assert result["decryption"] == "decrypted"
    assert MARKER.encode() in every_byte(world, data_dir)
    sealed.close_decryption(world.svc, world.actors["tenderer"], tender_id, {"lot": lot})
    opening = get_tender(world.svc, world.operator, tender_id)["lots"][0]["opening"]
    assert sorted(e["price"] for e in opening["entries"]) == ["9050000.00", "9100000.00", "9200000.00"]


def test_an_interrupted_upload_resumes_where_it_stopped_and_finishing_twice_gives_the_same_receipt(world: World, tmp_path: Path) -> None:
    tender_id, lot, bid = a_registered_sealed_bid(world, tmp_path)
    partial = upload(world, tender_id, lot, bid, stop_after=2)
    assert 0 < partial["received"] < partial["total"]
    first = upload(world, tender_id, lot, bid)
    again = sealed.finish_upload(world.svc, bid.actor, first["receipt"]["receipt_id"])
    assert first["receipt"] == again["receipt"] and sealed.verify_receipt(world.svc, again)


def test_a_package_whose_signature_does_not_verify_is_refused(world: World, tmp_path: Path) -> None:
    tender_id, lot, bid = a_registered_sealed_bid(world, tmp_path)
    forged = {**bid.summary, "ciphertext_digest": "0" * 64}
    with pytest.raises(RuleViolation) as refused:
        sealed.begin_upload(world.svc, bid.actor, tender_id, {"lot": lot, "summary": forged, "sha256": bid.sha256})
    assert refused.value.rule.code == "SEALED_SIGNATURE_INVALID"


def test_an_upload_unfinished_at_the_deadline_is_refused_citing_article_26(world: World, tmp_path: Path) -> None:
    tender_id, lot, bid = a_registered_sealed_bid(world, tmp_path, at="2026-12-21T09:29")
    partial = upload(world, tender_id, lot, bid, stop_after=1)
    world.at("2026-12-21T09:30")
    with pytest.raises(RuleViolation) as refused:
        upload(world, tender_id, lot, bid)
    assert refused.value.rule.citation.article == 26
    assert get_tender(world.svc, world.operator, tender_id)["lots"][0]["status"] == "bidding"
    assert partial["received"] > 0


def test_a_wrong_release_revokes_the_bid_and_a_platform_failure_withdraws_it(world: World, tmp_path: Path) -> None:
    tender_id, lot, made = three_sealed_bids(world, tmp_path / "bidders")
    world.at("2026-12-21T09:30")
    bids.open_bids(world.svc, world.actors["tenderer"], tender_id, {"lot": lot})
    world.at("2026-12-21T09:35")
    wrong = release(world, made[1])  # another bidder's key release
    result = sealed.decrypt(world.svc, made[0].actor, tender_id, {"lot": lot, "release": wrong})
    assert (result["status"], result["decryption"]) == ("revoked", "failed_by_bidder")
    sealed.fail_decrypt(world.svc, world.actors["tenderer"], tender_id, {"lot": lot, "bid": made[1].actor.name, "detail": "平台故障"})
    sealed.decrypt(world.svc, made[2].actor, tender_id, {"lot": lot, "release": release(world, made[2])})
    sealed.close_decryption(world.svc, world.actors["tenderer"], tender_id, {"lot": lot})
    view = get_tender(world.svc, world.operator, tender_id)["lots"][0]
    assert [b["status"] for b in view["bids"]] == ["revoked", "withdrawn", "opened"]
    assert view["opening"]["bid_count"] == 1


def bid_rows(world: World) -> dict[str, int]:
    import sqlalchemy as sa

    from tenderhub.db import tables

    with world.platform.engine.connect() as conn:
        return {row.id: row.version for row in conn.execute(sa.select(tables.tender_bids.c.id, tables.tender_bids.c.version))}


def test_decrypting_one_bid_writes_that_bid_only_and_answers_with_the_bidders_own_bid(world: World, tmp_path: Path) -> None:
    tender_id, lot, made = three_sealed_bids(world, tmp_path / "bidders")
    world.at("2026-12-21T09:30")
    bids.open_bids(world.svc, world.actors["tenderer"], tender_id, {"lot": lot})
    before = bid_rows(world)
    world.at("2026-12-21T09:35")
    result = sealed.decrypt(world.svc, made[1].actor, tender_id, {"lot": lot, "release": release(world, made[1])})
    after = bid_rows(world)
    assert [k for k in after if after[k] != before[k]] == [result["bid"]]
    shown = result["tender"]["lots"][0]
    assert "bids" not in shown and [b["id"] for b in shown["my_bids"]] == [result["bid"]]
    assert len(get_tender(world.svc, world.operator, tender_id)["lots"][0]["bids"]) == 3


def test_a_finish_whose_bytes_were_already_moved_into_the_store_still_gives_the_receipt(world: World, tmp_path: Path) -> None:
    tender_id, lot, bid = a_registered_sealed_bid(world, tmp_path)
    state = sealed.begin_upload(world.svc, bid.actor, tender_id, {"lot": lot, "summary": bid.summary, "sha256": bid.sha256})
    upload_id = state["upload_id"]
    assert sealed.put_chunk(world.svc, bid.actor, upload_id, 0, bid.path.read_bytes())["complete"]
    vault = world.svc.vault
    assert vault is not None
    vault.uploads.finish(upload_id, vault.blobs)  # as a concurrent (or stopped) finish would have
    signed = sealed.finish_upload(world.svc, bid.actor, upload_id)
    assert sealed.verify_receipt(world.svc, signed) and signed["receipt"]["ciphertext_sha256"] == bid.sha256


def begun(world: World, tmp_path: Path, at: str) -> tuple[str, SealedBid, str]:
    tender_id, lot, bid = a_registered_sealed_bid(world, tmp_path, at=at)
    state = sealed.begin_upload(world.svc, bid.actor, tender_id, {"lot": lot, "summary": bid.summary, "sha256": bid.sha256})
    return tender_id, bid, state["upload_id"]


def test_a_package_sent_with_the_finish_is_stored_once_and_a_retry_returns_the_same_receipt(world: World, tmp_path: Path) -> None:
    _, bid, upload_id = begun(world, tmp_path, "2026-12-10T10:00")
    data = bid.path.read_bytes()
    first = sealed.finish_upload(world.svc, bid.actor, upload_id, (0, data))
    again = sealed.finish_upload(world.svc, bid.actor, upload_id, (0, data))  # the answer was lost: sent again
    assert first["receipt"] == again["receipt"] and sealed.verify_receipt(world.svc, again)
    vault = world.svc.vault
    assert vault is not None and vault.blobs.verify(bid.sha256) and vault.uploads.partial(upload_id) is None


def test_a_finish_refused_under_the_lock_removes_the_ciphertext_it_stored(world: World, tmp_path: Path) -> None:
    tender_id, bid, upload_id = begun(world, tmp_path, "2026-12-21T09:29")
    world.at("2026-12-21T09:30")  # the deadline passes between begin and finish
    with pytest.raises(RuleViolation) as refused:
        sealed.finish_upload(world.svc, bid.actor, upload_id, (0, bid.path.read_bytes()))
    assert refused.value.rule.citation.article == 26
    vault = world.svc.vault
    assert vault is not None and not vault.blobs.exists(bid.sha256)
    with world.svc.uow(None) as uow:
        assert uow.tenders.get(tender_id).lots[0].bids == []  # no bid, no receipt


def test_a_refused_ciphertext_that_a_recorded_blob_also_names_is_kept(world: World, tmp_path: Path) -> None:
    _, bid, upload_id = begun(world, tmp_path, "2026-12-21T09:29")
    with world.svc.uow(None) as uow:  # as another bid with the very same bytes would have recorded it
        uow.blobs.record(bid.sha256, bid.path.stat().st_size, kind="sealed_bid", owner="another-bid", at=world.svc.clock.now())
        uow.commit()
    world.at("2026-12-21T09:30")
    with pytest.raises(RuleViolation):
        sealed.finish_upload(world.svc, bid.actor, upload_id, (0, bid.path.read_bytes()))
    vault = world.svc.vault
    assert vault is not None and vault.blobs.verify(bid.sha256)


def test_a_bid_whose_ciphertext_is_no_longer_stored_is_not_committed(world: World, tmp_path: Path) -> None:
    vault = world.svc.vault
    assert vault is not None
    missing = "ab" * 32
    with world.svc.uow(None) as uow:
        uow.blobs.record(missing, 1, kind="sealed_bid", owner="a-bid", at=world.svc.clock.now())
        with pytest.raises(Conflict) as lost:
            commit_if_stored(vault, uow, missing)
    assert lost.value.code == "upload_lost"
    with world.svc.uow(None) as uow:
        assert uow.blobs.find(missing) is None  # nothing was committed

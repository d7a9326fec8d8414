"""Sealed bids in the domain: ciphertext only until the opening, online decryption, 第31条."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import DEADLINE, T0, a_bidder, a_form, a_published_tender, an_act

from tenderhub.core.bids.model import BidStatus, Decryption, SealedPackage
from tenderhub.core.bids.opening import open_bids
from tenderhub.core.bids.sealing import (
    close_decryption,
    record_decryption,
    record_failure,
    sign_opening_record,
    submit_sealed,
)
from tenderhub.core.bids.submission import register, submit
from tenderhub.core.procedures.model import Tender
from tenderhub.core.procedures.states import LotStatus, Sealing
from tenderhub.core.shared.errors import Conflict, RuleViolation


def a_package(n: int = 1) -> SealedPackage:
    return SealedPackage("intl", f"{n:064x}", 4096, "c2ln", f"key-{n}", f"receipt-{n}", T0 + timedelta(days=1))


def sealed_tender(bids: int = 3) -> Tender:
    tender = a_published_tender()
    tender.sealing = Sealing.ENVELOPE
    for n in range(1, bids + 1):
        act = an_act(at=T0 + timedelta(days=1), by=f"bidder-{n}")
        register(tender, act, lot_id="lot-1", bidder=a_bidder(n))
        submit_sealed(tender, act, lot_id="lot-1", bidder=a_bidder(n), package=a_package(n))
    tender.pull_events()
    return tender


def opened(bids: int = 3) -> Tender:
    tender = sealed_tender(bids)
    open_bids(tender, an_act(at=DEADLINE), lot_id="lot-1")
    return tender


def test_an_unencrypted_bid_is_refused_when_the_tender_takes_sealed_bids_citing_article_25():
    tender = sealed_tender(0)
    register(tender, an_act(at=T0 + timedelta(days=1)), lot_id="lot-1", bidder=a_bidder(1))
    with pytest.raises(RuleViolation) as refused:
        submit(tender, an_act(at=T0 + timedelta(days=1)), lot_id="lot-1", bidder=a_bidder(1), form=a_form(), documents=[])
    assert (refused.value.rule.citation.law, refused.value.rule.citation.article) == ("电子招标投标办法", 25)
    assert tender.lots[0].bids == []


def test_a_sealed_bid_holds_no_price_and_a_new_package_replaces_the_old_before_the_deadline():
    tender = sealed_tender(1)
    bid = tender.lots[0].bids[0]
    assert bid.price_form is None and bid.sealed is not None
    again = submit_sealed(tender, an_act(at=DEADLINE - timedelta(minutes=1)), lot_id="lot-1", bidder=a_bidder(1), package=a_package(9))
    assert again is bid and bid.version == 2 and bid.sealed.digest == f"{9:064x}"


def test_a_replaced_package_is_kept_with_its_receipt_and_the_bid_version_it_made():
    tender = sealed_tender(1)
    bid = tender.lots[0].bids[0]
    for n in (7, 1):  # a second package, then the first one sent again (a new upload: a new receipt)
        submit_sealed(tender, an_act(at=DEADLINE - timedelta(minutes=1)), lot_id="lot-1", bidder=a_bidder(1),
                      package=SealedPackage("intl", f"{n:064x}", 4096, "c2ln", "key-1", f"receipt-again-{n}", DEADLINE))
    assert bid.sealed is not None and (bid.sealed.receipt_id, bid.sealed.bid_version, bid.version) == ("receipt-again-1", 3, 3)
    assert [(p.receipt_id, p.bid_version) for p in bid.replaced] == [("receipt-1", 1), ("receipt-again-7", 2)]


def test_an_upload_finished_at_the_deadline_is_refused_citing_article_26():
    tender = sealed_tender(0)
    register(tender, an_act(at=T0 + timedelta(days=1)), lot_id="lot-1", bidder=a_bidder(1))
    with pytest.raises(RuleViolation) as refused:
        submit_sealed(tender, an_act(at=DEADLINE), lot_id="lot-1", bidder=a_bidder(1), package=a_package())
    assert refused.value.rule.citation.article == 26


def test_opening_sealed_bids_opens_the_decryption_window_without_a_record():
    tender = opened()
    lot = tender.lots[0]
    assert lot.status is LotStatus.OPENED and lot.opening is None
    assert lot.decryption_closes_at == DEADLINE + timedelta(minutes=30)
    assert all(b.status is BidStatus.SUBMITTED for b in lot.bids)


def test_decryption_reveals_the_price_form_and_opens_the_bid():
    tender = opened()
    bid = record_decryption(tender, an_act(at=DEADLINE + timedelta(minutes=5)), lot_id="lot-1", bid_id=tender.lots[0].bids[0].id,
                            form=a_form(price="8800000"), manifest_digest="m1")
    assert bid.status is BidStatus.OPENED and bid.price_form is not None and bid.sealed.decryption is Decryption.DECRYPTED


def test_a_failure_by_the_bidder_revokes_and_by_others_withdraws_citing_article_31():
    tender = opened()
    first, second = tender.lots[0].bids[:2]
    record_failure(tender, an_act(at=DEADLINE + timedelta(minutes=1)), lot_id="lot-1", bid_id=first.id, by_bidder=True, detail="wrong key")
    record_failure(tender, an_act(at=DEADLINE + timedelta(minutes=2)), lot_id="lot-1", bid_id=second.id, by_bidder=False, detail="platform outage")
    assert (first.status, second.status) == (BidStatus.REVOKED, BidStatus.WITHDRAWN)
    reasons = [e.reason for e in tender.pull_events() if e.tag in ("bids:bid:revoked", "bids:bid:withdrawn")]
    assert len(reasons) == 2 and all("撤销" in r and "撤回" in r for r in reasons)


def test_the_window_cannot_close_early_while_bids_are_pending_and_at_its_end_pending_bids_are_revoked():
    tender = opened()
    lot = tender.lots[0]
    record_decryption(tender, an_act(at=DEADLINE + timedelta(minutes=5)), lot_id="lot-1", bid_id=lot.bids[0].id, form=a_form(), manifest_digest="m")
    with pytest.raises(RuleViolation):
        close_decryption(tender, an_act(at=DEADLINE + timedelta(minutes=29)), lot_id="lot-1")
    record = close_decryption(tender, an_act(at=DEADLINE + timedelta(minutes=30)), lot_id="lot-1")
    assert record.bid_count == 1 and len(record.revoked) == 2
    assert [b.status for b in lot.bids] == [BidStatus.OPENED, BidStatus.REVOKED, BidStatus.REVOKED]


def test_decryption_after_the_window_is_refused():
    tender = opened()
    with pytest.raises(RuleViolation):
        record_decryption(tender, an_act(at=DEADLINE + timedelta(minutes=30)), lot_id="lot-1", bid_id=tender.lots[0].bids[0].id,
                          form=a_form(), manifest_digest="m")


def test_bidders_sign_the_opening_record_once():
    tender = opened()
    lot = tender.lots[0]
    for bid in lot.bids:
        record_decryption(tender, an_act(at=DEADLINE + timedelta(minutes=5)), lot_id="lot-1", bid_id=bid.id, form=a_form(), manifest_digest="m")
    close_decryption(tender, an_act(at=DEADLINE + timedelta(minutes=6)), lot_id="lot-1")
    sign_opening_record(tender, an_act(at=DEADLINE + timedelta(minutes=7)), lot_id="lot-1", bidder_id="bidder-1")
    with pytest.raises(Conflict):
        sign_opening_record(tender, an_act(at=DEADLINE + timedelta(minutes=8)), lot_id="lot-1", bidder_id="bidder-1")
    assert [s.bidder_id for s in lot.opening.signatures] == ["bidder-1"]

"""Sealed bids over HTTP: chunked resumable upload, signed receipt, deadline, online decryption.

Packages are sealed with the real bidder tool (``tenderhub bidder keygen|seal|decrypt``) on a
platform that requires sealing (``allow_unsealed=False``: tenders default to ``sealing: envelope``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web_builders import Api, Tender, lot_of, published

from tenderhub.bootstrap import Platform, build
from tenderhub.cli import main
from tenderhub.core.shared.clock import FixedClock
from tenderhub.services import bids
from tenderhub.services.subjects import actor_for_token
from tenderhub.settings import Settings
from tenderhub.web.trading.routes.sealed import MAX_CHUNK

CHUNK = 64 * 1024
PRICES = {"bidder_a": "11500000", "bidder_b": "11200000", "bidder_c": "11800000"}


@pytest.fixture
def platform(tmp_path: Path, clock: FixedClock, database_url: str) -> Iterator[Platform]:
    """Sealing required, as on a real platform (overrides the conftest's simulation platform)."""
    built = build(Settings.load(data_dir=tmp_path / "platform", db_url=database_url, allow_unsealed=False), clock=clock)
    yield built
    built.engine.dispose()


@dataclass
class Package:
    who: str
    key: Path
    path: Path

    @property
    def summary(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.path.with_name(self.path.name + ".json").read_text(encoding="utf-8"))
        return loaded

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def sealed_by(who: str, tmp: Path, *, price: str | None = None) -> Package:
    """Keygen and seal with the bidder's command line tool: a package of several chunks."""
    folder = tmp / who
    assert main(["bidder", "keygen", "--out", str(folder / "key")]) == 0
    document = folder / "技术标.pdf"
    document.write_bytes(f"{who} 技术方案 ".encode() * 12_000)
    out = folder / "bid.sealed"
    argv = ["bidder", "seal", "--key", str(folder / "key"), "--price", price or PRICES[who], "--period-days", "180",
            "--security", "200000", "--out", str(out), str(document)]
    assert main(argv) == 0
    return Package(who, folder / "key", out)


def registered(api: Api, tender: Tender, *whom: str) -> None:
    for who in whom:
        done = api.post(f"/api/tenders/{tender.id}/registrations", {"lot": tender.lot}, who=who)
        assert done.status_code == 201, done.text


def a_registered_bidders_package(api: Api, tmp: Path, *, at: str = "2026-12-10T10:00") -> tuple[Tender, Package]:
    """A published tender, ``bidder_a`` registered for its lot at ``at``, and its sealed package."""
    tender = published(api)
    registered(api.at(at), tender, "bidder_a")
    return tender, sealed_by("bidder_a", tmp)


def begin(api: Api, tender: Tender, package: Package, who: str | None = None) -> Any:
    body = {"lot": tender.lot, "sha256": package.sha256, "summary": package.summary}
    return api.post(f"/api/tenders/{tender.id}/sealed-uploads", body, who=who or package.who)


def put(api: Api, upload_id: str, offset: int, data: bytes, who: str | None) -> Any:
    headers = {**api.headers(who), "Content-Type": "application/octet-stream"}
    return api.client.put(f"/api/sealed-uploads/{upload_id}", params={"offset": offset}, content=data, headers=headers)


def send(api: Api, package: Package, state: dict[str, Any], *, chunks: int | None = None) -> dict[str, Any]:
    """Send chunks from ``received`` on (all, or only ``chunks`` of them)."""
    data, sent = package.path.read_bytes(), 0
    while state["received"] < state["total"] and (chunks is None or sent < chunks):
        done = put(api, state["upload_id"], state["received"], data[state["received"]:state["received"] + CHUNK], package.who)
        assert done.status_code == 200, done.text
        state, sent = done.json(), sent + 1
    return state


def submitted(api: Api, tender: Tender, package: Package) -> dict[str, Any]:
    started = begin(api, tender, package)
    assert started.status_code == 200, started.text
    state = send(api, package, started.json())
    done = api.post(f"/api/sealed-uploads/{state['upload_id']}/finish", who=package.who)
    assert done.status_code == 201, done.text
    receipt: dict[str, Any] = done.json()
    return receipt


def released(api: Api, package: Package, tmp: Path) -> str:
    """The bidder fetches the opening key and releases its content key with ``bidder decrypt``."""
    keys = api.get("/api/platform/keys")
    assert keys.status_code == 200, keys.text
    opening = tmp / f"{package.who}-opening.pub.pem"
    opening.write_text(keys.json()["intl"]["opening"], encoding="utf-8")
    out = tmp / f"{package.who}.release"
    argv = ["bidder", "decrypt", "--key", str(package.key), "--package", str(package.path), "--platform-key", str(opening), "--out", str(out)]
    assert main(argv) == 0
    return base64.b64encode(out.read_bytes()).decode()


def opened_at_the_deadline(api: Api, tender: Tender) -> None:
    """The opening through the use case: ``POST /opening`` answers 500 on a sealed lot (see the xfail below)."""
    api.at("2026-12-21T09:30")
    svc = api.platform.services
    bids.open_bids(svc, actor_for_token(svc, api.tokens["tenderer"]), tender.id, {"lot": tender.lot})


def test_an_interrupted_upload_resumes_where_it_stopped_and_its_signed_receipt_verifies(parties: Api, tmp_path: Path) -> None:
    tender, package = a_registered_bidders_package(parties, tmp_path)
    first = begin(parties, tender, package)
    assert first.status_code == 200, first.text
    partial = send(parties, package, first.json(), chunks=3)
    assert partial["received"] == 3 * CHUNK < partial["total"] == package.path.stat().st_size
    resumed = parties.get(f"/api/sealed-uploads/{partial['upload_id']}", who="bidder_a").json()
    again = begin(parties, tender, package).json()
    assert resumed == again == partial
    state = send(parties, package, again)
    assert state["complete"]
    done = parties.post(f"/api/sealed-uploads/{state['upload_id']}/finish", who="bidder_a")
    assert done.status_code == 201, done.text
    receipt = done.json()
    assert receipt["receipt"]["ciphertext_sha256"] == package.sha256 and receipt["receipt"]["size"] == state["total"]
    assert parties.post("/api/receipts/verify", receipt).json() == {"valid": True, "receipt_id": state["upload_id"]}


def test_finishing_again_returns_the_same_receipt_with_200_and_a_forged_receipt_does_not_verify(parties: Api, tmp_path: Path) -> None:
    tender = published(parties)
    registered(parties.at("2026-12-10T10:00"), tender, "bidder_a")
    receipt = submitted(parties, tender, sealed_by("bidder_a", tmp_path))
    again = parties.at("2026-12-11T10:00").post(f"/api/sealed-uploads/{receipt['receipt']['receipt_id']}/finish", who="bidder_a")
    assert again.status_code == 200, again.text
    assert (again.json()["receipt"], again.json()["platform_key"]) == (receipt["receipt"], receipt["platform_key"])
    assert parties.post("/api/receipts/verify", again.json()).json()["valid"] is True  # ECDSA: a fresh signature
    forged = {**receipt, "receipt": {**receipt["receipt"], "received_at": "2026-12-09T10:00:00.000+08:00"}}
    assert parties.post("/api/receipts/verify", forged).json()["valid"] is False


def test_an_unencrypted_bid_is_refused_citing_article_25(parties: Api) -> None:
    tender = published(parties)
    registered(parties.at("2026-12-10T10:00"), tender, "bidder_a")
    body = {"lot": tender.lot, "price": "11500000", "period_days": 180, "security_amount": "200000"}
    refused = parties.post(f"/api/tenders/{tender.id}/bids", body, who="bidder_a")
    assert refused.status_code == 422, refused.text
    assert (refused.json()["law"], refused.json()["article"], refused.json()["code"]) == ("电子招标投标办法", 25, "UNSEALED_BID_REFUSED")


def test_an_upload_unfinished_at_the_deadline_is_refused_citing_article_26(parties: Api, tmp_path: Path) -> None:
    tender, package = a_registered_bidders_package(parties, tmp_path, at="2026-12-21T09:00")
    state = send(parties, package, begin(parties, tender, package).json(), chunks=2)
    parties.at("2026-12-21T09:30")
    state = send(parties, package, state)
    refused = parties.post(f"/api/sealed-uploads/{state['upload_id']}/finish", who="bidder_a")
    assert refused.status_code == 422, refused.text
    assert (refused.json()["code"], refused.json()["article"]) == ("SEALED_UPLOAD_BEFORE_DEADLINE", 26)
    assert begin(parties, tender, package).json()["article"] == 26
    assert lot_of(parties.get(f"/api/tenders/{tender.id}", who="tenderer").json())["status"] == "bidding"


def test_a_bidder_cannot_continue_or_finish_another_bidders_upload(parties: Api, tmp_path: Path) -> None:
    tender = published(parties)
    registered(parties.at("2026-12-10T10:00"), tender, "bidder_a", "bidder_b")
    package = sealed_by("bidder_a", tmp_path)
    state = send(parties, package, begin(parties, tender, package).json(), chunks=1)
    upload = f"/api/sealed-uploads/{state['upload_id']}"
    chunk = package.path.read_bytes()[CHUNK:2 * CHUNK]
    assert put(parties, state["upload_id"], CHUNK, chunk, "bidder_b").status_code == 403
    assert parties.get(upload, who="bidder_b").status_code == 403
    assert parties.post(f"{upload}/finish", who="bidder_b").status_code == 403
    assert put(parties, state["upload_id"], CHUNK, chunk, "tenderer").status_code == 403
    assert put(parties, state["upload_id"], CHUNK, chunk, None).status_code == 401
    assert parties.get(upload, who="bidder_a").json()["received"] == CHUNK


def test_chunks_out_of_order_or_too_large_are_refused_and_the_upload_stays_resumable(parties: Api, tmp_path: Path) -> None:
    tender, package = a_registered_bidders_package(parties, tmp_path)
    state = send(parties, package, begin(parties, tender, package).json(), chunks=1)
    data = package.path.read_bytes()
    gap = put(parties, state["upload_id"], 2 * CHUNK, data[2 * CHUNK:3 * CHUNK], "bidder_a")
    assert (gap.status_code, gap.json()["code"]) == (409, "upload_gap")
    too_large = put(parties, state["upload_id"], CHUNK, b"\0" * (MAX_CHUNK + 1), "bidder_a")
    assert (too_large.status_code, too_large.json()["code"]) == (413, "chunk_too_large")
    assert too_large.headers["content-type"].startswith("application/problem+json")
    assert put(parties, state["upload_id"], 0, data[:10], "bidder_a").json()["received"] == CHUNK  # a re-sent overlap is fine
    assert submitted(parties, tender, package)["receipt"]["size"] == len(data)


def test_a_forged_summary_signature_is_refused_citing_article_27(parties: Api, tmp_path: Path) -> None:
    tender, package = a_registered_bidders_package(parties, tmp_path)
    body = {"lot": tender.lot, "sha256": package.sha256, "summary": {**package.summary, "ciphertext_digest": "0" * 64}}
    refused = parties.post(f"/api/tenders/{tender.id}/sealed-uploads", body, who="bidder_a")
    assert (refused.status_code, refused.json()["code"], refused.json()["article"]) == (422, "SEALED_SIGNATURE_INVALID", 27)


def test_the_platform_keys_and_receipt_check_are_public(api: Api) -> None:
    keys = api.get("/api/platform/keys")
    assert keys.status_code == 200
    assert set(keys.json()) == {"intl", "gm"} and keys.json()["gm"]["opening"].startswith("-----BEGIN PUBLIC KEY-----")
    unsigned = api.post("/api/receipts/verify", {"receipt": {"suite": "intl", "receipt_id": "x"}, "signature": "AAAA"})
    assert unsigned.json() == {"valid": False, "receipt_id": "x"}
    assert api.post("/api/receipts/verify", {"receipt": {}, "signature": "AAAA"}).json()["field"] == "receipt.suite"


def test_at_the_opening_each_bidder_decrypts_and_the_closed_record_shows_the_prices(parties: Api, tmp_path: Path) -> None:
    tender = published(parties)
    registered(parties.at("2026-12-10T10:00"), tender, *PRICES)
    packages = [sealed_by(who, tmp_path) for who in PRICES]
    for package in packages:
        submitted(parties, tender, package)
    before = lot_of(parties.get(f"/api/tenders/{tender.id}", who="tenderer").json())
    assert "11500000" not in json.dumps(before)
    opened_at_the_deadline(parties, tender)
    parties.at("2026-12-21T09:35")
    for package in packages[:2]:
        done = parties.post(f"/api/tenders/{tender.id}/decryptions", {"lot": tender.lot, "release": released(parties, package, tmp_path)}, who=package.who)
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["decryption"]) == ("opened", "decrypted")
    failure = {"lot": tender.lot, "bid": "京华建工集团有限公司", "detail": "平台解密服务故障", "by_bidder": False}
    assert parties.post(f"/api/tenders/{tender.id}/decryption-failures", failure, who="bidder_c").status_code == 403
    assert parties.post(f"/api/tenders/{tender.id}/decryption-failures", failure, who="tenderer").status_code == 200
    closed = parties.post(f"/api/tenders/{tender.id}/decryption/close", {"lot": tender.lot}, who="tenderer")
    assert closed.status_code == 200, closed.text
    opening = lot_of(closed.json())["opening"]
    assert sorted(e["price"] for e in opening["entries"]) == ["11200000.00", "11500000.00"]
    signed = parties.post(f"/api/tenders/{tender.id}/opening-record/signatures", {"lot": tender.lot}, who="bidder_a")
    assert signed.status_code == 200, signed.text
    twice = parties.post(f"/api/tenders/{tender.id}/opening-record/signatures", {"lot": tender.lot}, who="bidder_a")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_signed")


def test_decrypting_before_the_opening_is_refused(parties: Api, tmp_path: Path) -> None:
    tender, package = a_registered_bidders_package(parties, tmp_path)
    submitted(parties, tender, package)
    early = parties.post(f"/api/tenders/{tender.id}/decryptions", {"lot": tender.lot, "release": released(parties, package, tmp_path)}, who="bidder_a")
    assert early.status_code == 409, early.text


def test_the_tender_view_and_the_opening_answer_on_a_sealed_lot(parties: Api, tmp_path: Path) -> None:
    tender = published(parties)
    registered(parties.at("2026-12-10T10:00"), tender, "bidder_a")
    submitted(parties, tender, sealed_by("bidder_a", tmp_path))
    mine = parties.get(f"/api/tenders/{tender.id}", who="bidder_a")
    assert mine.status_code == 200, mine.text
    assert lot_of(mine.json())["my_bids"][0]["price"] is None
    opened = parties.at("2026-12-21T09:30").post(f"/api/tenders/{tender.id}/opening", {"lot": tender.lot}, who="tenderer")
    assert opened.status_code == 200, opened.text


def finish_with(api: Api, upload_id: str, offset: int, data: bytes, who: str) -> Any:
    """``POST …/finish?offset=N`` carrying the last chunk (a small package: begin + this request)."""
    headers = {**api.headers(who), "Content-Type": "application/octet-stream"}
    return api.client.post(f"/api/sealed-uploads/{upload_id}/finish", params={"offset": offset}, content=data, headers=headers)


def test_a_package_sent_whole_with_the_finish_gets_its_receipt_and_a_retry_the_same_one(parties: Api, tmp_path: Path) -> None:
    tender, package = a_registered_bidders_package(parties, tmp_path)
    data, upload_id = package.path.read_bytes(), begin(parties, tender, package).json()["upload_id"]
    incomplete = finish_with(parties, upload_id, 0, data[:CHUNK], "bidder_a")
    assert (incomplete.status_code, incomplete.json()["code"]) == (409, "upload_incomplete")
    assert parties.get(f"/api/sealed-uploads/{upload_id}", who="bidder_a").json()["received"] == CHUNK  # kept: resumable
    too_large = finish_with(parties, upload_id, CHUNK, b"\0" * (MAX_CHUNK + 1), "bidder_a")
    assert (too_large.status_code, too_large.json()["code"]) == (413, "chunk_too_large")
    done = finish_with(parties, upload_id, 0, data, "bidder_a")  # the whole package, overlapping what was received
    assert done.status_code == 201, done.text
    assert done.json()["receipt"]["ciphertext_sha256"] == package.sha256 and done.json()["receipt"]["size"] == len(data)
    again = finish_with(parties, upload_id, 0, data, "bidder_a")  # a retry after a lost answer
    assert again.status_code == 200, again.text
    assert again.json()["receipt"] == done.json()["receipt"]
    assert parties.post("/api/receipts/verify", again.json()).json()["valid"] is True


def test_a_finish_refused_at_the_deadline_leaves_no_ciphertext_in_the_store(parties: Api, tmp_path: Path) -> None:
    tender, package = a_registered_bidders_package(parties, tmp_path, at="2026-12-21T09:00")
    upload_id = begin(parties, tender, package).json()["upload_id"]
    parties.at("2026-12-21T09:30")
    refused = finish_with(parties, upload_id, 0, package.path.read_bytes(), "bidder_a")
    assert (refused.status_code, refused.json()["code"], refused.json()["article"]) == (422, "SEALED_UPLOAD_BEFORE_DEADLINE", 26)
    vault = parties.platform.services.vault
    assert vault is not None and not vault.blobs.exists(package.sha256)
    assert list(vault.blobs.iter_digests()) == []

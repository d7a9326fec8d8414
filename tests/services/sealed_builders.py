"""A bidder's side of sealed bidding, done with the real tool functions (tenderhub.crypto)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services_builders import World, a_tender_body, bj

from tenderhub.core.shared.roles import Actor
from tenderhub.crypto import keys
from tenderhub.crypto.keys import KeyPair
from tenderhub.crypto.machine import fingerprint
from tenderhub.crypto.sealing import release_for, seal_package
from tenderhub.services import bids, sealed, tenders


@dataclass
class SealedBid:
    actor: Actor
    pair: KeyPair
    path: Path
    summary: dict[str, Any]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def seal(actor: Actor, tmp: Path, *, price: str, marker: str = "", suite: str = "intl", size: int = 200_000) -> SealedBid:
    pair = keys.generate(suite)
    folder = tmp / f"bid-{actor.user_id}"
    folder.mkdir(parents=True, exist_ok=True)
    document = folder / "技术标.txt"
    document.write_bytes((f"技术方案 {marker} ".encode() * (size // 20))[:size])
    out = folder / "bid.sealed"
    summary = seal_package(suite, pair.private_pem, [document], {"price": price, "period_days": 180, "security_amount": "0"},
                           out, created_at=bj("2026-12-10T10:00"), machine=fingerprint(), tool_version="test")
    return SealedBid(actor, pair, out, summary)


def upload(world: World, tender_id: str, lot: str, bid: SealedBid, *, chunk: int = 64 * 1024, stop_after: int | None = None) -> dict[str, Any]:
    """Upload in chunks (optionally stopping early, to resume later); finish and return the receipt."""
    state = sealed.begin_upload(world.svc, bid.actor, tender_id, {"lot": lot, "summary": bid.summary, "sha256": bid.sha256})
    data = bid.path.read_bytes()
    offset, sent = state["received"], 0
    while offset < len(data):
        if stop_after is not None and sent >= stop_after:
            return state
        state = sealed.put_chunk(world.svc, bid.actor, state["upload_id"], offset, data[offset:offset + chunk])
        offset, sent = state["received"], sent + 1
    return sealed.finish_upload(world.svc, bid.actor, state["upload_id"])


def release(world: World, bid: SealedBid) -> str:
    opening = world.svc.vault.keys.pair("opening", bid.pair.suite).public_pem  # type: ignore[union-attr]
    return base64.b64encode(release_for(bid.pair.suite, bid.pair.private_pem, bid.path, opening)).decode()


def a_sealed_tender(world: World, tmp: Path, n: int, *, deadline: str, registered: int | None = None,
                    at: str = "2026-12-10T10:00") -> tuple[Actor, str, str, list[SealedBid]]:
    """A published sealed tender (bids due at ``deadline``) and ``n`` bidders with a package each
    (the first ``registered`` registered); the clock left at ``at``."""
    tenderer = world.subject("tenderer", "tenderer", 1)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body(deadline=deadline))
    world.at("2026-12-01T09:00")
    tenders.publish(world.svc, tenderer, made["id"], {"doc_sale_end": "2026-12-07"})
    world.at(at)
    lot, packages = made["lots"][0]["code"], []
    for i in range(n):
        bidder = world.subject(f"b{i}", "bidder", 11 + i)
        if registered is None or i < registered:
            bids.register(world.svc, bidder, made["id"], {"lot": lot})
        packages.append(seal(bidder, tmp / f"p{i}", price=str(9_000_000 - i), size=20_000))
    return tenderer, made["id"], lot, packages

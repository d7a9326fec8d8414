"""A sealed bid in one request (``POST /api/tenders/{id}/sealed-bids``): the signed summary and
the whole package together, for a package that fits one request (docs/api.md). The resumable
upload (``services/sealed.py``: begin, chunks, finish) stays for larger packages and for
uploads that were interrupted; both give the same upload id, receipt and guarantees.

What is checked is what ``begin`` and ``finish`` check, in one transaction under the tender's
lock: the deadline on the server clock, registration and the lot's state, the blacklist, the
bidder's signature over the ciphertext digest (电子招标投标办法 第27条, 电子签名法 第13条). The
bytes are hashed against the signed summary and stored durably (fsync) *before* that lock is
taken, as ``finish`` does; a refusal under the lock removes them again (``discard_orphan``).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any, BinaryIO, cast

from tenderhub.blobs.port import BlobRef, DigestMismatch
from tenderhub.blobs.uploads import store_bytes
from tenderhub.core.shared.errors import Invalid, NotFound
from tenderhub.core.shared.roles import Actor
from tenderhub.services import parse as p
from tenderhub.services.bids import bidder_of
from tenderhub.services.context import Services, Vault
from tenderhub.services.sealed import (
    PASSING,
    Refused,
    checked_summary,
    vault_of,
    verify_summary,
)
from tenderhub.services.sealed_batch import Pending, committer_of
from tenderhub.services.sealed_uploads import (
    check_against_summary,
    discard_orphan,
)
from tenderhub.services.settling import settling_of


def submit_whole(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any], body: bytes) -> tuple[bool, dict[str, Any]]:
    """Record a sealed bid sent whole with its summary; whether it was received before (a
    retry: the receipt already issued, answered 200) and the signed receipt.

    ``data`` is what ``begin`` takes (``lot``, ``sha256``, ``summary``). The upload id is the
    one ``begin`` would give (same bidder, lot and package: the same id; a new one once a later
    package replaced it), so a retry — of this request or of a resumable upload of the same
    package — answers the same receipt, and the two protocols can be mixed."""
    bidder_of(actor)  # bidders only
    vault = vault_of(svc)
    summary, sha256, lot_ref = checked_summary(data), p.text(data, "sha256").lower(), p.text(data, "lot")
    problems = verify_summary(summary)
    ref = None if problems else stored(vault, summary, sha256, body)
    try:
        with settling_of(svc).holding(tender_id):  # entered before the receipt time: the opening waits for it
            pending = Pending(actor, svc.act(actor), tender_id, lot_ref, {"sha256": sha256, "summary": summary}, problems, ref)
            again, signed = committer_of(svc).submit(pending)  # receipt time: now, every byte stored and checked (ADR 0025)
    except (*Refused, NotFound, Invalid) as refused:  # an unknown tender or lot too: no bytes stay behind
        if ref is not None and refused.code not in PASSING:
            discard_orphan(svc, actor, vault, ref.digest)
        raise
    if not again:
        vault.uploads.abandon(pending.upload_id)  # a resumable upload of the same package begun before: not needed now
    return again, signed


def stored(vault: Vault, summary: Mapping[str, Any], sha256: str, body: bytes) -> BlobRef:
    """The bytes checked against the signed summary (whose signature the caller verified: only
    called when ``verify_summary`` found no problem) and the declared SHA-256 (a refusal stores
    nothing), then written once into the store, fsynced."""
    def views(_mode: str) -> BinaryIO:  # read() is all the check uses
        return cast(BinaryIO, nullcontext(Slices(body)))

    checked = check_against_summary(summary, views, signature_verified=True)
    if checked != sha256:
        raise DigestMismatch(sha256, checked, size=len(body))
    return store_bytes(vault.blobs, body, BlobRef(checked, len(body)))


class Slices:
    """``read(n)`` over bytes already in memory, as views (``io.BytesIO.read`` copies every block:
    1 MB per bid for nothing, the bytes are only hashed)."""

    def __init__(self, body: bytes) -> None:
        self._view, self._at = memoryview(body), 0

    def read(self, size: int = -1) -> memoryview:
        end = len(self._view) if size < 0 else self._at + size
        block, self._at = self._view[self._at:end], min(end, len(self._view))
        return block

"""Group commit of sealed bids sent in one request (ADR 0025): the bids that reach the platform
while another group is being written are recorded together — one transaction under the
tender's lock, one ``COMMIT``, one WAL fsync — instead of one after another.

Each request thread stores and checks its bytes itself (``sealed_whole.stored``), takes its
**receipt time** from the server clock (the upload is finished: every byte is durable and
matches the signed summary), and hands a ``Pending`` bid to this process's ``Committer``. The
first thread to find no group being written leads: it takes every bid waiting (up to
``MAX_GROUP``) and runs ``record_group``; the others wait. Per bid, in arrival order, exactly
what one request checked before (ADR 0018): the lot, a receipt already issued for this package
(answered as it is), the blacklist, the tender and lot state, registration, the deadline
**against the bid's receipt time** (电子招标投标办法 第26条: an upload finished before the deadline
is in time even if its group commits after it; one finished at or after it is refused, however
early its group starts), the bidder's signature. A bid the rules refuse gets its refusal and the
others go on. A bid that fails after it changed the tender (or whose ciphertext vanished) makes
the group start again without it; a failed ``COMMIT`` makes every bid of the group go on alone,
so one bid's failure never fails or loses another's. Each request gets its receipt only after
the group's commit has returned (on disk: ADR 0016/0024) and signs it on its own thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from tenderhub.blobs.port import BlobRef
from tenderhub.core.bids import sealing
from tenderhub.core.bids.model import Bid, SealedPackage
from tenderhub.core.procedures.model import Tender
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.errors import Invalid, NotFound
from tenderhub.core.shared.roles import Actor
from tenderhub.services.bids import bidder_of, require_not_blacklisted
from tenderhub.services.context import Services
from tenderhub.services.sealed import (
    Refused,
    bid_with_receipt,
    receipt,
    record_submission,
    sealed_package,
    sealing_refusal,
    upload_id_in,
    vault_of,
)
from tenderhub.services.sealed_uploads import digest_locks, upload_lost
from tenderhub.services.tenders import load

MAX_GROUP = 64
"""At most this many bids in one transaction (a group holds the writer gate while it is written)."""
ANSWERED = (*Refused, NotFound, Invalid)
"""What a bid's own checks may answer before it changed anything: that bid is refused, the group goes on."""


@dataclass
class Pending:
    """One bid waiting for its group: what one request hands over, and its receipt time."""

    actor: Actor
    act: Act  # act.at: the receipt time, read once the bytes were stored and checked
    tender_id: str
    lot_ref: str
    meta: dict[str, Any]  # sha256, summary
    problems: list[str]
    ref: BlobRef | None
    upload_id: str = ""
    result: tuple[bool, Tender, Bid, SealedPackage] | None = None  # (a retry?, …) once committed
    error: BaseException | None = None
    done: bool = False

    @property
    def settled(self) -> bool:
        return self.result is not None or self.error is not None


@dataclass
class Committer:
    """This process's leader/follower queue of pending bids (one per ``Services``)."""

    svc: Services
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _queue: list[Pending] = field(default_factory=list)
    _leading: bool = False
    groups: int = 0  # groups written, for tests and diagnostics

    @property
    def waiting(self) -> int:
        """Bids queued for the next group."""
        with self._cond:
            return len(self._queue)

    def submit(self, bid: Pending) -> tuple[bool, dict[str, Any]]:
        """Wait until ``bid`` is recorded (or refused); its receipt, signed on this thread."""
        with self._cond:
            self._queue.append(bid)
            while not bid.done:
                if self._leading:
                    self._cond.wait()
                    continue
                self._lead()
        if bid.error is not None:
            raise bid.error
        assert bid.result is not None
        again, tender, recorded, package = bid.result
        return again, receipt(self.svc, tender, recorded, package)

    def _lead(self) -> None:
        """Write the waiting bids as one group; called and returning with ``_cond`` held."""
        self._leading = True
        group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
        self._cond.release()
        try:
            record_group(self.svc, group)
        except BaseException as error:
            for bid in group:
                if not bid.settled:
                    bid.error = error
        finally:
            self._cond.acquire()
            self._leading = False
            self.groups += 1
            for bid in group:
                bid.done = True
            self._cond.notify_all()


def committer_of(svc: Services) -> Committer:
    """The ``Committer`` of these services (made on first use)."""
    return svc.extra("sealed_committer", lambda: Committer(svc))  # type: ignore[no-any-return]


def record_group(svc: Services, group: list[Pending]) -> None:
    """Record ``group``, settling every bid (result or error); see the module docstring."""
    left = sorted(group, key=lambda bid: bid.tender_id)  # stable: arrival order per tender; row locks in one order
    alone = False
    while left:
        batch = left[:1] if alone else left
        try:
            attempt(svc, batch)
        except Exception as error:
            if len(batch) == 1:
                batch[0].error = error
            alone = True  # from now on each bid in a transaction of its own
        left = [bid for bid in left if not bid.settled]


def attempt(svc: Services, batch: list[Pending]) -> None:
    """One transaction for ``batch``. Returns early (rolled back) when a bid failed after it
    changed the tender: that bid is settled with its error, the caller starts again."""
    answered: list[tuple[Pending, tuple[bool, Tender, Bid, SealedPackage]]] = []
    with svc.uow(batch[0].actor) as uow:
        for bid in batch:
            uow.also_for(svc.uow(bid.actor))
            try:
                found = checked(svc, uow, bid)
            except ANSWERED as refused:
                bid.error = refused
                continue
            if isinstance(found, tuple):  # a receipt issued before: answered as it is
                answered.append((bid, (True, *found)))
                continue
            try:
                recorded, package = submitted(uow, found, bid)
            except Exception as error:  # the tender may be half changed: start again without this bid
                bid.error = error
                return
            answered.append((bid, (False, found, recorded, package)))
        new = [bid for bid, (again, *_) in answered if not again]
        if new and not committed(svc, uow, new):
            return
    for bid, result in answered:
        bid.result = result


def checked(svc: Services, uow: Any, bid: Pending) -> Tender | tuple[Tender, Bid, SealedPackage]:
    """``bid``'s rules under the tender's lock: the tender to record it in, or the tender with
    the bid and package that already have a receipt for this package."""
    bidder = bidder_of(bid.actor)
    tender = load(uow, bid.tender_id, for_update=True, bidder_id=bidder.bidder_id)  # its own bids (added to the others')
    lot = tender.lot(bid.lot_ref)
    bid.upload_id = upload_id_in(tender, lot, bidder.bidder_id, bid.meta["sha256"])
    existing = bid_with_receipt(tender, bid.upload_id)
    if existing is not None:
        return tender, *existing
    require_not_blacklisted(svc, tender.regime.value, bidder)
    sealing.may_submit_sealed(tender, bid.act, lot_id=lot.id, bidder=bidder)  # the deadline: against the receipt time
    if bid.problems or bid.ref is None:
        raise sealing_refusal(tender, bid.problems)
    return tender


def submitted(uow: Any, tender: Tender, bid: Pending) -> tuple[Bid, SealedPackage]:
    """The bid, its blob row and the receipt event (``sealed.record_submission``), not committed."""
    package = sealed_package(bid.meta, bid.ref, bid.upload_id, bid.act.at)
    recorded = record_submission(uow, tender, bid.act, bidder_of(bid.actor), tender.lot(bid.lot_ref).id, package)
    assert recorded.sealed is not None
    return recorded, recorded.sealed


def committed(svc: Services, uow: Any, new: list[Pending]) -> bool:
    """Commit once every new bid's ciphertext is still in the store, under those digests'
    locks (``sealed_uploads.commit_if_stored`` for a group). A vanished
    one settles its bid (upload again) and asks for another attempt without it (False)."""
    vault = vault_of(svc)
    with digest_locks(vault, [bid.ref.digest for bid in new if bid.ref is not None]):
        for bid in new:
            if bid.ref is None or not vault.blobs.exists(bid.ref.digest):
                bid.error = upload_lost()
                return False
        uow.commit()
    return True

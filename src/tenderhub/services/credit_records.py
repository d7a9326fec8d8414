"""Credit records the platform reports to the hub: kept in its audit log, delivered like the outbox.

A credit-relevant fact leaves an audit event in the transaction that makes it:

* ``credit:record:reported`` carries the record itself: a report by the operator or a regulator
  (``report``, ``POST /api/credit-records``) and an award (中标, ``award_record`` from
  ``services/awards.award``; the award notice: 招标投标法 第45条, in government procurement 政府采购法 第46条);
* ``bids:bid:revoked``: a bid revoked at decryption through the bidder's fault (电子招标投标办法
  第31条, recorded by the sealed-bid opening); its record is derived at delivery (``revoked_record``).

``CreditDelivery.deliver_once`` reads those audit rows after its cursors (append-only rows, so
the count of rows already handled of a tag is a cursor), sends each record not yet acknowledged
through the ``CreditPort`` (``HttpCredit`` signs it with the platform key, ``POST /hub/credit``)
and records the hub's answer in the audit log: ``credit:record:acknowledged`` (the record as
sent, its signature, the hub's ``received_at``) or, when the hub refuses it for good,
``credit:record:refused`` (the hub's error). A hub that cannot answer (``credit_unavailable``)
stops the round; the next round sends the record again. Exactly once at the hub: a record's id
is fixed when the fact is recorded (derived ones from the fact: ``record_id``) and the hub is
idempotent by ``(platform, id)``, so a record sent twice (lost answer, restart) is one record.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenderhub.core.shared.clock import Clock
from tenderhub.core.shared.errors import Conflict, DomainError, Invalid
from tenderhub.core.shared.events import DomainEvent
from tenderhub.core.shared.roles import Actor
from tenderhub.services.context import Services
from tenderhub.services.credit import CreditPort

REPORTED, ACKNOWLEDGED, REFUSED, REVOKED = "credit:record:reported", "credit:record:acknowledged", "credit:record:refused", "bids:bid:revoked"
SOURCES = (REPORTED, REVOKED)
KINDS = ("penalty", "award", "performance")
UNAVAILABLE = "credit_unavailable"


def record_id(prefix: str, *parts: str) -> str:
    """A record id fixed by the fact it records (at most 64 characters, as the hub requires)."""
    return f"{prefix}-{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:40]}"


def check_record(record: dict[str, Any]) -> None:
    """What the hub would refuse anyway, refused before anything is recorded."""
    if record.get("kind") not in KINDS:
        raise Invalid(f"record.kind: one of {', '.join(KINDS)}", message_zh="record.kind：须为 penalty（不良行为）、award（奖励）或 performance（履约）",
                      field="record.kind")
    if record["kind"] == "penalty" and not record.get("basis"):
        raise Invalid("record.basis: a penalty names its legal basis {law, article}", message_zh="record.basis：不良行为记录须注明法律依据 {law, article}",
                      field="record.basis")


# ---- records made by the platform's own facts ------------------------------------------------------


AWARD_BASIS = {"works": {"law": "招标投标法", "article": 45}, "gp": {"law": "政府采购法", "article": 46}}  # 中标（成交）通知书


def award_record(tender: Any, lot: Any, notice: Any, authority: str) -> dict[str, Any]:
    """中标: a positive (performance) record of the winner (招标投标法 第45条; 政府采购法 第46条)."""
    return {"id": record_id("award", lot.id, notice.bidder_id, notice.at.isoformat()), "uscc": notice.uscc, "name": notice.name,
            "kind": "performance", "title": f"中标 / awarded: {tender.title} {lot.title}（{notice.amount} 元）", "date": notice.at.isoformat(),
            "authority": authority, "basis": dict(AWARD_BASIS[str(tender.regime)]), "tender_code": tender.code}


def record_award(tender: Any, act: Any, lot: Any, notice: Any, authority: str) -> None:
    """Record the award's credit record with the award itself (same transaction, same audit chain)."""
    record = award_record(tender, lot, notice, authority)
    tender.record(REPORTED, record["id"], act.at, act.by, "中标结果 / award result", record=record)


def revoked_record(tender: Any, bid: Any, at: Any, authority: str) -> dict[str, Any]:
    """撤销投标: a bid not decrypted through the bidder's fault is revoked (电子招标投标办法 第31条)."""
    return {"id": record_id("revoked", bid.id), "uscc": bid.uscc, "name": bid.name, "kind": "penalty",
            "title": f"投标文件因投标人原因未解密，视为撤销 / bid revoked, not decrypted through the bidder's fault: {tender.title}",
            "date": at.isoformat(), "authority": authority, "basis": {"law": "电子招标投标办法", "article": 31}, "tender_code": tender.code}


# ---- the explicit report -------------------------------------------------------------------------


def report(svc: Services, actor: Actor, record: dict[str, Any]) -> dict[str, Any]:
    """Record the report (audit ``credit:record:reported``) and try to deliver it at once; a hub
    that cannot answer leaves it ``queued`` for ``CreditDelivery``."""
    check_record(record)
    with svc.uow(actor) as uow:
        known = [r.data["record"] for r in uow.audit.list(target=record["id"], tag=REPORTED)]
        if known and known[0] != record:
            raise Conflict(f"record {record['id']} was reported with other content", message_zh=f"信用记录 {record['id']} 已以不同内容报送",
                           field="id")
        if not known:
            uow.record(DomainEvent(REPORTED, record["id"], svc.clock.now(), actor.user_id, "报送信用记录 / credit record reported", {"record": record}))
            uow.commit()
    assert svc.credit is not None
    return deliver(svc.uow, svc.credit, svc.clock, record)


def deliver(uow: Callable[..., Any], port: CreditPort, clock: Clock, record: dict[str, Any]) -> dict[str, Any]:
    """Send one record; its acknowledgement or refusal recorded. ``queued`` when the hub is down."""
    try:
        entry = port.send(record)
    except DomainError as error:
        if error.code == UNAVAILABLE:
            return {**record, "status": "queued"}
        keep(uow, clock, REFUSED, record, {"error": {"kind": error.kind, "code": error.code, "field": error.field, "message": error.message_en}})
        raise
    keep(uow, clock, ACKNOWLEDGED, record, {"signature": entry.get("signature"), "received_at": entry.get("received_at"),
                                            "source_platform": entry.get("source_platform")})
    return {**entry, "status": "acknowledged"}


def keep(uow: Callable[..., Any], clock: Clock, tag: str, record: dict[str, Any], answer: dict[str, Any]) -> None:
    with uow(None) as unit:
        unit.record(DomainEvent(tag, record["id"], clock.now(), "platform", "公共服务平台的回执 / the hub's answer", {"record": record, **answer}))
        unit.commit()


# ---- the delivery step, next to the outbox relay ------------------------------------------------------


@dataclass
class CreditBatch:
    sent: int = 0
    refused: int = 0
    skipped: int = 0  # answered already, or no longer a record (a bid no longer found)
    transient: bool = False

    @property
    def handled(self) -> int:
        return self.sent + self.refused + self.skipped


@dataclass
class CreditDelivery:
    """Delivers the records of ``SOURCES`` not yet answered; driven like the outbox relay."""

    uow: Callable[..., Any]  # a unit of work for an actor (None: the platform itself)
    port: CreditPort
    clock: Clock
    authority: str
    done: set[str] = field(default_factory=set)  # record ids the hub has answered
    cursors: dict[str, int] = field(default_factory=dict)  # audit rows of each tag already handled
    tender_of_bid: dict[str, str] = field(default_factory=dict)

    def deliver_once(self, limit: int = 100) -> CreditBatch:
        batch = CreditBatch()
        with self.uow(None) as unit:
            self.catch_up(unit)
            todo = [(tag, self.record_of(unit, row)) for tag in SOURCES for row in unit.audit.list(tag=tag, limit=limit, offset=self.cursors.get(tag, 0))]
            unit.rollback()
        for tag, record in todo:
            if record is None or record["id"] in self.done:
                batch.skipped += 1
            elif not self.send(record, batch):
                return batch
            self.cursors[tag] = self.cursors.get(tag, 0) + 1
        return batch

    def catch_up(self, unit: Any) -> None:
        for tag in (ACKNOWLEDGED, REFUSED):
            while rows := unit.audit.list(tag=tag, limit=1000, offset=self.cursors.get(tag, 0)):
                self.done.update(r.target for r in rows)
                self.cursors[tag] = self.cursors.get(tag, 0) + len(rows)

    def send(self, record: dict[str, Any], batch: CreditBatch) -> bool:
        try:
            entry = deliver(self.uow, self.port, self.clock, record)
        except DomainError:
            batch.refused += 1
        else:
            if entry["status"] == "queued":
                batch.transient = True
                return False
            batch.sent += 1
        self.done.add(record["id"])
        return True

    def record_of(self, unit: Any, row: Any) -> dict[str, Any] | None:
        if row.tag == REPORTED:
            found: dict[str, Any] = row.data["record"]
            return found
        tender = self.tender_with(unit, row.target)
        bid = next((b for b in every_bid(tender) if b.id == row.target), None) if tender is not None else None
        return None if bid is None else revoked_record(tender, bid, row.at, self.authority)

    def tender_with(self, unit: Any, bid_id: str) -> Any:
        if bid_id not in self.tender_of_bid:  # a revocation is rare: look the bid up once, then remember it
            for tender in unit.tenders.list(limit=100_000):
                self.tender_of_bid.update({b.id: tender.id for b in every_bid(tender)})
        tender_id = self.tender_of_bid.get(bid_id)
        return None if tender_id is None else unit.tenders.get(tender_id)

    def run(self, stop: threading.Event, *, idle: float = 1.0, sleep: Callable[[float], Any] = time.sleep) -> None:
        """Deliver until ``stop`` is set; wait ``idle`` when caught up or when the hub is down."""
        while not stop.is_set():
            batch = self.deliver_once()
            if batch.transient or not batch.handled:
                sleep(idle)


def every_bid(tender: Any) -> list[Any]:
    """The bids of every lot, the earlier rounds' too: a lot re-tendered before the delivery ran
    keeps its revoked bid in ``lot.history`` (still the bidder's fault, 电子招标投标办法 第31条)."""
    return [b for lot in tender.lots for b in [*lot.bids, *(b for past in lot.history for b in past.bids)]]


def drain_credit(delivery: CreditDelivery, limit: int = 100) -> dict[str, int]:
    """Deliver in the foreground until nothing more moves (``embedded.relay_until_idle``)."""
    totals = {"sent": 0, "refused": 0, "skipped": 0, "transient": 0}
    while True:
        batch = delivery.deliver_once(limit)
        for key, value in (("sent", batch.sent), ("refused", batch.refused), ("skipped", batch.skipped), ("transient", int(batch.transient))):
            totals[key] += value
        if batch.transient or not batch.handled:
            return totals

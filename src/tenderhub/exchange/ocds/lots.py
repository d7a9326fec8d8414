"""The per-lot stages: opening, failed rounds, candidate publicity, award, contract, performance.

Bids are published from the opening record on, never before (电子招标投标办法 第20条); the
evaluation committee's names only with the award notice (the result published).
"""

from __future__ import annotations

from typing import Any

from tenderhub.core.bids.model import Bid
from tenderhub.core.procedures.model import Lot
from tenderhub.exchange.ocds import extension as national
from tenderhub.exchange.ocds.codes import AWARD_ACTIVE
from tenderhub.exchange.ocds.stage import Ref, Stage
from tenderhub.exchange.ocds.values import money, org, when

PERFORMANCE_TITLES = {"progress": "进度 progress", "acceptance": "验收 acceptance", "payment": "支付 payment",
                      "completion": "竣工 completion", "change": "变更 change"}


def stages(ocid: str, tender_code: str, number: int, lot: Lot) -> list[Stage]:
    found = [failure(number, lot, r.number, r.deadline, r.failed_at, r.failure_reason) for r in lot.history if r.failed_at]
    if lot.failed_at is not None and lot.status.value == "failed":
        found.append(failure(number, lot, lot.round, lot.deadline, lot.failed_at, lot.failure_reason))
    found += [s for s in (opening(number, lot), publicity(number, lot), award(number, lot), contract(number, lot)) if s]
    if lot.contract is not None and lot.award is not None:
        found += [performance(number, lot, n, award_id(lot.award.bid_id)) for n in range(1, len(lot.performance) + 1)]
    return found


def key(number: int, lot: Lot, round_number: int | None = None) -> str:
    return f"{number}-{lot.round if round_number is None else round_number}"


def lot_status(lot: Lot, status: str) -> dict[str, Any]:
    return {"lots": [{"id": lot.code, "status": status}]}


def failure(number: int, lot: Lot, round_number: int, deadline: Any, failed_at: Any, reason: str) -> Stage:
    body = {"tender": lot_status(lot, "unsuccessful"),
            "tenderhub": {"sections": [national.section(lot, round_number, deadline, failed_at, reason)]}}
    return Stage("failure", key(number, lot, round_number), failed_at, "tenderUpdate", body)


# ---- opening: bids become public ------------------------------------------------------------


def opening(number: int, lot: Lot) -> Stage | None:
    record = lot.opening
    if record is None:
        return None
    revoked = [b for b in lot.bids if b.id in record.revoked]
    details = [opened_bid(lot, e) for e in record.entries] + [revoked_bid(lot, b) for b in revoked]
    bidders = [(e.bid_id, e.uscc, e.bidder_name) for e in record.entries] + [(b.id, b.uscc, b.name) for b in revoked]
    shown = {e.bid_id for e in record.entries} | {b.id for b in revoked}
    extension = {
        "sections": [national.section(lot, lot.round, lot.deadline)],
        "openingRecords": [national.opening_record(lot, record)],
        "bidderLists": [national.bidder_list(lot, bidders)],
        "bidFingerprints": [national.fingerprint(lot, b) for b in lot.bids if b.id in shown],
        "guarantees": [national.bid_security(lot, e) for e in record.entries if e.security_amount],
    }
    body = {"tender": lot_status(lot, "active"), "bids": {"details": details}, "tenderhub": extension}
    parties = [Ref(uscc, name, ("tenderer",)) for _, uscc, name in bidders]
    return Stage("opening", key(number, lot), record.at, "tenderUpdate", body, parties)


def opened_bid(lot: Lot, entry: Any) -> dict[str, Any]:
    return {"id": entry.bid_id, "date": when(entry.submitted_at), "status": "valid",
            "tenderers": [org(entry.uscc, entry.bidder_name)], "value": money(entry.price), "relatedLots": [lot.code]}


def revoked_bid(lot: Lot, bid: Bid) -> dict[str, Any]:
    return {"id": bid.id, "date": when(bid.submitted_at), "status": "withdrawn",
            "tenderers": [org(bid.uscc, bid.name)], "relatedLots": [lot.code]}


# ---- evaluation result: candidates, award notice -------------------------------------------


def award_id(bid_id: str) -> str:
    return f"award-{bid_id}"


def publicity(number: int, lot: Lot) -> Stage | None:
    """中标候选人公示: one pending award per candidate; rejected bids become disqualified."""
    if lot.publicity is None or not lot.candidates:
        return None
    awards = [{"id": award_id(c.bid_id), "title": f"{lot.title} 中标候选人第{c.rank}名", "status": "pending",
               "value": money(c.price), "suppliers": [org(c.uscc, c.name)], "relatedBid": c.bid_id,
               "relatedLots": [lot.code]} for c in lot.candidates]
    rejected = [{"id": r.bid_id, "status": "disqualified"} for r in (lot.evaluation.rejections if lot.evaluation else [])]
    body: dict[str, Any] = {"awards": awards, "tenderhub": {"candidates": [national.candidates(lot, lot.publicity)]}}
    if rejected:
        body["bids"] = {"details": rejected}
    return Stage("candidates", key(number, lot), lot.publicity.start, "award", body)


def award(number: int, lot: Lot) -> Stage | None:
    """中标通知书: the winner's award becomes active, the other candidates' unsuccessful."""
    notice = lot.award
    if notice is None:
        return None
    winner = {"id": award_id(notice.bid_id), "title": f"{lot.title} 中标", "status": AWARD_ACTIVE, "date": when(notice.at),
              "value": money(notice.amount), "suppliers": [org(notice.uscc, notice.name)], "relatedBid": notice.bid_id,
              "relatedLots": [lot.code]}
    others = [{"id": award_id(c.bid_id), "status": "unsuccessful"} for c in lot.candidates if c.bid_id != notice.bid_id]
    extension: dict[str, Any] = {}
    if lot.evaluation is not None:
        extension["evaluationExperts"] = [national.experts(lot, lot.evaluation.committee)]
    body: dict[str, Any] = {"tender": lot_status(lot, "complete"), "awards": [winner, *others]}
    if extension:
        body["tenderhub"] = extension
    return Stage("award", key(number, lot), notice.at, "award", body, [Ref(notice.uscc, notice.name, ("supplier",))])


# ---- contract and performance ---------------------------------------------------------------


def contract_id(lot: Lot) -> str:
    return f"{lot.code}-contract"


def contract(number: int, lot: Lot) -> Stage | None:
    signed, notice = lot.contract, lot.award
    if signed is None or notice is None:
        return None
    found = {"id": contract_id(lot), "awardID": award_id(notice.bid_id), "title": f"{lot.title} 合同", "status": "active",
             "value": money(signed.amount), "dateSigned": when(signed.signed_at),
             "period": {"startDate": when(signed.signed_at), "durationInDays": signed.period_days}}
    body: dict[str, Any] = {"contracts": [found]}
    if signed.performance_security:
        body["tenderhub"] = {"guarantees": [national.performance_security(lot, contract_id(lot), notice.uscc, signed.performance_security)]}
    return Stage("contract", str(number), signed.signed_at, "contract", body)


def performance(number: int, lot: Lot, n: int, awarded: str) -> Stage:
    record = lot.performance[n - 1]
    milestone = {"id": f"{contract_id(lot)}-{n}", "title": PERFORMANCE_TITLES.get(record.kind, record.kind),
                 "description": record.text, "type": "delivery", "status": "met", "dateMet": when(record.at)}
    implementation: dict[str, Any] = {"milestones": [milestone]}
    if record.kind == "payment" and record.amount is not None:
        implementation["transactions"] = [{"id": f"{contract_id(lot)}-{n}", "date": when(record.at), "value": money(record.amount)}]
    found: dict[str, Any] = {"id": contract_id(lot), "awardID": awarded, "implementation": implementation}
    if record.kind == "completion":
        found["status"] = "terminated"
    return Stage("implementation", f"{number}-{n}", record.at, "implementation", {"contracts": [found]})

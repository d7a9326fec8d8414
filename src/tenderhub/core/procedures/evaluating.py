"""The lot's side of evaluation: hand the opened bids to the committee, take back the result."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from tenderhub.core.awards.model import PublicizedCandidate
from tenderhub.core.bids.model import Bid, BidStatus
from tenderhub.core.evaluation.committee import Committee
from tenderhub.core.evaluation.evaluation import Evaluation, EvaluationStatus, start_evaluation
from tenderhub.core.evaluation.methods import Category as MethodCategory
from tenderhub.core.evaluation.methods import Method, MethodConfig
from tenderhub.core.evaluation.report import EvaluationReport
from tenderhub.core.evaluation.scoring import OpenedBid
from tenderhub.core.procedures.guards import all_bids, require_active, require_lot_status
from tenderhub.core.procedures.model import Lot, Tender
from tenderhub.core.procedures.publishing import fail_lot
from tenderhub.core.procedures.states import Category, LotStatus
from tenderhub.core.rules.catalogue import by_code
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.errors import Conflict

T = TypeVar("T")
DONE = (EvaluationStatus.FINISHED, EvaluationStatus.FAILED)


def default_method(lot: Lot) -> MethodConfig:
    category = MethodCategory.SERVICES if lot.category in (Category.SERVICES, Category.SURVEY_DESIGN) else MethodCategory(lot.category.value)
    return MethodConfig(Method.LOWEST_EVALUATED_PRICE, category)


def opened_bids(lot: Lot) -> list[OpenedBid]:
    return [OpenedBid(b.id, b.bidder_id, b.uscc, b.name, b.price_form.price, b.submitted_at) for b in all_bids(lot)
            if b.status is BidStatus.OPENED and b.price_form is not None]


def begin(tender: Tender, act: Act, *, lot_id: str, committee: Committee, evaluation_id: str) -> Evaluation:
    """Seat the committee and start scoring (an upheld objection re-runs it, 条例 第54条)."""
    require_active(tender)
    lot = tender.lot(lot_id)
    rerun = lot.status is LotStatus.EVALUATING and lot.evaluation is not None and lot.evaluation.status in DONE
    if not rerun:
        require_lot_status(lot, LotStatus.OPENED)
        if lot.opening is None:
            raise Conflict("the opening record is not closed yet (online decryption)", message_zh="在线解密尚未结束，开标记录未生成", field="lot", code="no_opening_record")
    config = lot.evaluation_method or default_method(lot)
    evaluation = start_evaluation(evaluation_id, lot.id, regime=tender.regime.value, config=config, committee=committee,
                                  bids=opened_bids(lot), tenderer_uscc=tender.tenderer.uscc, at=act.at, by=act.by)
    evaluation.transition_to(EvaluationStatus.SCORING, at=act.at, by=act.by, reason=act.reason)
    lot.evaluation, lot.candidates = evaluation, []
    if not rerun:
        tender.lot_transition(lot, LotStatus.EVALUATING, at=act.at, by=act.by, reason="committee formed")
    absorb(tender, evaluation)
    return evaluation


def absorb(tender: Tender, evaluation: Evaluation) -> None:
    tender.pending_events.extend(evaluation.events)
    evaluation.events.clear()


def current(tender: Tender, lot_id: str) -> tuple[Lot, Evaluation]:
    require_active(tender)
    lot = tender.lot(lot_id)
    require_lot_status(lot, LotStatus.EVALUATING)
    if lot.evaluation is None:
        raise Conflict("no committee is seated", message_zh="评标委员会尚未组建", field="lot_id", code="no_committee")
    return lot, lot.evaluation


def on_evaluation(tender: Tender, lot_id: str, action: Callable[[Evaluation], T]) -> T:
    """Run one committee action on the lot's evaluation and keep its events."""
    _, evaluation = current(tender, lot_id)
    result = action(evaluation)
    absorb(tender, evaluation)
    return result


def finish(tender: Tender, act: Act, *, lot_id: str) -> EvaluationReport:
    lot, evaluation = current(tender, lot_id)
    report = evaluation.finish(at=act.at, by=act.by, reason=act.reason)
    absorb(tender, evaluation)
    if report.failed:
        zh, en = by_code(report.failure_rule).format(valid=len(evaluation.valid_bids()))
        fail_lot(tender, lot, act, f"{zh} / {en}")
        return report
    lot.report_at = act.at
    lot.candidates = candidates(lot, report)
    tender.lot_transition(lot, LotStatus.EVALUATED, at=act.at, by=act.by, reason=f"{len(lot.candidates)} candidates")
    return report


def bid_price(bid: Bid) -> Decimal:
    """The price the bidder offered (the award amount), not the evaluated price."""
    assert bid.price_form is not None, "candidates are opened bids"
    return bid.price_form.price


def candidates(lot: Lot, report: EvaluationReport) -> list[PublicizedCandidate]:
    bids = {b.id: b for b in all_bids(lot)}
    ranked = [r for r in report.ranking if r.bid_id in report.candidates]
    return [
        PublicizedCandidate(index, r.bid_id, r.bidder_id, bids[r.bid_id].name, bids[r.bid_id].uscc, bid_price(bids[r.bid_id]),
                            r.total if r.total != Decimal(0) else None)
        for index, r in enumerate(ranked, start=1)
    ]

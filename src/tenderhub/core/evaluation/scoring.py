"""Bids as evaluated: scores, rejections, price adjustments, aggregation and ranking.

Aggregation is the mean of the active members' scores per criterion (the void scores of
replaced members are left out, 条例 第48条); the price score is computed, never entered.
Ties are broken deterministically: lower (evaluated) price, earlier submission, then bid id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from tenderhub.core.evaluation.methods import POINTS, Method, MethodConfig, price_scores


@dataclass
class OpenedBid:
    bid_id: str
    bidder_id: str
    bidder_uscc: str
    bidder_name: str
    price: Decimal
    submitted_at: datetime


class RejectionGround(StrEnum):
    """条例 第51条 (一)–(七): the closed list of grounds for rejecting a bid."""

    NOT_SEALED_OR_SIGNED = "not_sealed_or_signed"
    NO_JOINT_BID_AGREEMENT = "no_joint_bid_agreement"
    NOT_QUALIFIED = "not_qualified"
    MULTIPLE_BIDS_OR_PRICES = "multiple_bids_or_prices"
    PRICE_BELOW_COST_OR_ABOVE_CAP = "price_below_cost_or_above_cap"
    NOT_RESPONSIVE = "not_responsive"
    COLLUSION_FRAUD_OR_BRIBERY = "collusion_fraud_or_bribery"


@dataclass
class Rejection:
    bid_id: str
    ground: RejectionGround
    reason: str
    at: datetime
    by: str


@dataclass
class PriceAdjustment:
    """A committee-recorded adjustment to a bid price (lowest evaluated price method)."""

    bid_id: str
    amount: Decimal
    reason: str
    at: datetime
    by: str


@dataclass
class Score:
    member_id: str
    bid_id: str
    criterion: str
    points: Decimal
    at: datetime
    void: bool = False


@dataclass
class RankedBid:
    bid_id: str
    bidder_id: str
    rank: int
    total: Decimal
    evaluated_price: Decimal
    criteria: dict[str, Decimal] = field(default_factory=dict)


def evaluated_prices(bids: list[OpenedBid], adjustments: list[PriceAdjustment]) -> dict[str, Decimal]:
    return {
        b.bid_id: b.price + sum((a.amount for a in adjustments if a.bid_id == b.bid_id), Decimal(0))
        for b in bids
    }


def missing_scores(
    config: MethodConfig, bids: list[OpenedBid], member_ids: list[str], scores: list[Score]
) -> list[tuple[str, str, str]]:
    """(member, bid, criterion) triples an active member has not scored yet."""
    have = {(s.member_id, s.bid_id, s.criterion) for s in scores if not s.void}
    return [
        (m, b.bid_id, c.code)
        for m in member_ids for b in bids for c in config.scored_criteria()
        if (m, b.bid_id, c.code) not in have
    ]


def rank(
    config: MethodConfig, bids: list[OpenedBid], member_ids: list[str],
    scores: list[Score], adjustments: list[PriceAdjustment],
) -> list[RankedBid]:
    """Rank the valid ``bids`` under ``config``; rank 1 is best."""
    prices = evaluated_prices(bids, adjustments)
    rows: dict[str, dict[str, Decimal]]
    if config.method is Method.LOWEST_EVALUATED_PRICE:
        rows = {b.bid_id: {} for b in bids}
    else:
        rows = _composite_rows(config, bids, member_ids, scores)
    totals = {bid: sum(row.values(), Decimal(0)) for bid, row in rows.items()}
    ordered = sorted(bids, key=lambda b: _sort_key(config, b, totals[b.bid_id], prices[b.bid_id]))
    return [
        RankedBid(b.bid_id, b.bidder_id, i, totals[b.bid_id], prices[b.bid_id], rows[b.bid_id])
        for i, b in enumerate(ordered, start=1)
    ]


def _sort_key(config: MethodConfig, bid: OpenedBid, total: Decimal, price: Decimal) -> tuple[Decimal, Decimal, datetime, str]:
    lead = Decimal(0) if config.method is Method.LOWEST_EVALUATED_PRICE else -total
    return (lead, price, bid.submitted_at, bid.bid_id)


def _composite_rows(
    config: MethodConfig, bids: list[OpenedBid], member_ids: list[str], scores: list[Score]
) -> dict[str, dict[str, Decimal]]:
    price = config.price_criterion()
    assert price is not None and config.price_formula is not None
    priced = price_scores({b.bid_id: b.price for b in bids}, price.max_points, config.price_formula)
    return {
        b.bid_id: {
            **{c.code: _mean(scores, member_ids, b.bid_id, c.code) for c in config.scored_criteria()},
            price.code: priced[b.bid_id],
        }
        for b in bids
    }


def _mean(scores: list[Score], member_ids: list[str], bid_id: str, criterion: str) -> Decimal:
    points = [
        s.points for s in scores
        if not s.void and s.member_id in member_ids and s.bid_id == bid_id and s.criterion == criterion
    ]
    if not points:
        return Decimal(0)
    return (sum(points, Decimal(0)) / len(points)).quantize(POINTS, rounding=ROUND_HALF_UP)

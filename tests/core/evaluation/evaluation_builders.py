"""Builders with keyword defaults for the evaluation tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tenderhub.core.evaluation.committee import Committee, Member, MemberKind, form_committee
from tenderhub.core.evaluation.draw import draw_and_record
from tenderhub.core.evaluation.evaluation import Evaluation, EvaluationStatus, start_evaluation
from tenderhub.core.evaluation.experts import Expert
from tenderhub.core.evaluation.methods import (
    Category,
    Criterion,
    Method,
    MethodConfig,
    PriceFormula,
)
from tenderhub.core.evaluation.scoring import OpenedBid

AT = datetime(2024, 5, 6, 1, 30, tzinfo=UTC)
TENDERER = "91110000TENDERER01"


def expert(id: str, *, specialties: list[str] | None = None, region: str = "北京", years: int = 10,
           senior: bool = True, employer: str = "", conflicts: list[str] | None = None,
           active: bool = True) -> Expert:
    return Expert(id=id, name=f"专家{id}", specialties=specialties or ["建筑"], region=region,
                  employer_uscc=employer, conflicts=conflicts or [], senior_title=senior,
                  years_in_field=years, active=active)


def pool(n: int = 20, *, specialty: str = "建筑") -> list[Expert]:
    return [expert(f"E{i:02d}", specialties=[specialty]) for i in range(n)]


def rep(id: str = "R1") -> Member:
    return Member(id=id, kind=MemberKind.TENDERER_REPRESENTATIVE, name=f"代表{id}")


def member(id: str, kind: MemberKind = MemberKind.EXPERT) -> Member:
    return Member(id=id, kind=kind, name=id, specialty="建筑")


def committee_of(experts: int, reps: int, *, regime: str = "works", budget: Decimal | None = None,
                 complex_or_high_impact: bool = False) -> Committee:
    members = [member(f"E{i}") for i in range(experts)]
    members += [member(f"R{i}", MemberKind.TENDERER_REPRESENTATIVE) for i in range(reps)]
    return Committee(regime, members, budget=budget, complex_or_high_impact=complex_or_high_impact)


def bid(id: str, price: str, *, minutes: int = 0, uscc: str | None = None) -> OpenedBid:
    return OpenedBid(bid_id=id, bidder_id=f"bidder-{id}", bidder_uscc=uscc or f"9111USCC{id}",
                     bidder_name=f"投标人{id}", price=Decimal(price), submitted_at=AT - timedelta(minutes=60 - minutes))


def composite(*, category: Category = Category.WORKS, price_points: str = "40",
              formula: PriceFormula | None = None, candidates: int = 3) -> MethodConfig:
    rest = Decimal(100) - Decimal(price_points)
    return MethodConfig(
        Method.COMPOSITE, category,
        [Criterion("tech", "技术", rest, False), Criterion("price", "价格", Decimal(price_points), True)],
        formula or PriceFormula("lowest_benchmark"), candidates,
    )


def lowest_price(*, category: Category = Category.WORKS) -> MethodConfig:
    return MethodConfig(Method.LOWEST_EVALUATED_PRICE, category)


def drawn_committee(*, regime: str = "works", experts: list[Expert] | None = None, seed: str = "seed-1",
                    count: int = 4, avoid: list[str] | None = None) -> Committee:
    experts = experts if experts is not None else pool()
    draw = draw_and_record(experts, {"建筑": count}, regime=regime, avoid_uscc=avoid or [], seed=seed, at=AT, by="agent")
    return form_committee(regime, draw=draw, pool=experts, representatives=[rep()], avoid_uscc=avoid or [])


def evaluation(*, bids: list[OpenedBid] | None = None, config: MethodConfig | None = None,
               regime: str = "works", committee: Committee | None = None, scoring: bool = True) -> Evaluation:
    bids = bids if bids is not None else [bid("A", "100"), bid("B", "125"), bid("C", "200")]
    committee = committee or drawn_committee(regime=regime)
    config = config or (composite() if regime == "works" else composite(category=Category.GOODS))
    ev = start_evaluation("EV1", "LOT1", regime=regime, config=config, committee=committee,
                          bids=bids, tenderer_uscc=TENDERER, at=AT, by="agent")
    if scoring:
        ev.transition_to(EvaluationStatus.SCORING, at=AT, by="agent")
    return ev


def score_all(ev: Evaluation, points: dict[str, str] | None = None) -> None:
    """Every active member gives each valid bid ``points[bid_id]`` (default 50) on ``tech``."""
    for m in ev.committee.active():
        for b in ev.valid_bids():
            value = Decimal((points or {}).get(b.bid_id, "50"))
            ev.record_scores(m.id, b.bid_id, {"tech": value}, at=AT)

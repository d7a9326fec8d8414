"""Random draw of experts (随机抽取), reproducible from the recorded seed.

条例 第46条 / 政府采购法实施条例 第39条: experts are drawn at random from the database. The
draw is ``random.Random(seed)`` over the eligible pool sorted by id, specialty by specialty in
sorted order, so anyone holding the pool, the requirements and the seed can replay it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from tenderhub.core.evaluation.experts import Expert, conflict_with, is_qualified
from tenderhub.core.evaluation.legal import check_regime, rule_for
from tenderhub.core.shared.errors import Invalid, RuleViolation


@dataclass
class DrawRecord:
    """One recorded draw: what was asked, with which seed, and who came out."""

    seed: str
    requirements: dict[str, int]
    drawn: dict[str, str]  # expert id -> specialty drawn for
    at: datetime
    by: str
    purpose: str = "initial"  # "initial" or "replacement:<member id>"


def eligible(
    pool: list[Expert], *, regime: str, avoid_uscc: list[str], region: str | None, exclude_ids: list[str]
) -> list[Expert]:
    """Active, qualified, unconflicted experts not already drawn, sorted by id."""
    return sorted(
        (
            e for e in pool
            if e.active and e.id not in exclude_ids and is_qualified(e, regime)
            and conflict_with(e, avoid_uscc) is None and (region is None or e.region == region)
        ),
        key=lambda e: e.id,
    )


def draw_experts(
    pool: list[Expert],
    requirements: dict[str, int],
    *,
    regime: str,
    avoid_uscc: list[str],
    region: str | None = None,
    seed: str,
    exclude_ids: list[str] | None = None,
) -> list[Expert]:
    """Draw ``requirements[specialty]`` experts per specialty, in draw order.

    ``region`` limits the draw to experts of that region; ``exclude_ids`` are experts already
    drawn or sitting (never drawn twice). Raises ``RuleViolation`` naming the first specialty
    the pool cannot fill and how many experts are short.
    """
    pairs = _draw(pool, requirements, regime=regime, avoid_uscc=avoid_uscc, region=region,
                  seed=seed, exclude_ids=exclude_ids or [])
    return [expert for expert, _ in pairs]


def draw_and_record(
    pool: list[Expert],
    requirements: dict[str, int],
    *,
    regime: str,
    avoid_uscc: list[str],
    seed: str,
    at: datetime,
    by: str,
    region: str | None = None,
    exclude_ids: list[str] | None = None,
    purpose: str = "initial",
) -> DrawRecord:
    """The same draw as ``draw_experts``, returned as the record to keep (ids per specialty)."""
    pairs = _draw(pool, requirements, regime=regime, avoid_uscc=avoid_uscc, region=region,
                  seed=seed, exclude_ids=exclude_ids or [])
    drawn = {expert.id: specialty for expert, specialty in pairs}
    return DrawRecord(seed=seed, requirements=dict(requirements), drawn=drawn, at=at, by=by, purpose=purpose)


def _draw(
    pool: list[Expert], requirements: dict[str, int], *, regime: str, avoid_uscc: list[str],
    region: str | None, seed: str, exclude_ids: list[str],
) -> list[tuple[Expert, str]]:
    check_regime(regime)
    _check_requirements(requirements, seed)
    rng = random.Random(seed)
    candidates = eligible(pool, regime=regime, avoid_uscc=avoid_uscc, region=region, exclude_ids=exclude_ids)
    chosen: list[tuple[Expert, str]] = []
    for specialty in sorted(requirements):
        taken = {e.id for e, _ in chosen}
        fits = [e for e in candidates if specialty in e.specialties and e.id not in taken]
        _check_enough(regime, specialty, requirements[specialty], len(fits))
        chosen.extend((e, specialty) for e in rng.sample(fits, requirements[specialty]))
    return chosen


def _check_requirements(requirements: dict[str, int], seed: str) -> None:
    if not seed:
        raise Invalid("a draw needs a recorded seed", message_zh="抽取须记录随机种子", field="seed")
    if not requirements or any(n < 1 for n in requirements.values()):
        raise Invalid(
            "requirements must ask for at least one expert per listed specialty",
            message_zh="抽取条件须为每个专业至少一人", field="requirements",
        )


def _check_enough(regime: str, specialty: str, needed: int, available: int) -> None:
    if available >= needed:
        return
    rule = rule_for(regime, "expert_random_draw")
    assert rule is not None
    raise RuleViolation(
        rule, field=f"requirements.{specialty}", specialty=specialty,
        needed=needed, available=available, short=needed - available,
    )

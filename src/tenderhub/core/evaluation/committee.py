"""The evaluation committee (评标委员会): drawn experts plus tenderer representatives.

Make-up: 法 第37条 / 京条例 第26条 (works), 87号令 第47条 (gp). Replacement only for a
statutory reason, the replacement drawn the same way (条例 第46条、第48条).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tenderhub.core.evaluation.draw import DrawRecord, draw_and_record
from tenderhub.core.evaluation.experts import Expert, check_no_conflict, check_qualified
from tenderhub.core.evaluation.legal import check_regime, extra, rule_for
from tenderhub.core.shared.errors import Invalid, NotFound, RuleViolation


class MemberKind(StrEnum):
    EXPERT = "expert"
    TENDERER_REPRESENTATIVE = "tenderer_representative"


class ReplacementReason(StrEnum):
    """条例 第48条: 回避事由、擅离职守、因健康等原因不能继续评标."""

    RECUSAL = "recusal"
    LEFT_POST = "left_post"
    HEALTH = "health"


@dataclass
class Member:
    id: str
    kind: MemberKind
    name: str
    specialty: str = ""
    ties: list[str] = field(default_factory=list)  # employer and declared-conflict USCCs
    active: bool = True
    replaced_by: str = ""
    left_reason: ReplacementReason | None = None
    left_note: str = ""
    left_at: datetime | None = None


@dataclass
class Committee:
    regime: str
    members: list[Member]
    draws: list[DrawRecord] = field(default_factory=list)
    budget: Decimal | None = None
    complex_or_high_impact: bool = False

    def active(self) -> list[Member]:
        return [m for m in self.members if m.active]

    def member(self, member_id: str) -> Member:
        found = next((m for m in self.members if m.id == member_id), None)
        if found is None:
            raise NotFound(f"no committee member {member_id!r}", message_zh=f"评标委员会无成员 {member_id}", field="member_id")
        return found

    def ids(self) -> list[str]:
        return [m.id for m in self.members]

    def seeds(self) -> list[str]:
        return [d.seed for d in self.draws]


def check_make_up(committee: Committee) -> None:
    """Raise ``RuleViolation`` for the first make-up rule the active members break."""
    active = committee.active()
    size, experts = len(active), sum(m.kind is MemberKind.EXPERT for m in active)
    regime = committee.regime
    _check_min(regime, "committee_min_size", size)
    _check_odd(regime, size)
    _check_share(regime, size, experts)
    if _is_large(committee):
        _check_min(regime, "committee_large_budget", size)


def check_conflicts(committee: Committee, avoid_uscc: list[str]) -> None:
    """法 第37条 / 条例 第46条: no sitting member may be tied to a bidder or the tenderer."""
    rule = rule_for(committee.regime, "expert_conflict")
    for member in committee.active():
        uscc = next((u for u in avoid_uscc if u in member.ties), None)
        if uscc is not None and rule is not None:
            raise RuleViolation(rule, field="members", expert=member.id, uscc=uscc)


def form_committee(
    regime: str,
    *,
    draw: DrawRecord,
    pool: list[Expert],
    representatives: list[Member],
    avoid_uscc: list[str],
    budget: Decimal | None = None,
    complex_or_high_impact: bool = False,
) -> Committee:
    """Seat the experts of ``draw`` (looked up in ``pool``) and the tenderer's representatives."""
    check_regime(regime)
    experts = [_expert(pool, expert_id) for expert_id in draw.drawn]
    for expert in experts:
        check_qualified(expert, regime)
        check_no_conflict(expert, avoid_uscc, regime)
    seated = [_seat(e, draw.drawn[e.id]) for e in experts]
    committee = Committee(regime, seated + _representatives(representatives), [draw], budget, complex_or_high_impact)
    check_make_up(committee)
    return committee


def replace_member(
    committee: Committee,
    member_id: str,
    *,
    reason: str,
    note: str,
    pool: list[Expert],
    avoid_uscc: list[str],
    seed: str,
    at: datetime,
    by: str,
    representative: Member | None = None,
) -> Member:
    """Retire ``member_id`` for a statutory reason and seat a replacement; returns the new member.

    An expert is replaced by a fresh draw in the same specialty with a new recorded ``seed``;
    a tenderer representative by the ``representative`` the tenderer names.
    """
    leaving = committee.member(member_id)
    why = _reason(committee.regime, member_id, reason)
    if not leaving.active:
        raise Invalid(f"member {member_id!r} has already left", message_zh=f"成员 {member_id} 已离开", field="member_id")
    new = _replacement(committee, leaving, pool, avoid_uscc, seed, at, by, representative)
    leaving.active, leaving.replaced_by, leaving.left_reason = False, new.id, why
    leaving.left_note, leaving.left_at = note, at
    committee.members.append(new)
    return new


def _replacement(
    committee: Committee, leaving: Member, pool: list[Expert], avoid_uscc: list[str],
    seed: str, at: datetime, by: str, representative: Member | None,
) -> Member:
    if leaving.kind is MemberKind.TENDERER_REPRESENTATIVE:
        if representative is None:
            raise Invalid("name the new tenderer representative", message_zh="须指定新的招标人代表", field="representative")
        return _representatives([representative])[0]
    draw = draw_and_record(
        pool, {leaving.specialty: 1}, regime=committee.regime, avoid_uscc=avoid_uscc, seed=seed,
        at=at, by=by, exclude_ids=committee.ids(), purpose=f"replacement:{leaving.id}",
    )
    committee.draws.append(draw)
    expert_id = next(iter(draw.drawn))
    return _seat(_expert(pool, expert_id), leaving.specialty)


def _reason(regime: str, member_id: str, reason: str) -> ReplacementReason:
    if reason in ReplacementReason.__members__.values():
        return ReplacementReason(reason)
    rule = rule_for(regime, "expert_replacement_reason")
    assert rule is not None
    raise RuleViolation(rule, field="reason", member=member_id, reason=reason)


def _check_min(regime: str, key: str, size: int) -> None:
    rule = rule_for(regime, key)
    if rule is not None and isinstance(rule.limit, int) and size < rule.limit:
        raise RuleViolation(rule, field="members", size=size)


def _check_odd(regime: str, size: int) -> None:
    rule = rule_for(regime, "committee_odd")
    if rule is not None and size % 2 == 0:
        raise RuleViolation(rule, field="members", size=size)


def _check_share(regime: str, size: int, experts: int) -> None:
    rule = rule_for(regime, "committee_expert_share")
    if rule is None:
        return
    numerator, denominator = extra(rule, "numerator"), extra(rule, "denominator")
    assert isinstance(numerator, int) and isinstance(denominator, int)
    if experts * denominator < size * numerator:
        raise RuleViolation(rule, field="members", size=size, experts=experts)


def _is_large(committee: Committee) -> bool:
    rule = rule_for(committee.regime, "committee_large_budget")
    if rule is None:
        return False
    limit = extra(rule, "budget_limit")
    assert isinstance(limit, Decimal)
    over = committee.budget is not None and committee.budget >= limit
    return over or committee.complex_or_high_impact


def _expert(pool: list[Expert], expert_id: str) -> Expert:
    found = next((e for e in pool if e.id == expert_id), None)
    if found is None:
        raise NotFound(f"no expert {expert_id!r} in the pool", message_zh=f"专家库中无专家 {expert_id}", field="pool")
    return found


def _seat(expert: Expert, specialty: str) -> Member:
    ties = sorted({expert.employer_uscc, *expert.conflicts} - {""})
    return Member(id=expert.id, kind=MemberKind.EXPERT, name=expert.name, specialty=specialty, ties=ties)


def _representatives(members: list[Member]) -> list[Member]:
    for m in members:
        if m.kind is not MemberKind.TENDERER_REPRESENTATIVE:
            raise Invalid(f"{m.id!r} is not a tenderer representative", message_zh="招标人代表类型不符", field="representatives")
    return members

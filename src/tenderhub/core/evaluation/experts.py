"""Evaluation experts (评标专家) as drawn from the expert database.

Conflicts (``conflicts``) are the unified social credit codes the expert must avoid: near
relatives, employment or office in the last 3 years, economic interest
(评标委员会和评标方法暂行规定 第12条; 政府采购法实施条例 第9条). ``id_number`` and ``phone``
are personal data kept for the record; no logic reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tenderhub.core.evaluation.legal import rule_for
from tenderhub.core.shared.errors import RuleViolation


@dataclass
class Expert:
    id: str
    name: str
    specialties: list[str]
    region: str
    employer_uscc: str = ""
    conflicts: list[str] = field(default_factory=list)
    senior_title: bool = False
    equivalent_level: bool = False
    years_in_field: int = 0
    active: bool = True
    id_number: str = ""
    phone: str = ""


def is_qualified(expert: Expert, regime: str) -> bool:
    """法 第37条: ≥ 8 years in the field and a senior title (or equivalent level)."""
    rule = rule_for(regime, "expert_qualification")
    if rule is None:
        return True
    assert isinstance(rule.limit, int)
    has_title = expert.senior_title or expert.equivalent_level
    return has_title and expert.years_in_field >= rule.limit


def check_qualified(expert: Expert, regime: str) -> None:
    rule = rule_for(regime, "expert_qualification")
    if rule is not None and not is_qualified(expert, regime):
        raise RuleViolation(rule, field="experts", expert=expert.id)


def conflict_with(expert: Expert, avoid_uscc: list[str]) -> str | None:
    """The first code in ``avoid_uscc`` the expert is tied to (employer or declared conflict)."""
    tied = {expert.employer_uscc, *expert.conflicts} - {""}
    return next((uscc for uscc in avoid_uscc if uscc in tied), None)


def check_no_conflict(expert: Expert, avoid_uscc: list[str], regime: str) -> None:
    uscc = conflict_with(expert, avoid_uscc)
    rule = rule_for(regime, "expert_conflict")
    if uscc is not None and rule is not None:
        raise RuleViolation(rule, field="experts", expert=expert.id, uscc=uscc)

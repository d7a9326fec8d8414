"""Small helpers to ask the rule catalogue from the evaluation package."""

from __future__ import annotations

from tenderhub.core.rules.catalogue import REGIMES, lookup
from tenderhub.core.rules.model import Rule
from tenderhub.core.shared.errors import Invalid


def check_regime(regime: str) -> str:
    if regime not in REGIMES:
        raise Invalid(f"unknown regime {regime!r}", message_zh=f"未知的适用制度 {regime}", field="regime")
    return regime


def rule_for(regime: str, key: str) -> Rule | None:
    """The rule for ``key`` under ``regime``, or ``None`` where no verified article applies."""
    try:
        return lookup(regime, key)
    except KeyError:
        return None


def extra(rule: Rule, name: str) -> object:
    return dict(rule.extra)[name]

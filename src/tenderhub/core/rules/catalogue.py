"""All legal rules, collected from the topic modules; look one up by regime and key.

Topic modules (one list ``RULES`` each): ``time_limits``, ``money``, ``bidders``,
``committee``, ``evaluation``, ``sealing``, ``projects``. Add a rule by adding it to the right topic module.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from tenderhub.core.rules.model import Rule

TOPICS = ("time_limits", "money", "bidders", "committee", "evaluation", "sealing", "projects")
REGIMES = {
    "works": ("工程建设项目招标投标（招标投标法及其实施条例）", "Works tendering (Tendering and Bidding Law)"),
    "gp": ("政府采购公开招标（政府采购法、87号令）", "Government procurement open tender (GP Law, MOF Order 87)"),
}


@cache
def all_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for topic in TOPICS:
        try:
            module = import_module(f"tenderhub.core.rules.{topic}")
        except ModuleNotFoundError:
            continue
        rules.extend(module.RULES)
    codes = [r.code for r in rules]
    duplicates = {c for c in codes if codes.count(c) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate rule codes: {sorted(duplicates)}")
    return tuple(rules)


@cache
def by_code(code: str) -> Rule:
    for r in all_rules():
        if r.code == code:
            return r
    raise KeyError(code)


@cache
def lookup(regime: str, key: str) -> Rule:
    """The rule for ``key`` under ``regime`` ("works" or "gp")."""
    for r in all_rules():
        if r.key == key and regime in r.regimes:
            return r
    raise KeyError(f"no rule {key!r} for regime {regime!r}")

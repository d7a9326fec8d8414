"""Release validation at the hub: the OCDS 1.1.5 schema (with the bids, lots and tenderhub
extensions) through ``tenderhub.exchange.ocds.validate``. Every problem is reported as a JSON
pointer into the request body (``/release/…``) with its reason.

One compiled validator answers the common case (``is_valid``, no error objects built); only
a release that fails is walked again for every problem.

Then one semantic rule the schema cannot say: dataset 508 评标专家 (``tenderhub.evaluationExperts``)
only with the result. 招标投标法 第37条第五款: the committee's names stay secret until the
winner is determined (政府采购法实施条例 第43条: the result notice lists them), so a release
that names the experts of a lot must carry an active award of that lot (our mapping puts them
in the 中标通知书 release only). A release that breaks it is refused (``experts_before_result``,
rule ``experts_before_result``), every offending committee named by its JSON pointer.

The same names smuggled into ``parties`` are caught where a machine can tell: a party with a
role in ``EXPERT_ROLES`` (evaluation expert, committee, panel, body, evaluator, 评标专家,
评标委员会 … in any case and separators) before the result is refused at
``/release/parties/{n}/roles/{k}``. A party belongs to no lot, so every lot the release lists
in ``tender.lots`` must have its active award (a release that lists none: at least one
active award). Not decidable, hence not refused: an expert under a role that does not say so
(``reviewBody`` of the OCDS codelist is the body that reviews challenges, 投诉处理, and
legitimately appears before the result; ``interestedParty``; a free-text role in other words),
an expert's name in a text field (a description, a document title), or a party whose only
tie to the committee is its name.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jsonschema_rs

from tenderhub.core.rules.catalogue import by_code
from tenderhub.core.rules.model import Rule
from tenderhub.core.shared.errors import Invalid
from tenderhub.exchange.ocds.codes import AWARD_ACTIVE
from tenderhub.exchange.ocds.extension import release_schema
from tenderhub.exchange.ocds.validate import resources, validate_release

KEYS = ("ocid", "id", "date")
EXPERTS_RULE = "experts_before_result"
_SEPARATORS = re.compile(r"[\W_]+")
EXPERT_ROLES = frozenset(dict(by_code(EXPERTS_RULE).extra)["expert_roles"])  # type: ignore[call-overload]
"""Party roles naming the committee or an expert, compared lowercased without separators (rule data)."""


class ReleaseInvalid(Invalid):
    """The release breaks the schema; ``problems`` lists every ``{path, message}``."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        first = problems[0]
        super().__init__(f"{first['path']}: {first['message']}", message_zh=f"{first['path']}：不符合 OCDS 发布格式（{first['message']}）",
                         field=first["path"], code="invalid_release")
        self.problems = problems


class ReleaseRuleViolation(ReleaseInvalid):
    """The release is well formed but a legal rule refuses it: the rule and its article, and
    each ``{path, message}`` it refuses."""

    kind = "rule_violation"

    def __init__(self, rule: Rule, found: list[tuple[str, tuple[str, str]]]) -> None:
        super().__init__([{"path": path, "message": en} for path, (_zh, en) in found])
        self.message_zh, self.message_en = found[0][1]
        self.rule, self.code = rule, rule.code


@cache
def _validator() -> Any:
    return jsonschema_rs.Draft4Validator(release_schema(), registry=jsonschema_rs.Registry(resources()), validate_formats=True)


def check_release(release: dict[str, Any]) -> None:
    """The schema first (``ReleaseInvalid``), then the rules (``ReleaseRuleViolation``)."""
    check_schema(release)
    check_experts(release)


def check_schema(release: dict[str, Any]) -> None:
    if _validator().is_valid(release) and all(isinstance(release.get(k), str) and release[k] for k in KEYS):
        return
    found = [{"path": "/release" + p.path, "message": p.message} for p in validate_release(release)]
    found += [{"path": f"/release/{k}", "message": "a non-empty string is required"}
              for k in KEYS if not (isinstance(release.get(k), str) and release[k])]
    if found:
        raise ReleaseInvalid(sorted({(p["path"], p["message"]): p for p in found}.values(), key=lambda p: p["path"]))


def check_experts(release: dict[str, Any]) -> None:
    """Experts of a lot only in a release with an active award of that lot (招标投标法 第37条):
    in the tenderhub extension's committees, and in ``parties`` with an expert's role."""
    awarded = awarded_lots(release)
    found = [(f"/release/tenderhub/evaluationExperts/{n}", lot) for n, lot in early_committees(release, awarded)]
    found += early_expert_parties(release, awarded)
    if found:
        rule = by_code(EXPERTS_RULE)
        raise ReleaseRuleViolation(rule, [(path, rule.format(path=path, lot=lot)) for path, lot in found])


def awarded_lots(release: dict[str, Any]) -> set[str]:
    return {lot for award in _dicts(release.get("awards")) if award.get("status") == AWARD_ACTIVE for lot in award.get("relatedLots") or []}


def early_committees(release: dict[str, Any], awarded: set[str]) -> list[tuple[int, str]]:
    committees = (release.get("tenderhub") or {}).get("evaluationExperts") or []
    return [(n, c["relatedLot"]) for n, c in enumerate(committees) if c.get("members") and c["relatedLot"] not in awarded]


def early_expert_parties(release: dict[str, Any], awarded: set[str]) -> list[tuple[str, str]]:
    """Parties whose role says "evaluation expert" (``EXPERT_ROLES``), while the result is not
    published: a party belongs to no lot, so every lot the release lists (``tender.lots``) needs
    its active award, and a release listing no lots at least one active award."""
    paths = [f"/release/parties/{n}/roles/{k}" for n, party in enumerate(_dicts(release.get("parties")))
             for k, role in enumerate(party.get("roles") or []) if expert_role(role)]
    if not paths:
        return []
    listed = [lot["id"] for lot in _dicts((release.get("tender") or {}).get("lots")) if isinstance(lot.get("id"), str)]
    missing = [lot for lot in listed if lot not in awarded] if listed else ([] if awarded else ["(any)"])
    return [(path, ", ".join(missing)) for path in paths] if missing else []


def expert_role(role: Any) -> bool:
    """A party role naming an evaluation expert or committee, in any case and spelling of
    separators (``evaluationExpert``, ``Evaluation-Expert``, ``评标专家`` …)."""
    return isinstance(role, str) and _SEPARATORS.sub("", role).lower() in EXPERT_ROLES


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

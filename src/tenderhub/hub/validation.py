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
"""

from __future__ import annotations

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
    """Experts of a lot only in a release with an active award of that lot (招标投标法 第37条)."""
    committees = (release.get("tenderhub") or {}).get("evaluationExperts") or []
    awarded = {lot for award in release.get("awards") or [] if award.get("status") == AWARD_ACTIVE for lot in award.get("relatedLots") or []}
    early = [(n, c["relatedLot"]) for n, c in enumerate(committees) if c.get("members") and c["relatedLot"] not in awarded]
    if early:
        rule = by_code(EXPERTS_RULE)
        paths = [(f"/release/tenderhub/evaluationExperts/{n}", lot) for n, lot in early]
        raise ReleaseRuleViolation(rule, [(path, rule.format(path=path, lot=lot)) for path, lot in paths])

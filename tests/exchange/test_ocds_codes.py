"""OCDS code values are named once (``exchange/ocds/codes.py``): no module compares an award's
status against the bare literal, so a change of codelist (or a typo) is one edit, not a hunt."""

from __future__ import annotations

import ast
from pathlib import Path

from tenderhub.exchange.ocds.codes import AWARD_ACTIVE, AWARD_PENDING

SRC = Path(__file__).resolve().parents[2] / "src" / "tenderhub"


def _status_literals(tree: ast.AST) -> list[int]:
    """Lines comparing ``….get("status")`` (or a set of statuses) with a bare award status literal."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        texts = {ast.unparse(s) for s in sides}
        literal = any(isinstance(s, ast.Constant) and s.value in (AWARD_ACTIVE, AWARD_PENDING) for s in sides)
        literal |= any(isinstance(s, ast.Set) and any(isinstance(e, ast.Constant) and e.value == AWARD_PENDING for e in s.elts) for s in sides)
        if literal and any(("status" in t and "get(" in t) or t == "statuses" for t in texts):
            found.append(node.lineno)
    return found


def test_award_status_is_compared_through_the_named_constant() -> None:
    offenders = {str(p.relative_to(SRC)): lines for p in sorted(SRC.rglob("*.py"))
                 if (lines := _status_literals(ast.parse(p.read_text("utf-8"))))}
    assert offenders == {}


def test_the_constants_are_the_ocds_codes() -> None:
    assert (AWARD_ACTIVE, AWARD_PENDING) == ("active", "pending")

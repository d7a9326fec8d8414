"""State checks of a scenario step: ``{"state": {"lot L1": "failed", "tender T1": "active"}}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenderhub.core.shared.roles import Actor, Role
from tenderhub.services.tenders import get_tender

INSPECTOR = Actor("scenario-inspector", Role.OPERATOR, name="scenario")


def check_state(world: Any, expected: Mapping[str, Any]) -> list[str]:
    problems = []
    for target, want in expected.items():
        kind, _, alias = str(target).partition(" ")
        got = state_of(world, kind, alias)
        if str(got) != str(want):
            problems.append(f"{target}: expected {want}, got {got}")
    return problems


def state_of(world: Any, kind: str, alias: str) -> Any:
    if kind == "tender":
        return view(world, alias)["status"]
    if kind in ("lot", "round", "candidates", "winner", "deadline", "bids"):
        tender_alias, code = world.lots.get(alias, ("", alias))
        lot = next(x for x in view(world, tender_alias)["lots"] if x["code"] == code)
        return lot_fact(kind, lot)
    return f"unknown target kind {kind!r} (tender, lot, round, candidates, winner, deadline, bids)"


def lot_fact(kind: str, lot: Mapping[str, Any]) -> Any:
    if kind == "lot":
        return lot["status"]
    if kind == "round":
        return lot["round"]
    if kind == "candidates":
        return len(lot["candidates"])
    if kind == "winner":
        return lot["award"]["bidder"] if lot["award"] else None
    if kind == "bids":
        return len([b for b in lot.get("bids", []) if b["status"] in ("submitted", "opened")])
    return lot["deadline"]


def view(world: Any, alias: str) -> Mapping[str, Any]:
    tender_id = world.tenders.get(alias) or next(iter(world.tenders.values()))
    return get_tender(world.platform.services, INSPECTOR, tender_id)

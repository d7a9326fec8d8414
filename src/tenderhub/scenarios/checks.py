"""State checks of a scenario step: ``{"state": {"lot L1": "failed", "tender T1": "active"}}``.

Targets (``KIND ALIAS``): ``tender T``, ``lot L``, ``round L``, ``candidates L``, ``winner L``,
``bids L``, ``deadline L``, ``provisional L``, ``objection O`` and ``tenders all`` (how many
tenders exist). Most read the tender as
the platform operator sees it; ``bids`` counts the lot's live bids (submitted or opened) in
the aggregate itself, because sealed bids are hidden from every viewer before the opening.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tenderhub.core.bids.model import BidStatus
from tenderhub.core.shared.clock import beijing, parse_beijing
from tenderhub.core.shared.errors import NotFound
from tenderhub.core.shared.roles import Actor, Role
from tenderhub.services.tenders import get_tender, list_tenders

INSPECTOR = Actor("scenario-inspector", Role.OPERATOR, name="scenario")
LOT_KINDS = ("lot", "round", "candidates", "winner", "deadline", "bids", "provisional")
KINDS = ("tenders", "tender", *LOT_KINDS, "objection")


class UnknownTarget(Exception):
    """A state target names an unknown kind, tender, lot or objection."""


def check_state(world: Any, expected: Mapping[str, Any]) -> list[str]:
    problems = []
    for target, want in expected.items():
        kind, _, alias = str(target).partition(" ")
        try:
            got = state_of(world, kind, alias.strip())
        except UnknownTarget as error:
            problems.append(f"{target}: {error}")
            continue
        if not same(kind, got, want):
            problems.append(f"{target}: expected {want}, got {shown(kind, got)}")
    return problems


def same(kind: str, got: Any, want: Any) -> bool:
    if kind == "deadline" and got is not None and want is not None:
        try:
            return datetime.fromisoformat(str(got)) == parse_beijing(str(want))
        except ValueError:
            return False
    if kind == "provisional" or isinstance(want, bool):
        return str(got).lower() == str(want).lower()
    return str(got) == str(want)


def shown(kind: str, got: Any) -> Any:
    if kind == "deadline" and got is not None:
        return beijing(datetime.fromisoformat(str(got))).strftime("%Y-%m-%dT%H:%M")
    return got


def state_of(world: Any, kind: str, alias: str) -> Any:
    if kind == "tenders":
        return len(list_tenders(world.platform.services, INSPECTOR, limit=1000))
    if kind == "tender":
        return view(world, alias)["status"]
    if kind == "objection":
        return objection_status(world, alias)
    if kind == "bids":
        return live_bids(world, alias)
    if kind in LOT_KINDS:
        tender_alias, code = lot_ref(world, alias)
        lot = next((x for x in view(world, tender_alias)["lots"] if x["code"] == code), None)
        if lot is None:
            raise UnknownTarget(f"unknown lot {alias!r}; known: {', '.join(sorted(world.lots)) or 'none'}")
        return lot_fact(kind, lot)
    raise UnknownTarget(f"unknown target kind {kind!r} ({', '.join(KINDS)})")


def lot_ref(world: Any, alias: str) -> tuple[str, str]:
    """A lot alias, or a lot code of the first tender (as before aliases existed)."""
    found: tuple[str, str] = world.lots.get(alias, ("", alias))
    return found


def lot_fact(kind: str, lot: Mapping[str, Any]) -> Any:
    if kind == "lot":
        return lot["status"]
    if kind == "round":
        return lot["round"]
    if kind == "candidates":
        return len(lot["candidates"])
    if kind == "winner":
        return lot["award"]["bidder"] if lot["award"] else None
    if kind == "provisional":
        return lot["deadline_provisional"]
    return lot["deadline"]


def live_bids(world: Any, alias: str) -> int:
    """Bids of the lot's current round that are submitted or opened (not withdrawn)."""
    tender_alias, code = lot_ref(world, alias)
    with world.platform.services.uow(INSPECTOR) as uow:
        try:
            lot = uow.tenders.get(tender_id(world, tender_alias)).lot(code)
        except NotFound as error:
            raise UnknownTarget(f"unknown lot {alias!r}; known: {', '.join(sorted(world.lots)) or 'none'}") from error
        return len([b for b in lot.bids if b.status in (BidStatus.SUBMITTED, BidStatus.OPENED)])


def objection_status(world: Any, alias: str) -> str:
    objection_id = world.objections.get(alias)
    if objection_id is None:
        raise UnknownTarget(f"unknown objection {alias!r}; known: {', '.join(sorted(world.objections)) or 'none'}")
    for tender_alias in world.tenders:
        for o in view(world, tender_alias)["objections"]:
            if o["id"] == objection_id:
                return str(o["status"])
    raise UnknownTarget(f"objection {alias!r} not found")


def tender_id(world: Any, alias: str) -> str:
    if alias and alias not in world.tenders:
        raise UnknownTarget(f"unknown tender {alias!r}; known: {', '.join(sorted(world.tenders)) or 'none'}")
    if not world.tenders:
        raise UnknownTarget("no tender has been created yet")
    return str(world.tenders.get(alias) or next(iter(world.tenders.values())))


def view(world: Any, alias: str) -> Mapping[str, Any]:
    return get_tender(world.platform.services, INSPECTOR, tender_id(world, alias))

"""Run a scenario file: a list of steps ``{at, as, do, with, expect}`` on a fresh system.

See ``docs/scenarios.md`` for the format and every action.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from tenderhub.bootstrap import Platform, build
from tenderhub.core.shared.clock import FixedClock, beijing, parse_beijing
from tenderhub.core.shared.errors import DomainError, RuleViolation
from tenderhub.core.shared.roles import PUBLIC, Actor
from tenderhub.scenarios.actions import ACTIONS
from tenderhub.scenarios.checks import check_state
from tenderhub.scenarios.sealed_steps import BidderDesk
from tenderhub.services import subjects
from tenderhub.services.subjects import actor_for_token
from tenderhub.settings import Settings


class ScenarioError(Exception):
    """The scenario file itself is wrong (not an expectation that failed)."""


@dataclass
class StepResult:
    index: int
    at: datetime
    actor: str
    action: str
    ok: bool
    outcome: str
    detail: str = ""


@dataclass
class World:
    platform: Platform
    clock: FixedClock
    actors: dict[str, Actor] = field(default_factory=dict)
    tenders: dict[str, str] = field(default_factory=dict)  # alias -> tender id
    lots: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (tender alias, lot code)
    names: dict[str, str] = field(default_factory=dict)  # actor alias -> subject name
    objections: dict[str, str] = field(default_factory=dict)  # alias -> objection id
    desk: BidderDesk | None = None  # the bidders' own machines (sealed packages, keys)


def load(path: str | Path) -> dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise ScenarioError(f"{path}: a scenario is a mapping with a list of steps")
    return data


def run_file(path: str | Path, *, db_url: str | None = None, data_dir: str | Path | None = None) -> tuple[dict[str, Any], list[StepResult]]:
    data = load(path)
    with tempfile.TemporaryDirectory(prefix="tenderhub-scenario-") as tmp:
        directory = Path(data_dir or tmp)
        return data, run(data, Settings.load(data_dir=directory, db_url=db_url or f"sqlite:///{directory / 'trading.db'}"))


def run(data: Mapping[str, Any], settings: Settings) -> list[StepResult]:
    # A scenario is a simulation: clear price forms are allowed alongside sealed bids (ADR 0007).
    settings = dataclasses.replace(settings, allow_unsealed=True)
    steps = data["steps"]
    start = parse_beijing(str(data.get("start") or steps[0].get("at")))
    clock = FixedClock(start)
    world = World(build(settings, clock=clock), clock, desk=BidderDesk(Path(settings.data_dir) / "bidder-desks"))
    setup_actors(world, data.get("actors") or {})
    for expert in data.get("experts") or []:
        made = subjects.add_expert(world.platform.services, world.actors["operator"], expert)
        world.actors[made["expert_id"]] = actor_for_token(world.platform.services, made["token"])
    try:
        return [run_step(world, i + 1, step) for i, step in enumerate(steps)]
    finally:
        world.platform.engine.dispose()


def setup_actors(world: World, actors: Mapping[str, Any]) -> None:
    svc = world.platform.services
    operator = subjects.create_operator(svc)
    world.actors["operator"] = operator
    for alias, spec in actors.items():
        if spec.get("role") == "operator":
            world.actors[alias] = operator
            continue
        made = subjects.register_subject(svc, PUBLIC, {**spec, "user_id": alias})
        world.actors[alias] = actor_for_token(svc, made["token"], ip=f"10.0.0.{len(world.actors) + 1}")
        world.names[alias] = made["subject"]["name"]


def run_step(world: World, index: int, step: Mapping[str, Any]) -> StepResult:
    at = parse_beijing(str(step.get("at"))) if step.get("at") else world.clock.now()
    if at < world.clock.now():
        raise ScenarioError(f"step {index}: time goes backwards ({step.get('at')})")
    world.clock.set(at)
    who, action = str(step.get("as", "operator")), str(step.get("do", ""))
    expect = step.get("expect", "ok")
    try:
        outcome = perform(world, who, action, dict(step.get("with") or {}))
    except DomainError as error:
        result = judge_refusal(index, at, who, action, expect, error)
        return with_state(world, result, expect) if result.ok else result
    except ScenarioError:
        raise
    except Exception as error:  # a crash in the system under test fails the step, not the run
        return StepResult(index, at, who, action, False, f"error: {type(error).__name__}: {error}", f"expected {expect}")
    if isinstance(expect, Mapping) and "refused" in expect:
        return StepResult(index, at, who, action, False, "ok", f"expected a refusal {dict(expect['refused'] or {})}, but the action succeeded")
    if isinstance(expect, Mapping) and "state" in expect:
        problems = check_state(world, expect["state"])
        return StepResult(index, at, who, action, not problems, "ok", "; ".join(problems) or describe(outcome))
    ok = expect == "ok" or expect is None
    return StepResult(index, at, who, action, ok, "ok", "" if ok else f"expected {expect}, but the action succeeded")


def with_state(world: World, result: StepResult, expect: Any) -> StepResult:
    """A refusal may also say what the state is afterwards: ``{refused: {...}, state: {...}}``."""
    if not (isinstance(expect, Mapping) and "state" in expect):
        return result
    problems = check_state(world, expect["state"])
    if problems:
        result.ok, result.detail = False, "; ".join(problems)
    return result


def perform(world: World, who: str, action: str, params: dict[str, Any]) -> Any:
    if action == "check":
        return None
    if action in DESK_ACTIONS:
        return on_desk(world, who, action, params)
    if action not in ACTIONS:
        raise ScenarioError(f"unknown action {action!r}; known: {', '.join(sorted(ACTIONS))}")
    if who not in world.actors:
        raise ScenarioError(f"unknown actor {who!r}; declared: {', '.join(sorted(world.actors))}")
    handler, on_tender = ACTIONS[action]
    actor = world.actors[who]
    if action in OWN_BID_ACTIONS and str(params.get("tender", next(iter(world.tenders), ""))) in world.tenders:
        params["bid"] = own_bid_id(world, str(params.get("tender", next(iter(world.tenders)))), who, params.get("bid"))
    resolve_refs(world, params)
    if not on_tender:
        result = handler(world.platform.services, actor, params)
        remember_tender(world, params, result)
        if action == "add_expert":
            world.actors[result["expert_id"]] = actor_for_token(world.platform.services, result["token"])
        return result
    alias = str(params.pop("tender", next(iter(world.tenders), "")))
    if alias not in world.tenders:
        raise ScenarioError(f"unknown tender {alias!r}")
    ref = params.pop("ref", None) if action in ("object", "object_at_opening") else None
    result = handler(world.platform.services, actor, world.tenders[alias], params)
    if action in ("object", "object_at_opening") and isinstance(result, Mapping):
        world.objections[str(ref or f"O{len(world.objections) + 1}")] = str(result["objection"])
    return result


OWN_BID_ACTIONS = ("modify_bid", "withdraw_bid")
DESK_ACTIONS = ("seal", "submit_sealed", "decrypt")


def on_desk(world: World, who: str, action: str, params: dict[str, Any]) -> Any:
    """Steps that use the bidder's own tool and keys as well as the platform."""
    from tenderhub.scenarios import sealed_steps

    if who not in world.actors:
        raise ScenarioError(f"unknown actor {who!r}")
    assert world.desk is not None
    if action == "seal":
        return world.desk.seal(who, world.clock, params)
    resolve_refs(world, params)
    alias = str(params.pop("tender", next(iter(world.tenders), "")))
    if alias not in world.tenders:
        raise ScenarioError(f"unknown tender {alias!r}")
    step = sealed_steps.submit_sealed if action == "submit_sealed" else sealed_steps.decrypt
    return step(world.platform.services, world.desk, who, world.actors[who], world.tenders[alias], params)


def own_bid_id(world: World, tender_alias: str, who: str, ref: Any) -> Any:
    """``bid:`` of modify/withdraw: a bid id, or an actor alias (default: the acting bidder) for
    that bidder's live (submitted) bid in the tender."""
    alias = str(ref) if ref is not None else who
    if ref is not None and alias not in world.actors:
        return ref
    uscc = world.actors[alias].uscc
    with world.platform.services.uow(world.actors["operator"]) as uow:
        tender = uow.tenders.get(world.tenders[tender_alias])
        live = [b for lot in tender.lots for b in lot.bids if b.uscc == uscc and b.status.value == "submitted"]
    return live[-1].id if live else alias


def resolve_refs(world: World, params: dict[str, Any]) -> None:
    """Scenario aliases for lots and bidders become codes and names."""
    if "objection" in params and str(params["objection"]) in world.objections:
        params["objection"] = world.objections[str(params["objection"])]
    if "lot" in params and str(params["lot"]) in world.lots:
        params["lot"] = world.lots[str(params["lot"])][1]
    for key in ("bid", "bidder"):
        if key in params and str(params[key]) in world.names:
            params[key] = world.names[str(params[key])]
    if "lots" in params and isinstance(params["lots"], list) and all(isinstance(x, str) for x in params["lots"]):
        params["lots"] = [world.lots.get(x, ("", x))[1] for x in params["lots"]]
    if "tenderer" in params and str(params["tenderer"]) in world.actors:
        params["tenderer_uscc"] = world.actors[str(params.pop("tenderer"))].uscc


def remember_tender(world: World, params: Mapping[str, Any], result: Any) -> None:
    if not isinstance(result, Mapping) or "lots" not in result or "code" not in result:
        return
    alias = str(params.get("ref") or f"T{len(world.tenders) + 1}")
    world.tenders[alias] = result["id"]
    for index, lot in enumerate(result["lots"]):
        lot_alias = str((params.get("lots") or [{}])[index].get("ref") or f"L{index + 1}")
        world.lots[lot_alias] = (alias, lot["code"])


def judge_refusal(index: int, at: datetime, who: str, action: str, expect: Any, error: DomainError) -> StepResult:
    said = f"refused: {error}"
    if not (isinstance(expect, Mapping) and "refused" in expect):
        return StepResult(index, at, who, action, False, said, f"expected {expect}")
    wanted = expect["refused"] or {}
    ok, why = matches(wanted, error)
    return StepResult(index, at, who, action, ok, said, why)


def matches(wanted: Mapping[str, Any], error: DomainError) -> tuple[bool, str]:
    if "kind" in wanted and wanted["kind"] != error.kind:
        return False, f"expected a {wanted['kind']} refusal, got {error.kind}"
    if "code" in wanted and wanted["code"] != error.code:
        return False, f"expected code {wanted['code']}, got {error.code}"
    if "law" in wanted or "article" in wanted:
        if not isinstance(error, RuleViolation) or error.rule is None:
            return False, "expected a refusal citing a law, got one citing none"
        cites = {(c.law, c.article) for c in error.rule.citations}
        if (wanted.get("law"), wanted.get("article")) not in cites:
            return False, f"expected 《{wanted.get('law')}》第{wanted.get('article')}条, got {sorted(cites)}"
    if "field" in wanted and wanted["field"] != error.field:
        return False, f"expected field {wanted['field']}, got {error.field}"
    return True, ""


def describe(outcome: Any) -> str:
    if isinstance(outcome, Mapping) and "status" in outcome:
        return f"status {outcome['status']}"
    return ""


def show_time(at: datetime) -> str:
    return beijing(at).strftime("%Y-%m-%d %H:%M")

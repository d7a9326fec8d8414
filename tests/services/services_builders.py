"""Builders for use-case tests: a fresh platform on the test database with a settable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tenderhub.bootstrap import Platform, build
from tenderhub.core.shared.clock import BEIJING, FixedClock
from tenderhub.core.shared.ids import uscc_check_char
from tenderhub.core.shared.roles import PUBLIC, Actor
from tenderhub.services import subjects
from tenderhub.services.context import Services
from tenderhub.settings import Settings


def uscc(n: int) -> str:
    body = f"91110105MA{n:07d}"
    return body + uscc_check_char(body)


def bj(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


@dataclass
class World:
    platform: Platform
    clock: FixedClock
    operator: Actor
    actors: dict[str, Actor] = field(default_factory=dict)

    @property
    def svc(self) -> Services:
        return self.platform.services

    def at(self, text: str) -> None:
        self.clock.set(bj(text))

    def subject(self, alias: str, kind: str, n: int, **extra: Any) -> Actor:
        made = subjects.register_subject(self.svc, PUBLIC, {"uscc": uscc(n), "name": f"{alias} 有限公司", "kind": kind, "user_id": alias, **extra})
        actor = subjects.actor_for_token(self.svc, made["token"])
        self.actors[alias] = actor
        return actor

    def expert(self, alias: str, specialty: str = "road") -> Actor:
        made = subjects.add_expert(self.svc, self.operator, {"id": alias, "name": f"专家{alias}", "specialties": [specialty]})
        actor = subjects.actor_for_token(self.svc, made["token"])
        self.actors[alias] = actor
        return actor


def a_world(url: str, tmp: Path, start: str = "2026-11-30T09:00", *, allow_unsealed: bool = True) -> World:
    clock = FixedClock(bj(start))
    platform = build(Settings.load(data_dir=tmp, db_url=url, allow_unsealed=allow_unsealed), clock=clock)
    return World(platform, clock, subjects.create_operator(platform.services))


def a_tender_body(*, deadline: str = "2026-12-21T09:30", lots: int = 1, regime: str = "works", **lot: Any) -> dict[str, Any]:
    return {
        "regime": regime, "title": "测试道路工程",
        "lots": [{"title": f"标段{i + 1}", "category": "works", "estimated_price": 10000000, "deadline": deadline, **lot} for i in range(lots)],
    }

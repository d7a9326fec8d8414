"""The platform's side of the hub's blacklist (cn-rules §8, joint punishment 联合惩戒).

``BlacklistPort.is_listed(uscc, at)`` answers with the listing active at ``at`` or ``None``.
``HttpBlacklist`` asks the hub (``GET /hub/blacklist/{uscc}?at=…``) and keeps each answer
for a short time (``ttl``, on the platform's clock); a cached listing is checked again against
``at`` (so a listing that has ended stops refusing at once). If the hub cannot answer, the
check fails closed (``Conflict``, code ``blacklist_unavailable``). ``MemoryBlacklist`` is the
in-memory twin for tests.

The same pattern (a port, an HTTP client of the hub, an in-memory twin) links the platform to
the hub's other registries: ``ProjectRegistry`` (investment projects, checked when a tender is
created and published: ``check_project``) and ``CreditPort`` (credit records the platform reports,
signed with its key: ``POST /hub/credit``; use case ``services/subjects.report_credit``; records
are audited first and delivered, also when the fact happens, by ``services/credit_records.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from tenderhub.core.rules.catalogue import by_code
from tenderhub.core.shared.clock import Clock, parse_beijing
from tenderhub.core.shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RuleViolation,
)
from tenderhub.crypto.keys import KeyPair
from tenderhub.hub.protocol import sign


@dataclass(frozen=True)
class Listing:
    """One active blacklist entry, as the hub publishes it (dataset 302)."""

    uscc: str
    name: str
    reason: str
    law: str
    article: int
    authority: str
    start: datetime
    end: datetime | None = None

    def active_at(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Listing:
        end = data.get("end")
        return cls(data["uscc"], data["name"], data["reason"], data["basis"]["law"], int(data["basis"]["article"]),
                   data["authority"], parse_beijing(data["start"]), None if end is None else parse_beijing(end))


class BlacklistPort(Protocol):
    def is_listed(self, uscc: str, at: datetime) -> Listing | None: ...


@dataclass
class MemoryBlacklist:
    """The in-memory twin: ``add`` and ``remove`` stand in for the hub's administrator."""

    listings: list[Listing] = field(default_factory=list)

    def add(self, listing: Listing) -> None:
        self.listings.append(listing)

    def remove(self, uscc: str) -> None:
        self.listings = [x for x in self.listings if x.uscc != uscc]

    def is_listed(self, uscc: str, at: datetime) -> Listing | None:
        return next((x for x in self.listings if x.uscc == uscc and x.active_at(at)), None)


@dataclass
class HttpBlacklist:
    """The hub's blacklist over HTTP (``client`` has the hub's base URL), with a short cache."""

    client: httpx.Client
    clock: Clock
    ttl: timedelta = timedelta(seconds=30)
    cache: dict[str, tuple[datetime, Listing | None]] = field(default_factory=dict)

    def is_listed(self, uscc: str, at: datetime) -> Listing | None:
        cached = self.cache.get(uscc)
        now = self.clock.now()
        if cached is None or now - cached[0] >= self.ttl:
            cached = (now, self.fetch(uscc, at))
            self.cache[uscc] = cached
        listing = cached[1]
        return listing if listing is not None and listing.active_at(at) else None

    def fetch(self, uscc: str, at: datetime) -> Listing | None:
        try:
            answer = self.client.get(f"/hub/blacklist/{quote(uscc, safe='')}", params={"at": at.isoformat()})
        except httpx.HTTPError as exc:
            raise unavailable(str(exc)) from exc
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise unavailable(f"HTTP {answer.status_code}")
        return Listing.from_json(answer.json())


def unavailable(why: str) -> Conflict:
    return Conflict(f"the hub's blacklist cannot be checked now ({why}); try again later",
                    message_zh="暂时无法查询公共服务平台黑名单，请稍后再试", field="bidder", code="blacklist_unavailable")


# ---- the hub's other registries over HTTP --------------------------------------------------------


def hub_get(client: httpx.Client, path: str, code: str) -> Any:
    """The JSON of a ``GET`` to the hub, ``None`` on 404; ``Conflict`` (``code``) when the hub cannot answer."""
    try:
        answer = client.get(path)
    except httpx.HTTPError as exc:
        raise hub_down(code, str(exc)) from exc
    if answer.status_code == 404:
        return None
    if answer.status_code != 200:
        raise hub_down(code, f"HTTP {answer.status_code}")
    return answer.json()


def hub_down(code: str, why: str) -> Conflict:
    return Conflict(f"the hub cannot be asked now ({why}); try again later", message_zh="暂时无法访问公共服务平台，请稍后再试",
                    field=None, code=code)


def hub_refusal(answer: httpx.Response, field: str) -> DomainError:
    """The hub's problem answer as the same kind of domain error (its message, its field)."""
    body = answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
    message = body.get("message") or {"en": f"HTTP {answer.status_code}", "zh": f"HTTP {answer.status_code}"}
    kind = {403: Forbidden, 401: Forbidden, 404: NotFound, 409: Conflict}.get(answer.status_code, Invalid)
    return kind(f"the hub refused: {message['en']}", message_zh=f"公共服务平台拒绝：{message['zh']}", field=body.get("field") or field,
                code=body.get("code"))


# ---- investment projects (投资项目在线审批监管平台) ---------------------------------------------------


@dataclass(frozen=True)
class Project:
    code: str
    name: str
    owner_uscc: str
    status: str = "valid"


class ProjectRegistry(Protocol):
    def lookup(self, code: str) -> Project | None: ...


@dataclass
class MemoryProjectRegistry:
    """The in-memory twin of the hub's project registry."""

    projects: dict[str, Project] = field(default_factory=dict)

    def add(self, project: Project) -> None:
        self.projects[project.code] = project

    def lookup(self, code: str) -> Project | None:
        return self.projects.get(code)


@dataclass
class HttpProjectRegistry:
    """``GET /hub/projects/{code}`` (asked each time: a tender is created and published rarely)."""

    client: httpx.Client

    def lookup(self, code: str) -> Project | None:
        found = hub_get(self.client, f"/hub/projects/{quote(code, safe='')}", "project_registry_unavailable")
        return None if found is None else Project(found["code"], found["name"], found["owner_uscc"], found["status"])


def check_project(registry: ProjectRegistry | None, code: str) -> None:
    """The investment project must be known to the registry and valid (招标投标法 第9条: approval
    before tendering); no registry, no check."""
    if registry is None or not code:
        return
    project = registry.lookup(code)
    if project is None or project.status != "valid":
        code_of_rule = "UNKNOWN_INVESTMENT_PROJECT" if project is None else "REVOKED_INVESTMENT_PROJECT"
        raise RuleViolation(by_code(code_of_rule), field="investment_project_code", code=code)


# ---- credit records (信用信息共享) -------------------------------------------------------------------


class CreditPort(Protocol):
    def send(self, record: dict[str, Any]) -> dict[str, Any]: ...


@dataclass
class MemoryCredit:
    """The in-memory twin: keeps what was sent, idempotent by the record's ``id`` like the hub."""

    sent: dict[str, dict[str, Any]] = field(default_factory=dict)

    def send(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.sent.setdefault(record["id"], record) != record:
            raise Conflict(f"record {record['id']} was sent with other content", message_zh="该信用记录已以不同内容报送", field="id")
        return {**record, "source_platform": "memory"}


@dataclass
class HttpCredit:
    """Signs each record with the platform's key and posts it to ``POST /hub/credit``."""

    client: httpx.Client
    platform_id: str
    pair: KeyPair

    def send(self, record: dict[str, Any]) -> dict[str, Any]:
        body = {"platform_id": self.platform_id, "record": record, "signature": sign(self.pair, record)}
        try:
            answer = self.client.post("/hub/credit", json=body)
        except httpx.HTTPError as exc:
            raise hub_down("credit_unavailable", str(exc)) from exc
        if answer.status_code in (200, 201):
            sent: dict[str, Any] = answer.json()
            return sent
        if answer.status_code >= 500 or answer.status_code == 429:
            raise hub_down("credit_unavailable", f"HTTP {answer.status_code}")
        raise hub_refusal(answer, "record")

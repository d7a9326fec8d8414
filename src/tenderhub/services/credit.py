"""The platform's side of the hub's blacklist (cn-rules §8, joint punishment 联合惩戒).

``BlacklistPort.is_listed(uscc, at)`` answers with the listing active at ``at`` or ``None``.
``HttpBlacklist`` asks the hub (``GET /hub/blacklist/{uscc}?at=…``) and keeps each answer
for a short time (``ttl``, on the platform's clock); a cached listing is checked again against
``at`` (so a listing that has ended stops refusing at once). If the hub cannot answer, the
check fails closed (``Conflict``, code ``blacklist_unavailable``). ``MemoryBlacklist`` is the
in-memory twin for tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from tenderhub.core.shared.clock import Clock, parse_beijing
from tenderhub.core.shared.errors import Conflict


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

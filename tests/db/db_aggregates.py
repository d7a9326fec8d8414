"""Small test aggregates shaped like the real ones (the lead's classes live in core)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from tenderhub.core.shared.events import DomainEvent

T0 = datetime(2025, 3, 1, 1, 2, 3, 456789, tzinfo=UTC)


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


@dataclass
class Lot:
    no: int
    name: str
    budget: Decimal
    deadline: datetime | None = None


@dataclass
class _Evented:
    def __post_init__(self) -> None:
        self._events: list[DomainEvent] = []

    def pull_events(self) -> list[DomainEvent]:
        out, self._events = self._events, []
        return out


@dataclass
class Tender(_Evented):
    id: str
    code: str
    regime: str
    status: Status
    title: str
    tenderer_id: str
    created_at: datetime
    lots: list[Lot] = field(default_factory=list)

    def publish(self, *, at: datetime = T0, by: str = "u-1", **data: object) -> None:
        self.status = Status.PUBLISHED
        self._events.append(
            DomainEvent("procedure:tender:published", self.id, at, by, "ok", dict(data))
        )

    def rename(self, title: str, *, at: datetime = T0, by: str = "u-1") -> None:
        self.title = title
        self._events.append(
            DomainEvent("procedure:tender:amended", self.id, at, by, "", {"title": title})
        )


@dataclass
class Subject:
    id: str
    uscc: str
    name: str
    kind: str


@dataclass
class User:
    id: str
    name: str
    role: str
    subject_id: str | None = None


@dataclass
class Expert:
    id: str
    name: str
    region: str
    specialities: list[str] = field(default_factory=list)
    born: date | None = None


@dataclass
class Notice(_Evented):
    year: int
    holidays: dict[str, list[date]] = field(default_factory=dict)


def a_tender(**kw: object) -> Tender:
    n = uuid.uuid4().hex[:8]
    defaults: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "code": f"T-{n}",
        "regime": "bidding",
        "status": Status.DRAFT,
        "title": f"Tender {n}",
        "tenderer_id": str(uuid.uuid4()),
        "created_at": T0,
        "lots": [Lot(1, "lot one", Decimal("1234.50"), T0)],
    }
    defaults.update(kw)
    return Tender(**defaults)  # type: ignore[arg-type]


def a_subject(**kw: object) -> Subject:
    n = uuid.uuid4().int % 10**17
    defaults: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "uscc": f"9{n:017d}",
        "name": f"Co {n}",
        "kind": "tenderer",
    }
    defaults.update(kw)
    return Subject(**defaults)  # type: ignore[arg-type]


def a_user(**kw: object) -> User:
    defaults: dict[str, object] = {"id": str(uuid.uuid4()), "name": "Zhang San", "role": "agent"}
    defaults.update(kw)
    return User(**defaults)  # type: ignore[arg-type]

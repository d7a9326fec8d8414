"""One published stage of a tender, before it becomes a release."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Ref:
    """A party mentioned by a stage, with the roles the stage gives it."""

    uscc: str
    name: str
    roles: tuple[str, ...]


@dataclass
class Stage:
    kind: str  # tender | amendment | document | opening | failure | candidates | award | contract | implementation
    key: str
    at: datetime
    tag: str
    body: dict[str, Any]
    parties: list[Ref] = field(default_factory=list)

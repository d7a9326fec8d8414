"""Who is acting: stamped on every audit row a unit of work writes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActorContext:
    actor_id: str
    role: str = ""
    ip: str = ""
    device: str = ""


SYSTEM = ActorContext(actor_id="system", role="system")

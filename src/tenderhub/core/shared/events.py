"""Domain events: every state change records one (STYLE rule 9), tag ``source:subject:action``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The closed tag vocabulary. Adding an action means adding it here (a test checks every
# event raised anywhere uses a tag from this set).
TAGS: frozenset[str] = frozenset(
    [
        "procedure:tender:created",
        "procedure:tender:published",
        "procedure:tender:suspended",
        "procedure:tender:resumed",
        "procedure:tender:cancelled",
        "procedure:tender:completed",
        "procedure:tender:amended",
        "procedure:document:issued",
        "procedure:clarification:issued",
        "procedure:objection:raised",
        "procedure:objection:answered",
        "procedure:lot:created",
        "procedure:lot:published",
        "procedure:lot:opened",
        "procedure:lot:failed",
        "procedure:lot:retendered",
        "procedure:lot:cancelled",
        "procedure:lot:evaluating",
        "procedure:lot:evaluated",
        "procedure:lot:publicized",
        "procedure:lot:awarded",
        "procedure:lot:contracted",
        "procedure:lot:completed",
        "procedure:lot:archived",
        "procedure:lot:suspended",
        "procedure:lot:resumed",
        "procedure:deadline:moved",
        "procedure:deadline:recomputed",
        "bids:registration:created",
        "bids:bid:submitted",
        "bids:bid:modified",
        "bids:bid:withdrawn",
        "bids:bid:opened",
        "bids:bid:rejected",
        "bids:bid:revoked", "bids:opening:recorded", "bids:opening:signed", "bids:package:received", "bids:package:read",
        "bids:bid:archived",
        "evaluation:committee:formed",
        "evaluation:expert:drawn",
        "evaluation:expert:replaced",
        "evaluation:expert:withdrew",
        "evaluation:score:recorded",
        "evaluation:report:finished",
        "evaluation:bid:rejected",
        "evaluation:price:adjusted",
        "evaluation:bids:rejected_all",
        "evaluation:report:signed",
        "evaluation:time:extension_requested",
        "awards:publicity:started",
        "awards:publicity:ended",
        "awards:notice:issued",
        "contracts:contract:signed",
        "contracts:performance:recorded",
        "calendar:notice:loaded", "auth:session:opened",
        "supervision:instruction:received",
        "credit:record:reported", "credit:record:acknowledged", "credit:record:refused",
    ]
)


@dataclass(frozen=True)
class DomainEvent:
    tag: str
    target: str
    at: datetime
    by: str
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.tag not in TAGS:
            raise ValueError(f"unknown event tag {self.tag!r}: add it to core.shared.events.TAGS")

"""Loading the State Council's yearly holiday notice and recomputing provisional deadlines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenderhub.calendar.legal import LegalCalendar
from tenderhub.calendar.notices import parse_notice
from tenderhub.core.procedures.recompute import recompute
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.events import DomainEvent
from tenderhub.core.shared.roles import Actor, Role
from tenderhub.services.authz import require_role
from tenderhub.services.context import Services


def load_notice(svc: Services, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """Store the notice, make its year official, recompute every open provisional deadline."""
    require_role(actor, Role.OPERATOR)
    notice = parse_notice(data)
    with svc.uow(actor) as uow:
        at = svc.clock.now()
        uow.calendar.put(notice.year, notice, by=actor.user_id, at=at)
        uow.record(DomainEvent("calendar:notice:loaded", str(notice.year), at, actor.user_id, notice.source))
        # Recompute with a copy; the platform's calendar changes only once the notice is stored.
        updated = svc.calendar.with_notice(notice) if isinstance(svc.calendar, LegalCalendar) else LegalCalendar([notice])
        act = Act(at, actor.user_id, updated, f"holiday notice {notice.year} loaded")
        changed = 0
        for status in ("active", "suspended"):
            for tender in uow.tenders.list(status=status, limit=100000):
                changed += recompute(tender, act)
        uow.commit()
    svc.calendar = updated
    return {"year": notice.year, "source": notice.source, "deadlines_changed": changed}

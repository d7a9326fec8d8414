"""What every domain action needs to know: when, who, and the legal calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tenderhub.core.shared.days import WorkdayCalendar


@dataclass(frozen=True)
class Act:
    """One action: the server time it happens at, the acting user id and the calendar."""

    at: datetime
    by: str
    calendar: WorkdayCalendar
    reason: str = ""

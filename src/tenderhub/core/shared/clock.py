"""The Clock port: the only way the core learns the time (never ``datetime.now``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A settable clock for tests and scenarios (the simulated clock)."""

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = as_utc(at)

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)


def as_utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime: give a timezone (times are stored in UTC)")
    return at.astimezone(UTC)


def beijing(at: datetime) -> datetime:
    return as_utc(at).astimezone(BEIJING)


def parse_beijing(text: str) -> datetime:
    """Parse an ISO timestamp; a time without an offset is Beijing time."""
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        at = at.replace(tzinfo=BEIJING)
    return at.astimezone(UTC)

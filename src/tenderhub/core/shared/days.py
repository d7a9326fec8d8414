"""Counting legal periods as the law counts them (民法典 第200–203条).

* A period in days does not count the day it starts on (第201条).
* A period ends at 24:00 of its last day (第203条); if the last day is a statutory holiday,
  the period ends on the first working day after it (第203条).
* Government-procurement periods often count working days: only working days are counted.

Working days come from a ``WorkdayCalendar`` port (official calendar when the State Council
notice for the year is loaded; otherwise the statutory holidays and weekends, and every
result that depends on such a year is marked ``provisional``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from tenderhub.core.shared.clock import BEIJING, as_utc

ONE_DAY = timedelta(days=1)


class WorkdayCalendar(Protocol):
    def is_working_day(self, day: date) -> bool: ...

    def is_official(self, year: int) -> bool:
        """True when the State Council holiday notice for ``year`` is loaded."""
        ...


@dataclass(frozen=True)
class Deadline:
    """The end of a period: ``at`` is the instant it ends (24:00 Beijing of ``last_day``)."""

    last_day: date
    provisional: bool

    @property
    def at(self) -> datetime:
        return as_utc(datetime.combine(self.last_day + ONE_DAY, time(0), tzinfo=BEIJING))


def local_date(at: datetime) -> date:
    return as_utc(at).astimezone(BEIJING).date()


def next_working_day(calendar: WorkdayCalendar, day: date) -> tuple[date, bool]:
    """The first working day on or after ``day`` and whether any year on the way was provisional."""
    provisional = not calendar.is_official(day.year)
    for _ in range(400):
        if calendar.is_working_day(day):
            return day, provisional
        day += ONE_DAY
        provisional = provisional or not calendar.is_official(day.year)
    raise ValueError("no working day within 400 days: the calendar data is broken")


def period_end(
    calendar: WorkdayCalendar, start: datetime | date, days: int, *, working: bool = False
) -> Deadline:
    """End of a period of ``days`` days (or working days) that starts at ``start``."""
    day = start if isinstance(start, date) and not isinstance(start, datetime) else local_date(start)
    provisional = False
    if working:
        counted = 0
        while counted < days:
            day += ONE_DAY
            provisional = provisional or not calendar.is_official(day.year)
            if calendar.is_working_day(day):
                counted += 1
        return Deadline(day, provisional)
    last = day + timedelta(days=days)
    moved, prov = next_working_day(calendar, last)
    return Deadline(moved, provisional or prov)


def earliest_day(
    calendar: WorkdayCalendar, start: datetime | date, days: int, *, working: bool = False
) -> tuple[date, bool]:
    """First day that lies at least ``days`` (working) days after ``start``, start day not counted.

    For "自…之日起至…截止之日止，最短不得少于二十日": issued on day D, the deadline may
    fall on D+20 at the earliest.
    """
    day = start if isinstance(start, date) and not isinstance(start, datetime) else local_date(start)
    if not working:
        last = day + timedelta(days=days)
        return last, not calendar.is_official(last.year)
    end = period_end(calendar, day, days, working=True)
    return end.last_day, end.provisional


def days_after(start: datetime, end: datetime) -> int:
    """Whole days from ``start`` to ``end`` counted as the law does (start day not counted)."""
    return (local_date(end) - local_date(start)).days


def working_days_after(calendar: WorkdayCalendar, start: datetime, end: datetime) -> int:
    """Working days in (start, end]: the start day is not counted."""
    day, last = local_date(start), local_date(end)
    count = 0
    while day < last:
        day += ONE_DAY
        if calendar.is_working_day(day):
            count += 1
    return count


class WeekendCalendar:
    """A calendar of weekends only: the in-memory twin for domain tests."""

    def __init__(self, holidays: frozenset[date] = frozenset(), official_years: range = range(1900, 2100)) -> None:
        self.holidays = holidays
        self.official_years = official_years

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def is_official(self, year: int) -> bool:
        return year in self.official_years

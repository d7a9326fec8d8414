"""``LegalCalendar``: the WorkdayCalendar port (core/shared/days.py) for the PRC legal calendar.

For a given year the first source that has data decides:

1. a State Council notice loaded by the operator (``add_notice``) — official;
2. the ``chinesecalendar`` package (2004–2026 in 1.11) — official;
3. the statutory holidays with 补假 and weekends (``statutory``) — provisional: every deadline
   that depends on such a year is marked provisional until the notice is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from tenderhub.calendar.notices import Notice
from tenderhub.calendar.official import has_official_data, is_official_working_day
from tenderhub.calendar.statutory import is_statutory_working_day

SUPPORTED_YEARS = range(1900, 2201)


class LegalCalendar:
    def __init__(self, notices: Iterable[Notice] = ()) -> None:
        self._notices: dict[int, Notice] = {}
        for notice in notices:
            self.add_notice(notice)

    def add_notice(self, notice: Notice) -> None:
        """Load (or replace: the last one wins, as with an amended notice) a year's notice."""
        if not isinstance(notice, Notice):
            raise TypeError(
                f"add_notice expects a Notice (see parse_notice), got {type(notice).__name__}"
            )
        self._notices[notice.year] = notice

    def with_notice(self, notice: Notice) -> LegalCalendar:
        """A new calendar with ``notice`` added; this one is left as it is."""
        return LegalCalendar([*self._notices.values(), notice])

    def is_working_day(self, day: date) -> bool:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError(
                f"is_working_day expects a date (Beijing local day), got {type(day).__name__}"
            )
        notice = self._notices.get(day.year)
        if notice is not None:
            return notice.is_working_day(day)
        if has_official_data(day.year):
            return is_official_working_day(day)
        return is_statutory_working_day(day)

    def is_official(self, year: int) -> bool:
        """True when a notice for ``year`` is loaded or built in; False means provisional."""
        return year in self._notices or has_official_data(year)

    def years_provisional(self, years: Iterable[int] = SUPPORTED_YEARS) -> list[int]:
        """The years among ``years`` (default 1900–2200) counted by the statutory fallback."""
        return [year for year in years if not self.is_official(year)]

    def source(self, year: int) -> str:
        """Where the working days of ``year`` come from, for display next to a deadline."""
        if year in self._notices:
            return self._notices[year].source
        if has_official_data(year):
            return "chinesecalendar（国务院办公厅节假日安排通知）"
        return "全国年节及纪念日放假办法（2024年修订）推算，暂定 provisional"

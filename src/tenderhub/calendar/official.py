"""Official working days: the State Council notices as compiled by ``chinesecalendar``.

The package (import name ``chinese_calendar``) carries each year's 国务院办公厅 holiday notice
(holidays and 调休 make-up workdays). It knows a closed range of years (2004–2026 in 1.11) and
raises ``NotImplementedError`` for any other year; ``has_official_data`` asks it once per year.
"""

from __future__ import annotations

from datetime import MAXYEAR, MINYEAR, date
from functools import cache

import chinese_calendar


@cache
def has_official_data(year: int) -> bool:
    """True when ``chinesecalendar`` holds the State Council notice for ``year``."""
    if not MINYEAR <= year <= MAXYEAR:
        return False
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_official_working_day(day: date) -> bool:
    """Working day by the official data; call only when ``has_official_data(day.year)``."""
    return bool(chinese_calendar.is_workday(day))

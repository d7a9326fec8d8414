"""Statutory holidays for a year without an official notice (provisional results).

全国年节及纪念日放假办法 (国务院令, 2024 revision, in force 2025-01-01), 第二条 — holidays for
all citizens: 元旦 1 day (1 January); 春节 4 days (农历除夕 and 正月初一至初三); 清明节 1 day
(the 清明 solar-term day); 劳动节 2 days (1–2 May); 端午节 1 day (农历五月初五); 中秋节 1 day
(农历八月十五); 国庆节 3 days (1–3 October). 第六条: a holiday for all citizens that falls on a
Saturday or Sunday is made up (补假) on a working day — here the first weekday after it that is
not already a holiday or a make-up day.

Readings of ours (the law is silent): when two holidays fall on the same date (中秋 on 1–3
October, e.g. 2028), the second is made up the same way, so the number of days off is kept;
the 2024 rules are applied to every year without official data, including past years.
Lunar dates come from ``lunardate`` (lunar years 1900–2099); outside that range the lunar
holidays are unknown and left out. The 调休 bridges of a real notice are never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import cache
from types import MappingProxyType

from lunardate import LunarDate

ONE_DAY = timedelta(days=1)
MEAN_TROPICAL_YEAR = 365.2422
# 寿星 formula, 21st-century constant for 清明 (C = 4.81), written as a continuous instant: the
# Gregorian calendar then supplies the leap-day term L (= [Y/4] for April; the [(Y−1)/4] variant
# belongs to the January/February terms and is a day late in leap years), across centuries.
QINGMING_2000 = date(2000, 3, 31).toordinal() + 4.81

FIXED_HOLIDAYS: tuple[tuple[int, int, str], ...] = (
    (1, 1, "元旦"),
    (5, 1, "劳动节"),
    (5, 2, "劳动节"),
    (10, 1, "国庆节"),
    (10, 2, "国庆节"),
    (10, 3, "国庆节"),
)


def qingming(year: int) -> date:
    """The 清明 solar-term day: 寿星 formula ``[Y·0.2422 + 4.81] − L`` in April (Beijing)."""
    return date.fromordinal(math.floor(QINGMING_2000 + (year - 2000) * MEAN_TROPICAL_YEAR))


def spring_festival_eve(year: int) -> date | None:
    """农历除夕 in Gregorian ``year``: the day before 正月初一 (the 12th month has 29 or 30 days)."""
    try:
        return LunarDate(year, 1, 1).to_solar_date() - ONE_DAY
    except ValueError:
        return None


def lunar_holidays(year: int) -> list[tuple[date, str]]:
    """春节, 端午节 and 中秋节 of ``year``; empty outside the lunar data (1900–2099)."""
    eve = spring_festival_eve(year)
    if eve is None:
        return []
    spring = [(eve + ONE_DAY * offset, "春节") for offset in range(4)]
    dragon = LunarDate(year, 5, 5).to_solar_date()
    autumn = LunarDate(year, 8, 15).to_solar_date()
    return [*spring, (dragon, "端午节"), (autumn, "中秋节")]


def holidays_of(year: int) -> list[tuple[date, str]]:
    """The statutory holiday days of ``year`` before any 补假, as (day, name) pairs."""
    fixed = [(date(year, month, day), name) for month, day, name in FIXED_HOLIDAYS]
    return [*fixed, (qingming(year), "清明节"), *lunar_holidays(year)]


def with_make_up_days(entries: Iterable[tuple[date, str]]) -> dict[date, str]:
    """Add a 补假 day for each holiday on a weekend or on a date already taken by another."""
    days: dict[date, str] = {}
    owed: list[tuple[date, str]] = []
    for day, name in sorted(entries):
        if day in days or day.weekday() >= 5:
            owed.append((day, name))
        days.setdefault(day, name)
    for day, name in owed:
        days[next_free_weekday(day, days)] = f"{name}（补假）"
    return days


def next_free_weekday(day: date, taken: Mapping[date, str]) -> date:
    day += ONE_DAY
    while day.weekday() >= 5 or day in taken:
        day += ONE_DAY
    return day


@cache
def statutory_holidays(year: int) -> Mapping[date, str]:
    """The holiday days of ``year`` by name, 补假 days included (none crosses a year end)."""
    return MappingProxyType(with_make_up_days(holidays_of(year)))


def is_statutory_working_day(day: date) -> bool:
    """Weekdays are working days unless a statutory holiday or a 补假 day."""
    if day.weekday() >= 5:
        return False
    return day not in statutory_holidays(day.year)

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenderhub.calendar import EXAMPLE_NOTICE, LegalCalendar, load_notice
from tenderhub.core.shared.clock import BEIJING
from tenderhub.core.shared.days import (
    WeekendCalendar,
    WorkdayCalendar,
    days_after,
    earliest_day,
    next_working_day,
    period_end,
    working_days_after,
)

CALENDARS: list[WorkdayCalendar] = [WeekendCalendar(), LegalCalendar()]
starts = st.dates(date(2000, 1, 1), date(2030, 12, 31))
lengths = st.integers(min_value=1, max_value=60)
calendars = st.sampled_from(CALENDARS)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BEIJING)


@given(calendars, starts, st.integers(0, 60), st.booleans())
def test_period_end_is_never_before_start_plus_n_days(calendar, start, days, working):
    assert period_end(calendar, start, days, working=working).last_day >= start + timedelta(days)


@given(calendars, starts, lengths, st.booleans())
def test_period_end_always_lands_on_a_working_day(calendar, start, days, working):
    assert calendar.is_working_day(period_end(calendar, start, days, working=working).last_day)


@given(calendars, starts, st.integers(0, 59), st.booleans())
def test_earliest_day_is_monotone_in_n(calendar, start, days, working):
    shorter, _ = earliest_day(calendar, start, days, working=working)
    longer, _ = earliest_day(calendar, start, days + 1, working=working)
    assert shorter < longer


@given(calendars, starts, lengths)
def test_a_working_period_counts_exactly_n_working_days(calendar, start, days):
    end = period_end(calendar, start, days, working=True).last_day
    assert working_days_after(calendar, at(start), at(end)) == days
    assert working_days_after(calendar, at(start), at(end - timedelta(1))) == days - 1


@given(calendars, starts)
def test_the_start_day_is_not_counted(calendar, start):
    assert period_end(calendar, start, 1, working=True).last_day > start
    assert earliest_day(calendar, start, 1)[0] == start + timedelta(1)
    assert days_after(at(start, 0), at(start + timedelta(1), 23)) == 1
    assert working_days_after(calendar, at(start), at(start, 23)) == 0


@given(starts, st.integers(0, 60))
def test_a_calendar_period_on_weekdays_ends_on_start_plus_n(start, days):
    last = start + timedelta(days)
    end = period_end(WeekendCalendar(), start, days)
    assert end.last_day == last or (last.weekday() >= 5 and end.last_day.weekday() == 0)


def test_deadline_on_a_holiday_moves_to_next_working_day():
    end = period_end(LegalCalendar(), date(2025, 9, 21), 10)
    assert end.last_day == date(2025, 10, 9)
    assert not end.provisional


def test_deadline_on_a_weekend_moves_to_monday_with_the_weekend_twin():
    assert period_end(WeekendCalendar(), date(2025, 3, 1), 14).last_day == date(2025, 3, 17)


def test_deadline_ends_at_midnight_beijing_after_its_last_day():
    end = period_end(LegalCalendar(), at(date(2025, 3, 3)), 20)
    assert end.last_day == date(2025, 3, 24)
    assert end.at == datetime(2025, 3, 25, tzinfo=BEIJING)


def test_a_working_period_skips_the_official_holidays():
    end = period_end(LegalCalendar(), date(2025, 9, 30), 1, working=True)
    assert end.last_day == date(2025, 10, 9)


def test_a_holiday_in_the_weekend_twin_is_not_a_working_day():
    calendar = WeekendCalendar(holidays=frozenset({date(2025, 3, 3)}))
    assert next_working_day(calendar, date(2025, 3, 1)) == (date(2025, 3, 4), False)


def test_a_2027_computation_is_provisional_and_becomes_official_after_a_notice_is_loaded():
    calendar = LegalCalendar()
    before = period_end(calendar, date(2027, 2, 2), 5, working=True)
    assert before.provisional
    calendar.add_notice(load_notice(EXAMPLE_NOTICE))
    after = period_end(calendar, date(2027, 2, 2), 5, working=True)
    assert not after.provisional
    assert (before.last_day, after.last_day) == (date(2027, 2, 15), date(2027, 2, 16))


def test_a_period_reaching_into_a_provisional_year_is_provisional():
    calendar = LegalCalendar()
    assert not period_end(calendar, date(2026, 11, 2), 20).provisional
    assert period_end(calendar, date(2026, 12, 20), 20).provisional
    assert period_end(calendar, date(2026, 12, 20), 20, working=True).provisional
    assert earliest_day(calendar, date(2026, 12, 20), 20) == (date(2027, 1, 9), True)


@pytest.mark.parametrize("calendar", CALENDARS, ids=["weekends", "legal"])
def test_a_datetime_start_counts_from_its_beijing_day(calendar):
    evening_utc = datetime(2025, 3, 2, 17, 0, tzinfo=UTC)  # 01:00 on 3 March in Beijing
    assert period_end(calendar, evening_utc, 1).last_day == date(2025, 3, 4)

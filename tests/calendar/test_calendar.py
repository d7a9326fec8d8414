import json
from datetime import date, datetime

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lunardate import LunarDate

from tenderhub.calendar import EXAMPLE_NOTICE, LegalCalendar, Notice, load_notice, parse_notice
from tenderhub.calendar.official import has_official_data
from tenderhub.calendar.statutory import qingming, spring_festival_eve, statutory_holidays
from tenderhub.core.shared.errors import Invalid

OFFICIAL_YEARS = range(2004, 2027)


def notice_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "year": 2027,
        "holidays": ["2027-01-01", "2027-02-05"],
        "workdays": ["2027-02-14"],
        "source": "国务院办公厅关于2027年部分节假日安排的通知 (test)",
    }
    data.update(changes)
    return data


def refused_field(data: object) -> str | None:
    with pytest.raises(Invalid) as caught:
        parse_notice(data)  # type: ignore[arg-type]
    return caught.value.field


def test_years_2004_to_2026_are_official_and_others_are_not():
    calendar = LegalCalendar()
    assert all(calendar.is_official(year) for year in OFFICIAL_YEARS)
    assert not calendar.is_official(2003) and not calendar.is_official(2027)


def test_years_provisional_lists_the_years_without_data():
    assert LegalCalendar().years_provisional(range(2002, 2030)) == [2002, 2003, 2027, 2028, 2029]


def test_official_data_makes_a_weekend_workday_working():
    calendar = LegalCalendar()
    assert date(2026, 2, 14).weekday() == 5
    assert calendar.is_working_day(date(2026, 2, 14))
    assert not calendar.is_working_day(date(2026, 2, 23))


def test_qingming_formula_gives_the_official_tomb_sweeping_day_2008_to_2026():
    for year in range(2008, 2027):
        on_leave, name = chinese_calendar.get_holiday_detail(qingming(year))
        assert (on_leave, name) == (True, "Tomb-sweeping Day"), year


def test_qingming_formula_agrees_with_the_solar_terms_of_chinesecalendar():
    for year in range(1900, 2100):
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        assert (qingming(year), "清明") in terms, year


def test_the_formula_with_the_minus_one_leap_term_would_miss_leap_years():
    """Guard against the [(Y−1)/4] variant, which is for January and February terms only."""
    year = 2024
    wrong = date(year, 4, int(24 * 0.2422 + 4.81) - (24 - 1) // 4)
    assert wrong != qingming(year) == date(2024, 4, 4)


def test_new_years_eve_follows_a_29_day_twelfth_month():
    with pytest.raises(ValueError):
        LunarDate(2026, 12, 30).to_solar_date()
    assert spring_festival_eve(2027) == LunarDate(2026, 12, 29).to_solar_date() == date(2027, 2, 5)


def test_new_years_eve_follows_a_30_day_twelfth_month():
    assert spring_festival_eve(2030) == LunarDate(2029, 12, 30).to_solar_date() == date(2030, 2, 2)


def test_spring_festival_has_four_days_from_the_eve():
    holidays = statutory_holidays(2027)
    assert all(holidays[date(2027, 2, day)] == "春节" for day in (5, 6, 7, 8))


@pytest.mark.parametrize(
    ("weekend_holiday", "make_up"),
    [
        (date(2027, 2, 6), date(2027, 2, 9)),
        (date(2027, 2, 7), date(2027, 2, 10)),
        (date(2027, 5, 2), date(2027, 5, 4)),
        (date(2027, 10, 3), date(2027, 10, 5)),
        (date(2028, 1, 1), date(2028, 1, 3)),
    ],
)
def test_a_holiday_on_a_weekend_is_made_up_on_the_next_free_working_day(weekend_holiday, make_up):
    holidays = statutory_holidays(weekend_holiday.year)
    assert weekend_holiday.weekday() >= 5 and weekend_holiday in holidays
    assert holidays[make_up].endswith("（补假）")
    assert not LegalCalendar().is_working_day(make_up)


def test_a_holiday_on_another_holiday_is_made_up_too():
    holidays = statutory_holidays(2028)
    assert LunarDate(2028, 8, 15).to_solar_date() == date(2028, 10, 3)
    weekdays_off = [
        day
        for day, name in holidays.items()
        if name[:3] in ("国庆节", "中秋节") and day.weekday() < 5
    ]
    assert len(weekdays_off) == 3 + 1


def test_a_provisional_year_counts_weekends_and_statutory_holidays():
    calendar = LegalCalendar()
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert not calendar.is_working_day(date(2027, 1, 9))
    assert calendar.is_working_day(date(2027, 1, 4))
    assert not calendar.is_working_day(date(2027, 6, 9))


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_fallback_holiday_is_an_official_holiday(year):
    for day, name in statutory_holidays(year).items():
        on_leave, official_name = chinese_calendar.get_holiday_detail(day)
        assert on_leave and official_name is not None, (day, name)


@given(st.dates(date(1900, 1, 1), date(2200, 12, 31)))
def test_the_calendar_answers_for_any_day_from_1900_to_2200(day):
    calendar = LegalCalendar()
    assert isinstance(calendar.is_working_day(day), bool)
    assert calendar.is_official(day.year) == has_official_data(day.year)
    if day.weekday() >= 5 and not calendar.is_official(day.year):
        assert not calendar.is_working_day(day)


def test_years_outside_the_lunar_data_still_keep_the_fixed_holidays():
    holidays = statutory_holidays(2150)
    assert {date(2150, 1, 1), date(2150, 5, 1), date(2150, 10, 1)} <= set(holidays)
    assert "春节" not in holidays.values()


def test_is_working_day_refuses_a_datetime():
    with pytest.raises(TypeError):
        LegalCalendar().is_working_day(datetime(2027, 1, 4, 9))


def test_a_valid_notice_is_parsed():
    notice = parse_notice(notice_data())
    assert notice == Notice(
        2027,
        (date(2027, 1, 1), date(2027, 2, 5)),
        (date(2027, 2, 14),),
        "国务院办公厅关于2027年部分节假日安排的通知 (test)",
    )


def test_a_notice_without_workdays_is_accepted():
    data = notice_data()
    del data["workdays"]
    assert parse_notice(data).workdays == ()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"year": "2027"}, "year"),
        ({"year": True}, "year"),
        ({"year": 1999}, "year"),
        ({"year": 2101}, "year"),
        ({"holidays": "2027-01-01"}, "holidays"),
        ({"holidays": ["2027-01-01", "2027/02/05"]}, "holidays[1]"),
        ({"holidays": ["20270101"]}, "holidays[0]"),
        ({"holidays": ["2027-02-30"]}, "holidays[0]"),
        ({"holidays": [20270101]}, "holidays[0]"),
        ({"holidays": ["2026-12-31"]}, "holidays[0]"),
        ({"workdays": ["2028-01-02"]}, "workdays[0]"),
        ({"workdays": ["2027-02-05"]}, "workdays"),
        ({"source": ""}, "source"),
        ({"source": "   "}, "source"),
        ({"source": None}, "source"),
        ({"note": "x"}, "note"),
    ],
)
def test_an_invalid_notice_is_refused_naming_the_field(changes, field):
    assert refused_field(notice_data(**changes)) == field


@pytest.mark.parametrize("missing", ["year", "holidays", "source"])
def test_a_notice_missing_a_required_field_is_refused(missing):
    data = notice_data()
    del data[missing]
    assert refused_field(data) == missing


def test_a_notice_that_is_not_an_object_is_refused():
    assert refused_field(["2027-01-01"]) == "notice"


def test_a_notice_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "notice.json"
    path.write_text("{year: 2027", encoding="utf-8")
    with pytest.raises(Invalid) as caught:
        load_notice(path)
    assert caught.value.field == "notice"


def test_the_example_notice_is_marked_as_an_example():
    notice = load_notice(EXAMPLE_NOTICE)
    assert notice.year == 2027
    assert "EXAMPLE" in notice.source and "示例" in notice.source


def test_loading_a_notice_makes_its_year_official_and_changes_working_days():
    calendar = LegalCalendar()
    sunday_worked, bridge = date(2027, 2, 14), date(2027, 2, 11)
    assert (calendar.is_working_day(sunday_worked), calendar.is_working_day(bridge)) == (
        False,
        True,
    )
    calendar.add_notice(load_notice(EXAMPLE_NOTICE))
    assert calendar.is_official(2027) and 2027 not in calendar.years_provisional()
    assert (calendar.is_working_day(sunday_worked), calendar.is_working_day(bridge)) == (
        True,
        False,
    )
    assert calendar.source(2027) == load_notice(EXAMPLE_NOTICE).source


def test_a_notice_overrides_the_built_in_official_data():
    notice = parse_notice(notice_data(year=2026, holidays=["2026-03-02"], workdays=["2026-02-14"]))
    calendar = LegalCalendar([notice])
    assert not calendar.is_working_day(date(2026, 3, 2))
    assert calendar.is_working_day(date(2026, 2, 16)), "other days follow the weekend rule only"


def test_a_later_notice_for_the_same_year_replaces_the_earlier():
    first = parse_notice(notice_data(holidays=["2027-03-01"], workdays=[]))
    second = parse_notice(notice_data(holidays=["2027-03-02"], workdays=[]))
    calendar = LegalCalendar([first, second])
    assert calendar.is_working_day(date(2027, 3, 1))
    assert not calendar.is_working_day(date(2027, 3, 2))


def test_the_example_notice_file_is_valid_json_with_sorted_unique_dates():
    data = json.loads(EXAMPLE_NOTICE.read_text(encoding="utf-8"))
    for key in ("holidays", "workdays"):
        assert data[key] == sorted(set(data[key]))
    workdays = [date.fromisoformat(day) for day in data["workdays"]]
    assert all(day.weekday() >= 5 for day in workdays)
    assert not set(data["workdays"]) & set(data["holidays"])


def test_notice_dates_are_stored_sorted_without_duplicates():
    notice = parse_notice(notice_data(holidays=["2027-02-05", "2027-01-01", "2027-02-05"]))
    assert notice.holidays == (date(2027, 1, 1), date(2027, 2, 5))

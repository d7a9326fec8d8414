"""The State Council's yearly holiday notice, loaded by an operator as a JSON data file.

国务院办公厅关于YYYY年部分节假日安排的通知 lists the days off (放假) and the weekend days that
are worked (调休上班). The file shape::

    {"year": 2027,
     "holidays": ["2027-01-01", ...],      # days off, weekends inside a holiday block included
     "workdays": ["2027-02-14", ...],      # weekend days that are worked (optional)
     "source": "国务院办公厅关于2027年部分节假日安排的通知 国办发明电〔2026〕N号"}

A loaded notice is the official calendar for its year: listed holidays are not working days,
listed workdays are, and every other day follows the weekend rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tenderhub.core.shared.errors import Invalid

EXAMPLE_NOTICE = Path(__file__).parent / "examples" / "2027-example.json"
FIELDS = frozenset({"year", "holidays", "workdays", "source"})
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Notice:
    """A validated notice; dates are sorted tuples (storable by ``tenderhub.db.serializer``)."""

    year: int
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]
    source: str

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() < 5


def parse_notice(data: Mapping[str, object]) -> Notice:
    """Validate a decoded notice file; raises ``Invalid`` naming the faulty field."""
    if not isinstance(data, Mapping):
        raise invalid("notice", "通知应为 JSON 对象", "the notice must be a JSON object")
    check_fields(data)
    year = parse_year(data.get("year"))
    holidays = parse_dates(data.get("holidays"), "holidays", year)
    workdays = parse_dates(data.get("workdays", []), "workdays", year)
    if both := sorted(set(holidays) & set(workdays)):
        raise invalid(
            "workdays",
            f"{both[0]} 同时列为放假日和上班日",
            f"{both[0]} is both a holiday and a workday",
        )
    return Notice(year, holidays, workdays, parse_source(data.get("source")))


def load_notice(path: str | Path) -> Notice:
    """Read and validate a notice file (UTF-8 JSON)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(
            "notice", f"无法读取通知文件 {path}：{exc}", f"cannot read notice file {path}: {exc}"
        ) from exc
    return parse_notice(data)


def check_fields(data: Mapping[str, object]) -> None:
    if missing := sorted(FIELDS - {"workdays"} - set(data)):
        raise invalid(missing[0], f"缺少字段 {missing[0]}", f"the field {missing[0]} is required")
    if unknown := sorted(map(str, set(data) - FIELDS)):
        raise invalid(
            unknown[0],
            f"未知字段 {unknown[0]}",
            f"unknown field {unknown[0]}: expected {sorted(FIELDS)}",
        )


def parse_year(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid("year", "年份应为整数", f"year must be an integer, got {value!r}")
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise invalid(
            "year",
            f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间",
            f"year must be {FIRST_YEAR}–{LAST_YEAR}, got {value}",
        )
    return value


def parse_dates(value: object, field: str, year: int) -> tuple[date, ...]:
    if not isinstance(value, list):
        raise invalid(field, f"{field} 应为日期列表", f"{field} must be a list of ISO dates")
    return tuple(
        sorted({parse_day(item, f"{field}[{index}]", year) for index, item in enumerate(value)})
    )


def parse_day(value: object, field: str, year: int) -> date:
    """One ``YYYY-MM-DD`` date inside ``year``."""
    try:
        day = (
            date.fromisoformat(value)
            if isinstance(value, str) and ISO_DATE.fullmatch(value)
            else None
        )
    except ValueError:
        day = None
    if day is None:
        raise invalid(
            field,
            f"日期格式应为 YYYY-MM-DD：{value!r}",
            f"expected an ISO date YYYY-MM-DD, got {value!r}",
        )
    if day.year != year:
        raise invalid(field, f"{day} 不在 {year} 年内", f"{day} is not in the notice year {year}")
    return day


def parse_source(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(
            "source", "应注明通知出处（文号）", "source must name the notice (title and number)"
        )
    return value.strip()


def invalid(field: str, zh: str, en: str) -> Invalid:
    return Invalid(en, message_zh=f"节假日通知：{zh}", field=field, code="calendar.notice")

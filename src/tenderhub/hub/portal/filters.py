"""Parsing the portal's search parameters, and matching one announcement against them.

``type`` (comma-separated: tender_notice, amendment, …), ``q``, ``region`` (GB/T 2260, six
digits; prefix match), ``industry``, ``method``, ``from`` / ``to`` (ISO date or time, Beijing
time without an offset; ``from`` inclusive, ``to`` inclusive for a date, exclusive for a
time), ``min_value`` / ``max_value`` (yuan, inclusive). A bad value is ``Invalid`` naming
the parameter; nothing is searched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tenderhub.core.shared.clock import BEIJING, parse_beijing
from tenderhub.core.shared.errors import Invalid
from tenderhub.hub.search import Announcement, AnnouncementType, Filters
from tenderhub.hub.search.model import as_utc
from tenderhub.hub.search.tokens import matches, query_words, region_prefix

REGION = re.compile(r"^[0-9]{6}$")
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_QUERY = 200  # characters of a search (and of a saved search)
PARAMS = ("type", "q", "region", "industry", "method", "from", "to", "min_value", "max_value")


@dataclass(frozen=True)
class Search:
    """A parsed search: the words and the filters, and the raw parameters (for storage)."""

    query: str
    filters: Filters
    params: dict[str, str]


def bad(field: str, en: str, zh: str) -> Invalid:
    return Invalid(f"{field}: {en}", message_zh=f"{field}：{zh}", field=field)


def parse(raw: dict[str, Any]) -> Search:
    """``raw``: parameter name → text (missing or empty = no filter)."""
    params = {k: str(raw[k]).strip() for k in PARAMS if raw.get(k) not in (None, "") and str(raw[k]).strip()}
    since, until = moment(params.get("from"), "from", end=False), moment(params.get("to"), "to", end=True)
    low, high = money(params.get("min_value"), "min_value"), money(params.get("max_value"), "max_value")
    if since and until and since >= until:
        raise bad("to", "must be after from", "须晚于 from")
    if low is not None and high is not None and low > high:
        raise bad("max_value", "must not be below min_value", "不得小于 min_value")
    if len(params.get("q", "")) > MAX_QUERY:
        raise bad("q", f"at most {MAX_QUERY} characters", f"最多 {MAX_QUERY} 个字符")
    filters = Filters(types=types(params.get("type")), region=region(params.get("region")),
                      industry=code(params.get("industry"), "industry"), method=code(params.get("method"), "method"),
                      since=since, until=until, min_value=low, max_value=high)
    return Search(params.get("q", ""), filters, params)


def types(text: str | None) -> tuple[AnnouncementType, ...]:
    if not text:
        return ()
    try:
        return tuple(dict.fromkeys(AnnouncementType(t.strip()) for t in text.split(",") if t.strip()))
    except ValueError:
        allowed = ", ".join(t.value for t in AnnouncementType)
        raise bad("type", f"one or more of {allowed}", f"公告类型须为 {allowed}") from None


def region(text: str | None) -> str | None:
    if text is None:
        return None
    if not REGION.match(text) or len(region_prefix(text)) % 2 or text.startswith("00"):
        raise bad("region", "a six-digit GB/T 2260 region code (e.g. 110000, 110105)", "须为六位 GB/T 2260 行政区划代码")
    return text


def code(text: str | None, field: str) -> str | None:
    if text is not None and not CODE.match(text):
        raise bad(field, "a code of letters and digits", "须为字母数字代码")
    return text


def moment(text: str | None, field: str, *, end: bool) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(0), tzinfo=BEIJING)
        return parse_beijing(text)
    except ValueError:
        raise bad(field, "an ISO 8601 date (2026-12-01) or time", "须为 ISO 8601 日期或时间") from None


def money(text: str | None, field: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value >= Decimal(10) ** 18:
        raise bad(field, "a non-negative amount in yuan", "须为非负金额（元）")
    return value


def admits(search: Search, a: Announcement) -> bool:
    """Whether ``a`` matches the search (the same rules as the index, for new announcements)."""
    f = search.filters
    checks = (not f.types or a.type in f.types,
              not f.region or a.region.startswith(region_prefix(f.region)),
              not f.industry or a.industry == f.industry, not f.method or a.method == f.method,
              not f.since or as_utc(a.published_at) >= as_utc(f.since),
              not f.until or as_utc(a.published_at) < as_utc(f.until),
              f.min_value is None or (a.value is not None and a.value >= f.min_value),
              f.max_value is None or (a.value is not None and a.value <= f.max_value))
    return all(checks) and matches(query_words(search.query), a.title, a.body)

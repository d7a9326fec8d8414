"""The PostgreSQL search phases below the window (a count probe; month buckets of growing
span, then the rest; or everything at once) return exactly what a plain scan returns, in order, across pages; on SQLite the same
corpus checks the single FTS5 path. The window is shrunk so a small corpus crosses it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tenderhub.hub.search import (
    Announcement,
    AnnouncementType,
    Filters,
    create_tables,
    index,
    search,
)
from tenderhub.hub.search import query as search_query
from tenderhub.hub.search.query import _bucket_phases
from tenderhub.hub.search.schema import SLOTS

START = datetime(2023, 1, 5, 3, 0, tzinfo=UTC)
WORDS = ("道路改造", "医院设备", "道路照明", "学校食堂")


def corpus() -> list[Announcement]:
    """Three years, one every 9 days (≈ 3 a month), the words in turn; two types."""
    return [Announcement(uid=f"a-{n}", type=AnnouncementType.TENDER_NOTICE if n % 3 else AnnouncementType.CONTRACT,
                         title=f"第{n}号{WORDS[n % 4]}项目", body="", ocid=f"o-{n}", platform="P", region="110105",
                         published_at=START + timedelta(days=9 * n)) for n in range(120)]


@pytest.fixture(params=[2, 1000], ids=["buckets", "all-at-once"])
def engine(database_url: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """PROBE 2: the month buckets run; PROBE 1000: what lies below the window is read at once."""
    monkeypatch.setattr(search_query, "WINDOW", 4)
    monkeypatch.setattr(search_query, "PROBE", request.param)
    made = sa.create_engine(database_url)
    create_tables(made)
    with made.begin() as conn:
        for a in corpus():
            index(conn, a)
    yield made
    made.dispose()


def expected(word: str, types: tuple[AnnouncementType, ...] = ()) -> list[str]:
    found = [a for a in corpus() if word in a.title and (not types or a.type in types)]
    return [a.uid for a in sorted(found, key=lambda a: a.published_at, reverse=True)]


def paged(engine: sa.Engine, word: str, filters: Filters | None = None, limit: int = 5) -> list[str]:
    seen, cursor = [], None
    with engine.connect() as conn:
        while True:
            page = search(conn, word, filters, limit=limit, cursor=cursor)
            seen += [a.uid for a in page.items]
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor


@pytest.mark.parametrize("word", ["道路", "道路改造", "医院设备", "食堂", "项目"])
def test_paging_below_the_window_finds_every_match_once_newest_first(engine: sa.Engine, word: str) -> None:
    assert paged(engine, word) == expected(word) and expected(word)


def test_a_type_filter_below_the_window(engine: sa.Engine) -> None:
    types = (AnnouncementType.CONTRACT,)
    assert paged(engine, "道路", Filters(types=types), limit=3) == expected("道路", types)


def test_a_date_range_stops_the_buckets_at_its_start(engine: sa.Engine) -> None:
    since = START + timedelta(days=400)
    want = [u for u in expected("道路") if START + timedelta(days=9 * int(u[2:])) >= since]
    assert paged(engine, "道路", Filters(since=since)) == want


def test_the_phases_cover_the_month_of_the_floor_then_1_2_4_8_16_months() -> None:
    floor = int(datetime(2026, 3, 15, tzinfo=UTC).timestamp()) * SLOTS
    phases = _bucket_phases(floor, None)
    starts = [datetime.fromtimestamp(key // SLOTS, UTC).date().isoformat() for key, _ in phases if key is not None]
    assert starts == ["2026-03-01", "2026-01-01", "2025-09-01", "2025-01-01", "2023-09-01"]
    assert [len(b) for _, b in phases] == [1, 2, 4, 8, 16]
    low = int(datetime(2025, 10, 1, tzinfo=UTC).timestamp()) * SLOTS
    assert len(_bucket_phases(floor, low)) == 3


def test_value_ranges_are_intersected_as_decade_tokens_and_still_exact(database_url: str) -> None:
    from decimal import Decimal

    engine = sa.create_engine(database_url)
    create_tables(engine)
    values = ["0.50", "9.99", "10", "99999", "100000", "4999999.99", "5000000", "123456789012.34", None]
    with engine.begin() as conn:
        for n, value in enumerate(values):
            index(conn, Announcement(uid=f"v-{n}", type=AnnouncementType.CONTRACT, title="道路工程合同", body="", ocid="o",
                                     platform="P", region="110105", published_at=START + timedelta(hours=n),
                                     value=None if value is None else Decimal(value)))

    def found(low: str | None, high: str | None) -> set[str]:
        filters = Filters(min_value=None if low is None else Decimal(low), max_value=None if high is None else Decimal(high))
        with engine.connect() as conn:
            return {a.uid for a in search(conn, "道路", filters, limit=100).items}

    try:
        assert found("0", None) == {f"v-{n}" for n in range(8)}
        assert found("10", "100000") == {"v-2", "v-3", "v-4"}
        assert found("5000000", None) == {"v-6", "v-7"}
        assert found(None, "9.99") == {"v-0", "v-1"}
        assert found("100001", "4999999.98") == set()
        assert found("-1", "0.5") == {"v-0"}
    finally:
        engine.dispose()

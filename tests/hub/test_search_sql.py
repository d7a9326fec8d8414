"""The portal search on SQL (SQLite, and PostgreSQL in the second run): two-character and
one-character queries, mixed Chinese and ASCII, filters, keyset paging, no false positives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tenderhub.core.shared.errors import Invalid
from tenderhub.hub.search import (
    Announcement,
    AnnouncementType,
    Filters,
    create_tables,
    index,
    remove,
    search,
)

T = AnnouncementType
START = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def ann(n: int, title: str, *, type: AnnouncementType = T.TENDER_NOTICE, body: str = "", region: str = "110105",
        industry: str | None = "E48", method: str | None = "open", value: str | None = "1000000.00",
        hours: float | None = None) -> Announcement:
    return Announcement(uid=f"ann-{n}", type=type, title=title, body=body, ocid=f"ocds-abc-{n}", platform="P1",
                        region=region, industry=industry, method=method, value=None if value is None else Decimal(value),
                        published_at=START + timedelta(hours=n if hours is None else hours))


CORPUS = [
    ann(1, "朝阳区市政道路改造工程招标公告", value="52000000.00"),
    ann(2, "海淀区人民医院医疗设备采购项目招标公告", region="110108", industry="Q84"),
    ann(3, "某某道旁绿化及南路照明工程", region="310101"),  # 道 and 路 apart
    ann(4, "城南片区PPP项目中标结果公告", type=T.AWARD_RESULT, region="310104", method="competitive_negotiation"),
    ann(5, "跨江大桥维修加固工程合同公告", type=T.CONTRACT, body="桥梁检测及道路恢复", region="420100"),
    ann(6, "妇幼保健院物业管理服务变更公告", type=T.AMENDMENT, body="原医院物业合同到期", value=None),
    ann(7, "epc总承包 ppp 项目开标记录", type=T.OPENING_RECORD, body="智慧校园", region="440300"),
]


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url)
    create_tables(engine)
    with engine.begin() as conn:
        for a in CORPUS:
            index(conn, a)
    yield engine
    engine.dispose()


def uids(engine: sa.Engine, query: str, filters: Filters | None = None, limit: int = 20) -> list[str]:
    with engine.connect() as conn:
        return [a.uid for a in search(conn, query, filters, limit).items]


def test_two_character_queries_find_their_words_newest_first(engine: sa.Engine) -> None:
    assert uids(engine, "道路") == ["ann-5", "ann-1"]
    assert uids(engine, "医院") == ["ann-6", "ann-2"]


def test_characters_apart_do_not_match_the_word(engine: sa.Engine) -> None:
    assert "ann-3" not in uids(engine, "道路")
    assert uids(engine, "道旁") == ["ann-3"]


def test_a_one_character_query_matches_the_character_anywhere(engine: sa.Engine) -> None:
    assert uids(engine, "桥") == ["ann-5"]
    assert uids(engine, "院") == ["ann-6", "ann-2"]


def test_mixed_chinese_and_ascii_is_a_phrase_and_ignores_case_and_width(engine: sa.Engine) -> None:
    assert uids(engine, "PPP项目") == ["ann-4"]
    assert uids(engine, "ＰＰＰ") == ["ann-7", "ann-4"]
    assert uids(engine, "EPC 智慧校园") == ["ann-7"]


def test_longer_words_need_all_bigrams_in_order(engine: sa.Engine) -> None:
    assert uids(engine, "道路改造") == ["ann-1"]
    assert uids(engine, "改造道路") == []
    assert uids(engine, "医院 设备") == ["ann-2"]


def test_filters_by_type_industry_and_method(engine: sa.Engine) -> None:
    assert uids(engine, "", Filters(types=(T.AWARD_RESULT, T.CONTRACT))) == ["ann-5", "ann-4"]
    assert uids(engine, "医院", Filters(industry="Q84")) == ["ann-2"]
    assert uids(engine, "", Filters(method="competitive_negotiation")) == ["ann-4"]
    assert uids(engine, "工程", Filters(types=(T.CONTRACT, T.TENDER_NOTICE), method="open")) == ["ann-5", "ann-3", "ann-1"]


def test_a_region_filter_matches_its_subregions_by_prefix(engine: sa.Engine) -> None:
    assert uids(engine, "", Filters(region="110000")) == ["ann-6", "ann-2", "ann-1"]
    assert uids(engine, "", Filters(region="110100")) == ["ann-6", "ann-2", "ann-1"]
    assert uids(engine, "", Filters(region="110105")) == ["ann-6", "ann-1"]
    assert uids(engine, "工程", Filters(region="310000")) == ["ann-3"]


def test_date_and_value_ranges(engine: sa.Engine) -> None:
    window = Filters(since=START + timedelta(hours=2), until=START + timedelta(hours=5))
    assert uids(engine, "", window) == ["ann-4", "ann-3", "ann-2"]
    assert uids(engine, "", Filters(min_value=Decimal("50000000"))) == ["ann-1"]
    assert uids(engine, "工程", Filters(max_value=Decimal("1000000.00"))) == ["ann-5", "ann-3"]


def test_keyset_paging_visits_every_match_once(engine: sa.Engine) -> None:
    seen, cursor = [], None
    with engine.connect() as conn:
        while True:
            page = search(conn, "", None, limit=3, cursor=cursor)
            seen += [a.uid for a in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen == [f"ann-{n}" for n in range(7, 0, -1)]


def test_paging_past_false_positives_still_fills_pages(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for n in range(10, 40):
            index(conn, ann(n, f"道{n}路"))  # every one holds 道 and 路, none 道路
    with engine.connect() as conn:
        first = search(conn, "道路", limit=1)
        second = search(conn, "道路", limit=1, cursor=first.next_cursor)
    assert [a.uid for a in first.items + second.items] == ["ann-5", "ann-1"] and second.next_cursor is None


def test_announcements_with_the_same_second_keep_a_stable_order(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for n in range(50, 55):
            index(conn, ann(n, "同一秒的道路公告", hours=100))
    assert uids(engine, "同一秒") == [f"ann-{n}" for n in range(54, 49, -1)]


def test_reindexing_replaces_and_remove_takes_out(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        index(conn, ann(2, "海淀区学校食堂采购"))
        assert remove(conn, "ann-6") and not remove(conn, "ann-6")
    assert uids(engine, "医院") == []
    assert uids(engine, "食堂") == ["ann-2"]


def test_results_carry_the_announcement(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        page = search(conn, "大桥")
    assert page.items == [CORPUS[4]] and page.total_estimate == 1


def test_bad_input_is_invalid(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        for kwargs in ({"limit": 0}, {"cursor": "abc"}, {"filters": Filters(region="11x")}):
            with pytest.raises(Invalid):
                search(conn, "道路", **kwargs)  # type: ignore[arg-type]


def test_searching_the_newest_window_first_gives_the_same_pages(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from tenderhub.hub.search import query

    expected = {q: uids(engine, q, limit=1) + uids(engine, q) for q in ("工程", "道路", "院", "")}
    monkeypatch.setattr(query, "WINDOW", 2)
    assert {q: uids(engine, q, limit=1) + uids(engine, q) for q in expected} == expected
    assert expected["工程"][1:] == ["ann-5", "ann-3", "ann-1"]

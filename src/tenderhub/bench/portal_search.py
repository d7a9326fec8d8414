"""``tenderhub bench portal-search``: the hub's public portal search on N announcements.

Set-up (timed separately as ``load_s``): N announcements generated deterministically from
word lists of Chinese procurement titles, bulk-loaded (SQLite: ``executemany`` in batches,
FTS5 kept by its triggers; PostgreSQL: ``COPY`` in batches, then the GIN index in one
pass), then ``optimize``. Timed: a fixed mix of queries through ``hub.search.search``
(common and rare words, one character, mixed ASCII, with and without filters), first page
of 20. Raw limit: the same number of primary-key lookups of random rows through the DBAPI
connection of the same database. ``ratio`` = search p99 / raw p99. See docs/portal-search.md.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tenderhub.bench.common import Out, finish, percentile, rounded, say, scratch, timed
from tenderhub.hub.search import AnnouncementType, Filters, create_tables, optimize, search
from tenderhub.hub.search.index import row
from tenderhub.hub.search.model import TYPE_NAMES, Announcement
from tenderhub.hub.search.schema import SLOTS, announcements, create_gin_index, drop_tables

BATCH = 10_000
EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_S = 3 * 365 * 86400

REGIONS = [("北京市朝阳区", "110105"), ("北京市海淀区", "110108"), ("上海市浦东新区", "310115"),
           ("上海市黄浦区", "310101"), ("广州市天河区", "440106"), ("深圳市南山区", "440305"),
           ("杭州市西湖区", "330106"), ("南京市鼓楼区", "320106"), ("武汉市江汉区", "420103"),
           ("成都市武侯区", "510107"), ("重庆市渝中区", "500103"), ("西安市雁塔区", "610113"),
           ("长沙市岳麓区", "430104"), ("郑州市金水区", "410105"), ("济南市历下区", "370102"),
           ("合肥市蜀山区", "340104"), ("福州市鼓楼区", "350102"), ("昆明市五华区", "530102"),
           ("南宁市青秀区", "450103"), ("天津市和平区", "120101"), ("沈阳市和平区", "210102"),
           ("哈尔滨市南岗区", "230103"), ("石家庄市长安区", "130102"), ("太原市小店区", "140105"),
           ("贵阳市云岩区", "520103"), ("兰州市城关区", "620102"), ("海口市美兰区", "460108"),
           ("南昌市东湖区", "360102"), ("呼和浩特市新城区", "150102"), ("北京市通州区", "110112")]
PURCHASERS = ["人民医院", "中医院", "妇幼保健院", "第一中学", "实验小学", "职业技术学院", "交通运输局",
              "住房和城乡建设局", "水务局", "城市管理局", "教育局", "卫生健康委员会", "公安局",
              "自然资源和规划局", "农业农村局", "生态环境局", "文化和旅游局", "机关事务管理局",
              "城市建设投资集团有限公司", "供水有限公司", "国有资产投资有限公司"]
SUBJECTS = [  # (subject, industry: GB/T 4754 class)
    ("市政道路改造工程", "E48"), ("道路维修养护工程", "E48"), ("老旧小区改造工程", "E47"),
    ("污水处理厂提标改造工程", "E48"), ("雨污分流管网工程", "E48"), ("河道综合治理工程", "N77"),
    ("学校教学楼新建工程", "E47"), ("住院综合楼建设项目", "E47"), ("体育馆装修工程", "E50"),
    ("桥梁加固工程", "E48"), ("隧道照明改造工程", "E49"), ("光伏发电项目EPC总承包", "D44"),
    ("城市更新PPP项目", "E48"), ("高标准农田建设项目", "A05"), ("停车场建设工程", "E48"),
    ("医疗设备采购项目", "Q84"), ("CT设备采购", "Q84"), ("办公家具采购", "C21"),
    ("计算机及网络设备采购", "C39"), ("教学仪器设备采购", "P83"), ("图书采购项目", "R86"),
    ("食堂食材采购", "H62"), ("消防器材采购", "C35"), ("新能源公交车采购", "C36"),
    ("执法记录仪采购", "C39"), ("物业管理服务项目", "K70"), ("保洁服务采购", "O80"),
    ("安保服务项目", "O72"), ("信息化系统运维服务", "I65"), ("智慧校园平台建设", "I65"),
    ("年度审计服务", "M72"), ("工程监理服务", "M74"), ("造价咨询服务", "M72"),
    ("绿化养护服务", "N78"), ("法律顾问服务", "M72")]
RARE = [("档案数字化加工服务", "I65"), ("无人机巡检服务", "I65"), ("地质灾害隐患点治理工程", "N77"),
        ("文物保护修缮工程", "E50"), ("冷链物流中心建设项目", "E47"), ("氢能源示范项目", "D44"),
        ("古树名木保护服务", "N78"), ("航道疏浚工程", "E48")]
METHODS = [("open", "公开招标"), ("open", "公开招标"), ("open", "公开招标"), ("invited", "邀请招标"),
           ("competitive_negotiation", "竞争性谈判"), ("competitive_consultation", "竞争性磋商"),
           ("inquiry", "询价"), ("single_source", "单一来源")]
TYPES = list(AnnouncementType)


def announcement(rng: random.Random, n: int, second: int) -> Announcement:
    """The n-th generated announcement (rare subjects in about 1 of 500)."""
    region, code = rng.choice(REGIONS)
    subject, industry = rng.choice(RARE) if rng.random() < 0.002 else rng.choice(SUBJECTS)
    kind, (method, method_name) = rng.choice(TYPES), rng.choice(METHODS)
    purchaser = region + rng.choice(PURCHASERS)
    value = Decimal(int(10 ** rng.uniform(4, 9))).quantize(Decimal("0.01"))
    lot = f"（第{rng.randint(1, 6)}标段）" if rng.random() < 0.2 else ""
    title = f"{purchaser}{2023 + second // (365 * 86400)}年{subject}{lot}{TYPE_NAMES[kind]}"
    body = (f"项目名称：{subject}。采购人：{purchaser}。预算金额：{value}元。"
            f"采购方式：{method_name}。项目编号：ZB{n:08d}。")
    return Announcement(uid=f"bench-{n}", type=kind, title=title, body=body, ocid=f"ocds-bench-{n // 3}",
                        platform=f"P{n % 7}", region=code, industry=industry, method=method, value=value,
                        published_at=EPOCH + timedelta(seconds=second))


def rows(count: int, seed: int = 7) -> Iterator[list[dict[str, Any]]]:
    """Batches of table rows, oldest first; sort keys unique (several rows may share a second)."""
    rng = random.Random(seed)
    step = SPAN_S / max(count, 1)
    batch: list[dict[str, Any]] = []
    for n in range(count):
        second = int(n * step)
        batch.append(row(announcement(rng, n, second), (int(EPOCH.timestamp()) + second) * SLOTS + n % SLOTS))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


QUERIES = {  # query words by kind: the mix draws from them
    "common": ["工程", "项目", "采购", "道路", "医院", "服务", "设备", "学校", "改造", "建设"],
    "phrase": ["道路改造", "医疗设备", "物业管理", "污水处理", "智慧校园", "信息化", "监理服务", "老旧小区"],
    "rare": ["档案", "无人机", "文物", "冷链", "氢能源", "古树", "航道疏浚", "航天器"],
    "char": ["桥", "院", "局"],
    "mixed": ["PPP项目", "EPC", "CT设备"],
}


def query_mix(count: int, seed: int = 11) -> list[tuple[str, Filters]]:
    """``count`` (query, filters): half without filters, the rest with one or two filters."""
    rng = random.Random(seed)
    kinds = list(QUERIES)
    return [(rng.choice(QUERIES[rng.choice(kinds)]), _filters(rng) if i % 2 else Filters()) for i in range(count)]


def _filters(rng: random.Random) -> Filters:
    choice = rng.randrange(6)
    end = EPOCH + timedelta(seconds=SPAN_S)
    if choice == 0:
        return Filters(region=rng.choice(REGIONS)[1][:2] + "0000")
    if choice == 1:
        return Filters(region=rng.choice(REGIONS)[1], types=(rng.choice(TYPES),))
    if choice == 2:
        return Filters(types=(AnnouncementType.AWARD_RESULT, AnnouncementType.CONTRACT), method="open")
    if choice == 3:
        return Filters(since=end - timedelta(days=30), until=end)
    if choice == 4:
        return Filters(min_value=Decimal("50000000"), industry=rng.choice(SUBJECTS)[1])
    return Filters(since=end - timedelta(days=400), until=end - timedelta(days=300), types=(rng.choice(TYPES),))


@contextmanager
def database(db: str | None) -> Iterator[tuple[sa.Engine, str]]:
    """An engine on a fresh place: a scratch SQLite file, the given SQLite URL, or a new
    schema on the given PostgreSQL server (dropped afterwards)."""
    if db is None:
        with scratch("portal-search") as root:
            yield _engine(f"sqlite:///{Path(root) / 'hub.db'}"), "sqlite"
        return
    if make_url(db).get_backend_name() != "postgresql":
        yield _engine(db), "sqlite"
        return
    schema = f"bench_search_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(db)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = make_url(db).update_query_dict({"options": f"-csearch_path={schema}"})
        yield _engine(url.render_as_string(hide_password=False)), "postgresql"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda c, _: c.execute("PRAGMA journal_mode=WAL"))
    return engine


def load(engine: sa.Engine, count: int) -> int:
    """Bulk-load ``count`` generated announcements; the number loaded."""
    postgres = engine.dialect.name == "postgresql"
    create_tables(engine, fulltext_index=not postgres)
    loaded = 0
    for batch in rows(count):
        _copy(engine, batch) if postgres else _insert(engine, batch)
        loaded += len(batch)
    create_gin_index(engine)
    optimize(engine)
    return loaded


def _insert(engine: sa.Engine, batch: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(announcements), batch)


_COPY_COLUMNS = [c.name for c in announcements.c]


def _copy(engine: sa.Engine, batch: list[dict[str, Any]]) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy(f"COPY portal_announcements ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for r in batch:
                copy.write_row([r[name] for name in _COPY_COLUMNS])
        raw.commit()
    finally:
        raw.close()


def time_searches(engine: sa.Engine, mix: list[tuple[str, Filters]]) -> tuple[list[float], int]:
    """Milliseconds per search (first page of 20) and the number of results found."""
    times, hits = [], 0
    with engine.connect() as conn:
        search(conn, "道路")  # warm the connection
        for query, filters in mix:
            start = time.perf_counter()
            hits += len(search(conn, query, filters, 20).items)
            times.append((time.perf_counter() - start) * 1000)
    return times, hits


def time_lookups(engine: sa.Engine, count: int, total: int, seed: int = 13) -> list[float]:
    """Milliseconds per primary-key lookup of a random row, on the DBAPI connection."""
    rng = random.Random(seed)
    keys = [key for _, key in _sample_keys(rng, count, total)]
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        times = []
        for key in keys:
            start = time.perf_counter()
            cur.execute(f"SELECT * FROM portal_announcements WHERE sort_key = {mark}", (key,))
            assert cur.fetchone() is not None
            times.append((time.perf_counter() - start) * 1000)
        return times
    finally:
        raw.close()


def _sample_keys(rng: random.Random, count: int, total: int) -> list[tuple[int, int]]:
    """(n, sort key) of ``count`` random generated rows (keys recomputed, not read back)."""
    step = SPAN_S / max(total, 1)
    picks = [rng.randrange(total) for _ in range(count)]
    return [(n, (int(EPOCH.timestamp()) + int(n * step)) * SLOTS + n % SLOTS) for n in picks]


def run(count: int, db: str | None = None, queries: int = 200, out: Out = say) -> dict[str, Any]:
    with database(db) as (engine, kind):
        try:
            return _measure(engine, kind, count, queries, out)
        finally:
            if db is not None and kind == "sqlite":
                drop_tables(engine)
            engine.dispose()


def _measure(engine: sa.Engine, kind: str, count: int, queries: int, out: Out) -> dict[str, Any]:
    out(f"portal-search on {kind}: loading {count} announcements …")
    with timed() as t_load:
        loaded = load(engine, count)
    out(f"loaded {loaded} in {t_load[0]:.1f} s; {queries} searches …")
    times, hits = time_searches(engine, query_mix(queries))
    raw = time_lookups(engine, queries, count)
    p50, p99, raw_p99 = percentile(times, 50), percentile(times, 99), percentile(raw, 99)
    out(f"search p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(times):.2f} ms; "
        f"raw primary-key lookup p50 {percentile(raw, 50):.3f} ms, p99 {raw_p99:.3f} ms")
    return finish(out, {"bench": "portal-search", "database": kind, "rows": loaded, "queries": queries,
                        "hits": hits, "load_s": rounded(t_load[0], 1), "p50_ms": rounded(p50),
                        "p99_ms": rounded(p99), "max_ms": rounded(max(times)),
                        "raw_p50_ms": rounded(percentile(raw, 50), 4), "raw_p99_ms": rounded(raw_p99, 4),
                        "ratio": rounded(p99 / raw_p99 if raw_p99 else 0.0, 1)})

"""``tenderhub bench hub-ingest``: the hub ingesting N signed OCDS releases, in batches.

Set-up (not timed, ``setup_s``): five scenarios (works open, goods lowest price, services
composite, two lots with a re-tender, a re-award) run through the use cases in a scratch
directory, each tender mapped to its releases by ``exchange.ocds.mapping.releases_for``
(5 to 12 releases per process). Copy *j* of process *g* gets the ocid ``{ocid}-g{g}-b{j}`` (text
replaced everywhere, so release ids, amendments and ``releaseID`` references follow), until
there are N distinct releases over N/7 ocids or so. A platform is registered with the hub and
signs the releases (ADR 0013), ``--signing``: ``batch`` (the default, what the relay does: one
signature per request over the Merkle root of its releases, ``batchsig.sign_releases``; the
hub answers with one signature over its receipts), ``release`` (one signature per release,
``protocol.envelope``, and one hub signature per receipt: old clients) or ``both`` (each on a
fresh hub of its own, the first one's figures at the top of the JSON).

Timed (``ingest_s``): ``hub.batch.ingest_many`` on batches of ``--batch`` releases, one call
after the other: signature(s), schema, ownership, idempotency, receipt(s) signed by the hub,
feed position, transparency-log leaf, one release row, all of it in one transaction per batch. Per-batch latency
gives p50/p99. With ``--http`` the same releases go again to a second fresh hub through
``POST /hub/releases:batch`` of the app in process (httpx over ASGI, bodies encoded in the
set-up). The garbage collector's generations are frozen after the set-up (``gc.freeze``): the bench
holds all N requests in memory, which a hub does not, and each full collection would rescan
them (in the ingest and the raw limit alike). Afterwards every release must be stored once, the feed and the log hold N, and sampled
receipts' leaves are proven in the signed tree head and the receipts verify with the hub's key
(``verified``).

The portal's announcements are not derived at ingest: the portal indexer follows the feed
(``hub/portal/indexer.py``). After the ingest it is timed on its own (``index_s``):
``catch_up`` from position 0 to the end of the feed, ``indexed_releases_per_s`` and
``announcements_per_s``; every release must be indexed (the cursor at N).

Raw limit (same run, same database kind): the same canonical JSON rows (id, ocid, text) into
an equivalent table (primary key, index on ocid) with one ``executemany`` in one transaction
on the DBAPI connection; on PostgreSQL, where the hub writes its rows by ``COPY``, also one
``COPY … FROM STDIN`` into a second such table, and the faster of the two is the limit
(both reported). ``ratio`` = releases/s ÷ raw rows/s. See docs/benchmarks.md.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tenderhub.bench.common import Out, finish, percentile, rounded, say, scratch, timed
from tenderhub.core.shared.clock import SystemClock
from tenderhub.crypto.keys import KeyPair
from tenderhub.crypto.platform_keys import PlatformKeys
from tenderhub.hub import batchsig, protocol, registry, tables, transparency
from tenderhub.hub.batch import ingest_many
from tenderhub.hub.context import Hub, open_hub
from tenderhub.hub.portal.indexer import catch_up
from tenderhub.hub.tlog import entry_for_release, leaf_hash, verify_inclusion

SCENARIOS = ("01", "03", "04", "05", "24")
PLATFORM = "TH110000001"
SAMPLES = 20


def templates(root: Path) -> list[list[dict[str, Any]]]:
    """The releases of each tender of a few scenarios, mapped by our own OCDS mapping."""
    from tenderhub.bootstrap import build
    from tenderhub.exchange.ocds.mapping import releases_for
    from tenderhub.scenarios.runner import run_file
    from tenderhub.settings import Settings

    folder = Path(__file__).resolve().parents[3] / "scenarios"
    found: list[list[dict[str, Any]]] = []
    for code in SCENARIOS:
        data_dir = root / f"scenario-{code}"
        run_file(next(folder.glob(f"{code}-*.yaml")), data_dir=data_dir)
        platform = build(Settings.load(data_dir=data_dir, db_url=f"sqlite:///{(data_dir / 'trading.db').resolve()}"))
        try:
            with platform.services.uow(None) as uow:
                found += [releases_for(t) for t in uow.tenders.list(limit=100)]
        finally:
            platform.engine.dispose()
    return [group for group in found if group]


def releases(groups: list[list[dict[str, Any]]], count: int) -> Iterator[dict[str, Any]]:
    """``count`` distinct releases: copy j of process g under the ocid ``{ocid}-g{g}-b{j}``
    (the scenarios share project codes, so g keeps their processes apart)."""
    texts = [(group[0]["ocid"], [protocol.canonical(r).decode("utf-8") for r in group]) for group in groups]
    made, copy = 0, 0
    while made < count:
        for g, (ocid, group) in enumerate(texts):
            for text in group:
                if made == count:
                    return
                yield orjson.loads(text.replace(ocid, f"{ocid}-g{g}-b{copy}"))
                made += 1
        copy += 1


def database(db: str | None, root: Path) -> tuple[str, str]:
    """(base URL, kind): scratch SQLite files in ``root``, or the server of ``db``."""
    if db is None or make_url(db).get_backend_name() == "sqlite":
        return f"sqlite:///{root.resolve()}", "sqlite"
    return db, make_url(db).get_backend_name()


@contextmanager
def fresh_hub(base: str, kind: str, root: Path, name: str) -> Iterator[Hub]:
    """A hub on a new SQLite file or a new PostgreSQL schema (dropped afterwards)."""
    if kind == "sqlite":
        hub = open_hub(root / name, f"{base}/{name}.db", clock=SystemClock())
        try:
            yield hub
        finally:
            hub.close()
        return
    schema = f"bench_ingest_{name}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    hub = open_hub(root / name, url, clock=SystemClock())
    try:
        yield hub
    finally:
        hub.close()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def register(hub: Hub, pair: KeyPair) -> None:
    registry.register(hub, {
        "id": PLATFORM, "name": "基准测试交易平台", "public_key_pem": pair.public_pem.decode(),
        "units": {u: "基准测试单位" for u in registry.UNITS}, "responsible_people": [{"name": "张三", "role": "运营负责人"}],
        "certification": {"report": "检测认证报告 BENCH-0001"},
        "specifications": {"tool_software": "bench", "interface": "bench"}, "services": {"free": [], "paid": []}})


SIGNING = ("batch", "release")


def bodies(docs: list[dict[str, Any]], size: int, pair: KeyPair, signing: str) -> list[dict[str, Any]]:
    """The request bodies of ``POST /hub/releases:batch``, ``size`` releases each."""
    chunks = [docs[i:i + size] for i in range(0, len(docs), size)]
    if signing == "batch":
        return [batchsig.sign_releases(PLATFORM, pair, chunk) for chunk in chunks]
    return [{"releases": [protocol.envelope(PLATFORM, pair, r) for r in chunk]} for chunk in chunks]


def time_index(hub: Hub, count: int) -> tuple[float, dict[str, int], list[str]]:
    """Seconds for the portal indexer to catch up with the whole feed; totals; problems."""
    start = time.perf_counter()
    done = catch_up(hub)
    seconds = time.perf_counter() - start
    wrong = [f"indexed {done['releases']} != {count}"] if done["releases"] != count or done["position"] != count else []
    return seconds, done, wrong


def time_ingest(hub: Hub, chunks: list[dict[str, Any]], profile: cProfile.Profile | None) -> tuple[float, list[float], list[dict[str, Any]]]:
    """Seconds in total, milliseconds per batch, every result (all must be ``created``)."""
    latencies, results = [], []
    start = time.perf_counter()
    for chunk in chunks:
        began = time.perf_counter()
        if profile is not None:
            profile.enable()
        results += ingest_many(hub, chunk["releases"], signed_batch=chunk.get("batch"))
        if profile is not None:
            profile.disable()
        latencies.append((time.perf_counter() - began) * 1000)
    return time.perf_counter() - start, latencies, results


def time_http(hub: Hub, chunks: list[dict[str, Any]]) -> tuple[float, list[float], list[dict[str, Any]]]:
    """The same through ``POST /hub/releases:batch`` of the app in process."""
    from fastapi.testclient import TestClient

    from tenderhub.hub.app import create_hub_app

    encoded = [orjson.dumps(chunk) for chunk in chunks]
    latencies, results = [], []
    with TestClient(create_hub_app(hub)) as client:
        start = time.perf_counter()
        for body in encoded:
            began = time.perf_counter()
            answer = client.post("/hub/releases:batch", content=body, headers={"content-type": "application/json"})
            answer.raise_for_status()
            results += answer.json()["results"]
            latencies.append((time.perf_counter() - began) * 1000)
        return time.perf_counter() - start, latencies, results


def time_raw(engine: sa.Engine, rows: list[tuple[str, str, str]], *, copy: bool = False) -> float:
    """One executemany (``copy``: one ``COPY … FROM STDIN``, PostgreSQL) of (id, ocid,
    canonical) into an equivalent table of its own, one transaction."""
    mark, table = ("?" if engine.dialect.name == "sqlite" else "%s"), "bench_raw_copy" if copy else "bench_raw_releases"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {table} (id VARCHAR(300) PRIMARY KEY, ocid VARCHAR(200) NOT NULL, canonical TEXT NOT NULL)")
        conn.exec_driver_sql(f"CREATE INDEX ix_{table}_ocid ON {table} (ocid)")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        start = time.perf_counter()
        if engine.dialect.name == "sqlite":  # the engine's connections run in autocommit: BEGIN explicitly
            cursor.execute("BEGIN")
        if copy:
            with cursor.copy(f"COPY {table} (id, ocid, canonical) FROM STDIN") as writer:  # type: ignore[attr-defined]
                for row in rows:
                    writer.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} (id, ocid, canonical) VALUES ({mark}, {mark}, {mark})", rows)
        raw.commit()
        return time.perf_counter() - start
    finally:
        raw.close()


def check(hub: Hub, results: list[dict[str, Any]], count: int) -> list[str]:
    """What is wrong with the stored state (empty when all is well)."""
    problems = [f"{r['index']}: {r['status']}" for r in results if r["status"] != "created"][:5]
    with hub.engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(tables.releases)).scalar_one()
        last = conn.execute(sa.select(tables.feed_head.c.last)).scalar_one()
    sth = transparency.tree_head(hub)
    problems += [f"{name} {got} != {count}" for name, got in (("stored", stored), ("feed", last), ("log", sth.size)) if got != count]
    log, key = transparency.merkle_log(hub.engine), hub.key_info()["public_pem"].encode()
    for result in random.Random(3).sample(results, min(SAMPLES, len(results))):
        problems += _proven(log, sth, result["receipt"]["receipt"])
        problems += [] if batchsig.verify_receipt(key, result["receipt"]) else [f"{result['index']}: the receipt does not verify"]
    return problems


def _proven(log: Any, sth: Any, receipt: dict[str, Any]) -> list[str]:
    entry = entry_for_release(receipt["ocid"], receipt["release_id"], receipt["digest"].removeprefix("sha256:"),
                              receipt["platform_id"], _parse_time(receipt["received_at"]))
    path = log.inclusion_proof(receipt["leaf_index"], sth.size)
    if verify_inclusion(leaf_hash(entry), receipt["leaf_index"], sth.size, path, sth.root):
        return []
    return [f"leaf {receipt['leaf_index']} is not proven"]


def _parse_time(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


def run(count: int, db: str | None = None, batch: int = 500, http: bool = False, profile: bool = False,
        signing: str = "batch", out: Out = say, index: bool = True) -> dict[str, Any]:
    """``index=False``: the portal indexer is not timed (``--no-index``: paired runs of the
    ingest alone; the raw limit is then measured on a database without the portal's rows)."""
    modes = SIGNING if signing == "both" else (signing,)
    with scratch("hub-ingest") as root:
        base, kind = database(db, root)
        return _measure(root, base, kind, count, batch, Options(modes, http, profile, index), out)


@dataclass(frozen=True)
class Options:
    modes: tuple[str, ...]
    http: bool
    profile: bool
    index: bool = True


def _measure(root: Path, base: str, kind: str, count: int, batch: int, options: Options, out: Out) -> dict[str, Any]:
    out(f"hub-ingest on {kind}: {count} releases in batches of {batch}, signed by {' and by '.join(options.modes)} …")
    with timed() as t_setup:
        pair = PlatformKeys(root / "platform-keys").pair("signing", "intl")
        docs = list(releases(templates(root), count))
        inputs = {mode: bodies(docs, batch, pair, mode) for mode in options.modes}
    ocids = len({d["ocid"] for d in docs})
    out(f"set-up {t_setup[0]:.1f} s: {len(docs)} releases over {ocids} ocids")
    gc.collect()
    gc.freeze()  # the set-up's N requests held in memory are no hub's working set: not rescanned by every collection
    rows = [(d["id"], d["ocid"], protocol.canonical(d).decode("utf-8")) for d in docs]
    first, *others = options.modes
    result: dict[str, Any] = {"bench": "hub-ingest", "database": kind, "releases": count, "batch": batch, "ocids": ocids,
                              "signing": first, "setup_s": rounded(t_setup[0], 1)}
    result.update(_primary(root, base, kind, first, inputs[first], pair, rows, options, out))
    for mode in others:
        result.update(_secondary(root, base, kind, mode, inputs[mode], pair, result["raw_rows_per_s"], out))
    if options.http:
        result.update(_measure_http(root, base, kind, inputs[first], count, result["raw_rows_per_s"], out))
    result["verified"] = not result["problems"] and all(result.get(f"{m}_verified", True) for m in others)
    return finish(out, result)


def _primary(root: Path, base: str, kind: str, mode: str, chunks: list[dict[str, Any]], pair: KeyPair,
             rows: list[tuple[str, str, str]], options: Options, out: Out) -> dict[str, Any]:
    """Ingest, check, the portal indexer (unless ``--no-index``), then the raw limit in the same database."""
    count, profiler = len(rows), cProfile.Profile() if options.profile else None
    with fresh_hub(base, kind, root, f"hub_{mode}") as hub:
        register(hub, pair)
        ingest_s, latencies, results = time_ingest(hub, chunks, profiler)
        problems = check(hub, results, count)
        index_s, indexed, wrong = time_index(hub, count) if options.index else (0.0, {}, [])
        raws = {"executemany": time_raw(hub.engine, rows)}
        if hub.engine.dialect.driver == "psycopg":  # the hub writes its rows by COPY there: so does the raw limit
            raws["copy"] = time_raw(hub.engine, rows, copy=True)
    raw_s = min(raws.values())  # the faster bulk insert is the limit
    rate, raw_rate = count / ingest_s, count / raw_s
    out(f"{mode}-signed: ingest {ingest_s:.2f} s ({rate:.0f} releases/s), batch p50 {percentile(latencies, 50):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms; raw {raw_s:.2f} s ({raw_rate:.0f} rows/s; "
        + ", ".join(f"{how} {count / s:.0f}" for how, s in raws.items()) + f"); ratio {rate / raw_rate:.3f}")
    if profiler is not None:
        _print_profile(profiler, out)
    return {"ingest_s": rounded(ingest_s), "releases_per_s": rounded(rate, 1),
            "p50_batch_ms": rounded(percentile(latencies, 50), 1), "p99_batch_ms": rounded(percentile(latencies, 99), 1),
            "raw_s": rounded(raw_s), "raw_rows_per_s": rounded(raw_rate, 1), "ratio": rounded(rate / raw_rate),
            **{f"raw_{how}_rows_per_s": rounded(count / s, 1) for how, s in raws.items()},
            **(_indexer(index_s, indexed, out) if options.index else {}), "problems": problems + wrong}


def _indexer(index_s: float, indexed: dict[str, int], out: Out) -> dict[str, Any]:
    out(f"portal indexer {index_s:.2f} s: {indexed['releases'] / index_s:.0f} releases/s, "
        f"{indexed['announcements']} announcements ({indexed['announcements'] / index_s:.0f}/s)")
    return {"index_s": rounded(index_s), "indexed_releases_per_s": rounded(indexed["releases"] / index_s, 1),
            "announcements": indexed["announcements"], "announcements_per_s": rounded(indexed["announcements"] / index_s, 1)}


def _secondary(root: Path, base: str, kind: str, mode: str, chunks: list[dict[str, Any]], pair: KeyPair, raw_rate: float, out: Out) -> dict[str, Any]:
    """The other signing on a fresh hub of its own (ratio against the same raw figure)."""
    count = sum(len(c["releases"]) for c in chunks)
    with fresh_hub(base, kind, root, f"hub_{mode}") as hub:
        register(hub, pair)
        seconds, latencies, results = time_ingest(hub, chunks, None)
        problems = check(hub, results, count)
    rate = count / seconds
    out(f"{mode}-signed: ingest {seconds:.2f} s ({rate:.0f} releases/s), batch p50 {percentile(latencies, 50):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms; ratio {rate / raw_rate:.3f}")
    return {f"{mode}_ingest_s": rounded(seconds), f"{mode}_releases_per_s": rounded(rate, 1),
            f"{mode}_p50_batch_ms": rounded(percentile(latencies, 50), 1), f"{mode}_p99_batch_ms": rounded(percentile(latencies, 99), 1),
            f"{mode}_ratio": rounded(rate / raw_rate), f"{mode}_verified": not problems, f"{mode}_problems": problems}


def _measure_http(root: Path, base: str, kind: str, chunks: list[dict[str, Any]], count: int, raw_rate: float, out: Out) -> dict[str, Any]:
    with fresh_hub(base, kind, root, "http") as hub:
        register(hub, PlatformKeys(root / "platform-keys").pair("signing", "intl"))
        seconds, latencies, results = time_http(hub, chunks)
        problems = check(hub, results, count)
    rate = count / seconds
    out(f"http {seconds:.2f} s ({rate:.0f} releases/s), batch p99 {percentile(latencies, 99):.1f} ms")
    return {"http_s": rounded(seconds), "http_releases_per_s": rounded(rate, 1), "http_p99_batch_ms": rounded(percentile(latencies, 99), 1),
            "http_ratio": rounded(rate / raw_rate), "http_verified": not problems, "http_problems": problems}


def _print_profile(profiler: cProfile.Profile, out: Out) -> None:
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
    out(text.getvalue())

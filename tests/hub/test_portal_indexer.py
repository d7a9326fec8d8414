"""The portal indexer follows the commit-ordered feed (on SQLite and PostgreSQL): it catches
up after a burst, resumes after a stop or a crash without duplicates or gaps, indexes a
release committed late, and runs in the hub app's lifespan."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hub_support import PLATFORM, client_for, hold_first_at, release

from tenderhub.crypto import keys
from tenderhub.hub import tables
from tenderhub.hub.batch import ingest_many
from tenderhub.hub.context import Hub
from tenderhub.hub.ingest import ingest
from tenderhub.hub.portal import announcements, indexer
from tenderhub.hub.portal.store import procedures
from tenderhub.hub.protocol import envelope
from tenderhub.hub.search import get
from tenderhub.hub.search.schema import announcements as index_rows


def notice(n: int) -> dict[str, Any]:
    """The tender notice of procedure ``n``: one announcement ``{id}#tender_notice``."""
    return release(0, ocid=f"ocds-thxxxx-T2025-{n:04d}", title=f"道路改造工程{n}")


def burst(hub: Hub, pair: keys.KeyPair, numbers: range) -> list[str]:
    results = ingest_many(hub, [envelope(PLATFORM, pair, notice(n)) for n in numbers])
    assert {r["status"] for r in results} == {"created"}
    return [str(r["release_id"]) for r in results]


def indexed(hub: Hub) -> list[str]:
    with hub.engine.connect() as conn:
        return sorted(conn.execute(sa.select(index_rows.c.uid)).scalars())


def summaries(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(procedures)).scalar_one())


def feed_head(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(sa.select(tables.feed_head.c.last)).scalar_one())


def test_ingest_indexes_nothing_and_catch_up_indexes_a_burst_once(hub: Hub, pair: keys.KeyPair) -> None:
    single = ingest(hub, envelope(PLATFORM, pair, notice(30))).receipt["receipt"]["release_id"]
    ids = [*burst(hub, pair, range(30)), str(single)]
    assert indexed(hub) == [] and indexer.position(hub) == 0
    done = indexer.catch_up(hub, limit=7)
    assert done == {"releases": 31, "announcements": 31, "position": feed_head(hub)}
    assert indexed(hub) == sorted(f"{rid}#tender_notice" for rid in ids)
    assert indexer.catch_up(hub) == {"releases": 0, "announcements": 0, "position": 31}


def test_an_indexer_stopped_between_batches_resumes_without_duplicates_or_gaps(hub: Hub, pair: keys.KeyPair) -> None:
    ids = burst(hub, pair, range(20))
    first = indexer.index_next(hub, limit=6)
    assert (first.releases, first.position) == (6, 6) and indexer.position(hub) == 6
    # a new indexer (another process after a restart) starts from the stored cursor
    assert indexer.catch_up(hub, limit=6)["releases"] == 14
    assert indexed(hub) == sorted(f"{rid}#tender_notice" for rid in ids) and summaries(hub) == 20


def test_an_indexer_killed_inside_a_batch_leaves_neither_rows_nor_a_moved_cursor(hub: Hub, pair: keys.KeyPair,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ids = burst(hub, pair, range(12))
    indexer.index_next(hub, limit=4)
    real, calls = announcements.publish, {"n": 0}

    def dies_on_the_third(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")
        return real(*args)

    monkeypatch.setattr(announcements, "publish", dies_on_the_third)
    with pytest.raises(RuntimeError, match="killed"):
        indexer.index_next(hub, limit=4)
    assert indexer.position(hub) == 4 and len(indexed(hub)) == 4 and summaries(hub) == 4
    monkeypatch.setattr(announcements, "publish", real)
    assert indexer.catch_up(hub, limit=4)["releases"] == 8
    assert indexed(hub) == sorted(f"{rid}#tender_notice" for rid in ids) and summaries(hub) == 12


def test_a_release_committed_late_is_indexed(hub: Hub, pair: keys.KeyPair) -> None:
    late, early = notice(1), notice(2)
    stage = "started" if hub.engine.dialect.name == "sqlite" else "written"
    hub.pause, reached, go = hold_first_at(stage, late["id"])
    slow = threading.Thread(target=ingest, args=(hub, envelope(PLATFORM, pair, late)))
    slow.start()
    assert reached.wait(20)
    ingest(hub, envelope(PLATFORM, pair, early))
    assert indexer.catch_up(hub)["releases"] == 1 and indexed(hub) == [f"{early['id']}#tender_notice"]
    go.set()
    slow.join(20)
    assert indexer.catch_up(hub)["releases"] == 1
    assert indexed(hub) == sorted([f"{early['id']}#tender_notice", f"{late['id']}#tender_notice"])


def wait_for(condition: Any) -> bool:
    """Poll ``condition`` (at most 30 s: a bound on the wait, not an assertion on time)."""
    pause = threading.Event()
    for _ in range(300):
        if condition():
            return True
        pause.wait(0.1)
    return bool(condition())


def test_two_background_indexers_index_every_release_exactly_once(hub: Hub, pair: keys.KeyPair) -> None:
    workers = [indexer.PortalIndexer(hub, idle=0.05) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        ids = burst(hub, pair, range(40)) + burst(hub, pair, range(40, 60))
        assert wait_for(lambda: indexer.position(hub) == feed_head(hub) == 60)
    finally:
        for worker in workers:
            worker.stop()
    assert indexed(hub) == sorted(f"{rid}#tender_notice" for rid in ids) and summaries(hub) == 60


def test_the_hub_app_runs_the_indexer_while_it_runs(hub: Hub, pair: keys.KeyPair) -> None:
    with client_for(hub) as client:
        answer = client.post("/hub/releases", json=envelope(PLATFORM, pair, notice(7)))
        assert answer.status_code == 201
        uid = f"{notice(7)['id']}#tender_notice"
        assert wait_for(lambda: client.get(f"/portal/announcements/{quote(uid, safe='')}").status_code == 200)
    with hub.engine.connect() as conn:
        found = get(conn, uid)
    assert found is not None and found.title.startswith("道路改造工程7")

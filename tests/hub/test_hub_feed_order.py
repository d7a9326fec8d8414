"""The changes feed never skips a late commit (on SQLite and PostgreSQL, real connections).

The hazard (ProZorro's feed_ordering analysis): a transaction that starts first but commits
last. If its feed position were fixed when it started or wrote, a reader polling in between
would move its cursor past it and never see it. The hub hands out positions at commit time.
"""

from __future__ import annotations

import threading

from hub_support import PLATFORM, Reader, hold_first_at, release

from tenderhub.crypto import keys
from tenderhub.hub.context import Hub
from tenderhub.hub.ingest import ingest
from tenderhub.hub.protocol import envelope


def test_a_transaction_started_first_and_committed_last_still_reaches_a_polling_reader(hub: Hub, pair: keys.KeyPair) -> None:
    first, second = release(1), release(2)
    # PostgreSQL: the first has already written its release row when the second commits.
    # SQLite allows one writer at a time: the first holds an open read transaction instead.
    stage = "started" if hub.engine.dialect.name == "sqlite" else "written"
    hub.pause, reached, go = hold_first_at(stage, first["id"])
    reader = Reader(hub)
    slow = threading.Thread(target=ingest, args=(hub, envelope(PLATFORM, pair, first)))
    slow.start()
    assert reached.wait(20)
    ingest(hub, envelope(PLATFORM, pair, second))
    assert reader.poll() == [second["id"]]
    go.set()
    slow.join(20)
    assert reader.poll() == [first["id"]]
    assert reader.poll() == []
    assert [p for p, _ in reader.seen] == [1, 2]


def test_a_reader_polling_during_concurrent_ingests_sees_every_release_once_in_order(hub: Hub, pair: keys.KeyPair) -> None:
    threads, per_thread = 4, 8
    expected = {release(t * 100 + n)["id"] for t in range(threads) for n in range(per_thread)}

    def work(t: int) -> None:
        for n in range(per_thread):
            ingest(hub, envelope(PLATFORM, pair, release(t * 100 + n)))

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    reader = Reader(hub)
    reader.follow(workers)
    positions = [p for p, _ in reader.seen]
    assert positions == list(range(1, len(expected) + 1))
    assert {rid for _, rid in reader.seen} == expected

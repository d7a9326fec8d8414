"""A batch keeps the feed in commit order (ADR 0008), against single ingests and other
batches on real connections (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

from hub_support import PLATFORM, Reader, hold_first_at, release

from tenderhub.crypto import keys
from tenderhub.hub.batch import ingest_many
from tenderhub.hub.context import Hub
from tenderhub.hub.ingest import ingest
from tenderhub.hub.protocol import envelope


def test_a_batch_started_first_and_committed_last_still_reaches_a_polling_reader(hub: Hub, pair: keys.KeyPair) -> None:
    batch = [envelope(PLATFORM, pair, release(n)) for n in range(1, 21)]
    stage = "started" if hub.engine.dialect.name == "sqlite" else "written"
    hub.pause, reached, go = hold_first_at(stage, release(20)["id"])
    reader = Reader(hub)
    slow = threading.Thread(target=ingest_many, args=(hub, batch))
    slow.start()
    assert reached.wait(20)
    if hub.engine.dialect.name == "sqlite":  # the batch holds the write lock: the single one waits
        single = threading.Thread(target=ingest, args=(hub, envelope(PLATFORM, pair, release(50))))
        single.start()
        assert reader.poll() == []
        go.set()
        slow.join(20)
        single.join(20)
        assert reader.poll() == [release(n)["id"] for n in range(1, 21)] + [release(50)["id"]]
    else:  # PostgreSQL: the batch has written its rows; the single one commits first
        ingest(hub, envelope(PLATFORM, pair, release(50)))
        assert reader.poll() == [release(50)["id"]]
        go.set()
        slow.join(20)
        assert reader.poll() == [release(n)["id"] for n in range(1, 21)]
    assert [p for p, _ in reader.seen] == list(range(1, 22))


def test_concurrent_batches_and_a_polling_reader_see_every_release_once_in_order(hub: Hub, pair: keys.KeyPair) -> None:
    threads, batches, size = 3, 4, 25
    expected = {release(t * 1000 + b * 100 + n)["id"] for t in range(threads) for b in range(batches) for n in range(size)}

    def work(t: int) -> None:
        for b in range(batches):
            ingest_many(hub, [envelope(PLATFORM, pair, release(t * 1000 + b * 100 + n)) for n in range(size)])

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    reader = Reader(hub)
    reader.follow(workers)
    assert [p for p, _ in reader.seen] == list(range(1, len(expected) + 1))
    assert {rid for _, rid in reader.seen} == expected

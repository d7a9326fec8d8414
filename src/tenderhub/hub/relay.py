"""The trading platform's outbox relay: public changes leave as signed OCDS releases.

Every change writes outbox rows in its own transaction (``db/uow.py``). The relay reads the
pending rows oldest first and, for a row whose tag is a public stage (``PUBLIC_TAGS``),
maps the tender with ``exchange.ocds.mapping.releases_for`` and sends **only the releases
the hub has not acknowledged yet**: those whose (id, canonical digest) is not in ``acks``.
They are posted together to ``POST /hub/releases:batch`` (at most ``protocol.MAX_BATCH`` per
request, in mapping order), **batch-signed** by default (ADR 0013: one platform signature
over the Merkle root of the releases' digests, ``batchsig.sign_releases``; the hub answers
with one signature over the root of its receipts); ``signing="release"`` signs each release
alone, as before. Each ``created`` or ``repeat`` outcome carries the hub's receipt; given the
hub's key (``hub_key``, as ``membership`` and ``embedded`` do), the relay checks it (either
form, ``batchsig.verify_receipt``) and that it names the release, its ocid, this platform
and the digest sent: a receipt that does not verify is not acknowledged (``Refused``). An
acknowledged release is recorded in ``acks``; a row is marked sent when every release of it
is acknowledged. A row whose releases are all acknowledged already is
marked sent without a request.

A transport error or a 5xx/429 marks the row failed (``attempts`` + 1) and stops the batch,
so releases keep their order; ``run`` then backs off exponentially and retries. A refused
release (invalid, release id reused) marks the row failed and the relay goes on with the
next one; the row stays pending for an operator to look at (its acknowledged releases are
not sent again). Rows with non-public tags are marked sent without sending anything.

Exactly once: the hub is idempotent by (ocid, release id), so when an answer is lost the releases
are sent again and get the same receipts (``repeat``); nothing is duplicated. ``acks`` only
saves requests: ``MemoryAcks`` forgets on restart (the first rows after it may resend
releases the hub already has, answered ``repeat``), ``FileAcks(DATA_DIR/hub-acks.jsonl)``
keeps them across restarts (one line per acknowledged release, appended and fsynced after
each answer; a torn last line is ignored).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from tenderhub.core.shared.clock import Clock, SystemClock
from tenderhub.core.shared.errors import NotFound
from tenderhub.core.shared.events import TAGS
from tenderhub.crypto.keys import KeyPair
from tenderhub.db.repositories.outbox import OutboxMessage
from tenderhub.exchange.ocds.mapping import MappingOptions, releases_for
from tenderhub.hub import batchsig, protocol

log = logging.getLogger("tenderhub.hub.relay")

PUBLIC_TAGS: frozenset[str] = frozenset({
    "procedure:tender:published", "procedure:tender:amended", "procedure:clarification:issued",
    "procedure:document:issued", "procedure:deadline:moved", "procedure:lot:failed", "procedure:lot:cancelled",
    "procedure:tender:cancelled", "bids:opening:recorded", "awards:publicity:started", "awards:notice:issued",
    "procedure:lot:awarded", "contracts:contract:signed", "contracts:performance:recorded",
})
assert PUBLIC_TAGS <= TAGS
RELEASES_PATH, BATCH_PATH, MAX_BATCH = protocol.RELEASES_PATH, protocol.BATCH_PATH, protocol.MAX_BATCH
SIGNING = ("batch", "release")

ReleasesOf = Callable[[Any, OutboxMessage], list[dict[str, Any]]]


class Transient(Exception):
    """The hub could not be reached or answered 5xx/429: retry later."""


class Refused(Exception):
    """The hub refused a release for good (4xx): retrying the same bytes cannot help."""


def hub_call(client: httpx.Client, method: str, path: str, **options: Any) -> httpx.Response:
    """One request to a hub; a network error is ``Transient``."""
    try:
        return client.request(method, path, **options)
    except httpx.HTTPError as exc:
        raise Transient(f"{type(exc).__name__}: {exc}") from exc


def raise_if_unavailable(answer: httpx.Response) -> None:
    """5xx, 408 and 429 are ``Transient``: the hub may answer later."""
    if answer.status_code >= 500 or answer.status_code in (408, 429):
        raise Transient(f"HTTP {answer.status_code}")


def hub_answer(answer: httpx.Response) -> dict[str, Any]:
    """The JSON of a 200/201; ``Transient`` (see ``raise_if_unavailable``) or ``Refused`` otherwise."""
    if answer.status_code in (200, 201):
        found: dict[str, Any] = answer.json()
        return found
    raise_if_unavailable(answer)
    raise Refused(f"HTTP {answer.status_code}: {answer.text[:500]}")


class Acks(Protocol):
    """The releases the hub has acknowledged, by (release id, canonical digest)."""

    def known(self, release_id: str, digest: str) -> bool: ...

    def add(self, acked: Iterable[tuple[str, str]]) -> None: ...


class MemoryAcks:
    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    def known(self, release_id: str, digest: str) -> bool:
        return (release_id, digest) in self._seen

    def add(self, acked: Iterable[tuple[str, str]]) -> None:
        self._seen.update(acked)


class FileAcks(MemoryAcks):
    """Acknowledged releases in a JSON-lines file of the platform's data directory."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        if self.path.exists():
            for line in self.path.read_text("utf-8").splitlines():
                self._load(line)

    def _load(self, line: str) -> None:
        try:
            row = json.loads(line)
            self._seen.add((row["id"], row["digest"]))
        except (ValueError, KeyError, TypeError):  # a line torn by a crash: that release is sent again
            log.warning("ignoring a torn line in %s", self.path)

    def add(self, acked: Iterable[tuple[str, str]]) -> None:
        new = [pair for pair in acked if pair not in self._seen]
        if not new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.writelines(json.dumps({"id": rid, "digest": digest}) + "\n" for rid, digest in new)
            f.flush()
            os.fsync(f.fileno())
        super().add(new)


@dataclass
class Backoff:
    base: float = 0.5
    factor: float = 2.0
    ceiling: float = 60.0
    failures: int = 0

    def next_delay(self) -> float:
        self.failures += 1
        return float(min(self.ceiling, self.base * self.factor ** (self.failures - 1)))

    def reset(self) -> None:
        self.failures = 0


@dataclass
class Batch:
    sent: int = 0
    skipped: int = 0
    refused: int = 0
    transient: bool = False
    posts: int = 0  # requests made to the hub
    receipts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.skipped


class TenderReleases:
    """The default ``releases_of``: the tender the row concerns (its key is a tender or a lot
    id), mapped to OCDS; every release of the tender so far (the hub keeps one of each)."""

    def __init__(self, options: MappingOptions | None = None) -> None:
        self.options = options or MappingOptions()
        self._tender_of_lot: dict[str, str] = {}

    def __call__(self, uow: Any, message: OutboxMessage) -> list[dict[str, Any]]:
        return releases_for(self.tender(uow, message.key), self.options)

    def tender(self, uow: Any, key: str) -> Any:
        try:
            return uow.tenders.get(self._tender_of_lot.get(key, key))
        except NotFound:
            for tender in uow.tenders.list(limit=100_000):
                self._tender_of_lot.update({lot.id: tender.id for lot in tender.lots})
            if key not in self._tender_of_lot:
                raise
            return uow.tenders.get(self._tender_of_lot[key])


class Relay:
    def __init__(self, *, uow: Callable[[], Any], client: httpx.Client, platform_id: str, pair: KeyPair,
                 releases_of: ReleasesOf | None = None, clock: Clock | None = None, acks: Acks | None = None,
                 signing: str = "batch", hub_key: bytes | None = None) -> None:
        if signing not in SIGNING:
            raise ValueError(f"signing: one of {SIGNING}, not {signing!r}")
        self.uow, self.client, self.platform_id, self.pair = uow, client, platform_id, pair
        self.signing, self.hub_key = signing, hub_key
        self.releases_of = releases_of or TenderReleases()
        self.clock = clock or SystemClock()
        self.acks: Acks = acks if acks is not None else MemoryAcks()
        self.backoff = Backoff()

    def relay_once(self, limit: int = 100) -> Batch:
        """One batch of pending rows, oldest first."""
        batch = Batch()
        with self.uow() as uow:
            pending = uow.outbox.pending(limit)
            uow.rollback()  # release the read (and, on PostgreSQL, the row locks) before talking HTTP
        for message in pending:
            if not self._one(message, batch):
                break
        return batch

    def _one(self, message: OutboxMessage, batch: Batch) -> bool:
        if message.topic not in PUBLIC_TAGS:
            self._mark(message.id, sent=True)
            batch.skipped += 1
            return True
        try:
            self._deliver(message, batch)
        except Transient as exc:
            log.warning("hub unavailable for outbox row %s: %s", message.id, exc)
            self._mark(message.id, sent=False)
            batch.transient = True
            return False
        except Refused as exc:
            log.error("hub refused outbox row %s: %s", message.id, exc)
            self._mark(message.id, sent=False)
            batch.refused += 1
            return True
        self._mark(message.id, sent=True)
        batch.sent += 1
        return True

    def _deliver(self, message: OutboxMessage, batch: Batch) -> None:
        with self.uow() as uow:
            releases = self.releases_of(uow, message)
        todo = [(r, protocol.digest(r)) for r in releases]
        todo = [(r, d) for r, d in todo if not self.acks.known(r["id"], d)]
        for start in range(0, len(todo), MAX_BATCH):
            chunk = todo[start:start + MAX_BATCH]
            batch.posts += 1
            batch.receipts += self.post_batch(chunk)

    def post_batch(self, chunk: list[tuple[dict[str, Any], str]]) -> list[dict[str, Any]]:
        """Sign and post releases (with their digests) in one request; their receipts, each
        acknowledged one recorded in ``acks``, or ``Transient`` / ``Refused``."""
        releases = [release for release, _ in chunk]
        if self.signing == "batch":
            body = batchsig.sign_releases(self.platform_id, self.pair, releases)
        else:
            body = {"releases": [protocol.envelope(self.platform_id, self.pair, release) for release in releases]}
        results = hub_answer(hub_call(self.client, "POST", BATCH_PATH, json=body))["results"]
        accepted = [(chunk[r["index"]], r["receipt"]) for r in results if r["status"] in ("created", "repeat")]
        forged = [release["id"] for (release, digest), receipt in accepted if not self.receipt_holds(release, digest, receipt)]
        if forged:
            raise Refused(f"the hub's receipts of {', '.join(forged[:5])} do not verify with its key or name other releases")
        self.acks.add((release["id"], digest) for (release, digest), _ in accepted)
        refused = [r for r in results if r["status"] == "refused"]
        if refused:
            raise Refused("; ".join(f"{r['release_id']}: {r['error']['code']} at {r['error']['field']}" for r in refused)[:1000])
        return [receipt for _, receipt in accepted]

    def receipt_holds(self, release: dict[str, Any], digest: str, receipt: Any) -> bool:
        """Without the hub's key: True (nothing to check against)."""
        if self.hub_key is None:
            return True
        body = receipt.get("receipt") if isinstance(receipt, dict) else None
        names = isinstance(body, dict) and (body.get("release_id"), body.get("ocid"), body.get("platform_id"), body.get("digest")) == (
            release["id"], release["ocid"], self.platform_id, f"sha256:{digest}")
        return bool(names) and batchsig.verify_receipt(self.hub_key, receipt)

    def post(self, release: dict[str, Any]) -> dict[str, Any]:
        """Sign and post one release to ``POST /hub/releases``; the hub's receipt."""
        return hub_answer(hub_call(self.client, "POST", RELEASES_PATH, json=protocol.envelope(self.platform_id, self.pair, release)))


    def _mark(self, message_id: str, *, sent: bool) -> None:
        with self.uow() as uow:
            if sent:
                uow.outbox.mark_sent(message_id, at=self.clock.now())
            else:
                uow.outbox.mark_failed(message_id)
            uow.commit()

    def run(self, stop: threading.Event, *, idle: float = 1.0, sleep: Callable[[float], Any] = time.sleep) -> None:
        """Relay until ``stop`` is set: back off after a failure, wait ``idle`` when caught up."""
        while not stop.is_set():
            batch = self.relay_once()
            if batch.transient:
                sleep(self.backoff.next_delay())
                continue
            self.backoff.reset()
            if batch.sent + batch.skipped == 0:
                sleep(idle)

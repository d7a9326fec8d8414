"""The trading platform's outbox relay: public changes leave as signed OCDS releases.

Every change writes outbox rows in its own transaction (``db/uow.py``). The relay reads the
pending rows oldest first and, for a row whose tag is a public stage (``PUBLIC_TAGS``),
maps the tender with ``exchange.ocds.mapping.releases_for``, signs each release with the
platform's signing key and posts it to ``POST /hub/releases``. A row is marked sent only
when every release of it has a receipt (201 new, 200 already there); the hub is idempotent
by release id, so re-posting after a lost answer never duplicates anything. A transport error
or a 5xx/429 marks the row failed (``attempts`` + 1) and stops the batch, so releases keep
their order; ``run`` then backs off exponentially and retries. A permanent refusal (another
4xx: invalid release, release id reused) marks the row failed and goes on with the next one;
the row stays pending for an operator to look at. Rows with non-public tags are marked sent
without sending anything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tenderhub.core.shared.clock import Clock, SystemClock
from tenderhub.core.shared.errors import NotFound
from tenderhub.core.shared.events import TAGS
from tenderhub.crypto.keys import KeyPair
from tenderhub.db.repositories.outbox import OutboxMessage
from tenderhub.exchange.ocds.mapping import MappingOptions, releases_for
from tenderhub.hub import protocol

log = logging.getLogger("tenderhub.hub.relay")

PUBLIC_TAGS: frozenset[str] = frozenset({
    "procedure:tender:published", "procedure:tender:amended", "procedure:clarification:issued",
    "procedure:document:issued", "procedure:deadline:moved", "procedure:lot:failed", "procedure:lot:cancelled",
    "procedure:tender:cancelled", "bids:opening:recorded", "awards:publicity:started", "awards:notice:issued",
    "procedure:lot:awarded", "contracts:contract:signed", "contracts:performance:recorded",
})
assert PUBLIC_TAGS <= TAGS
RELEASES_PATH = "/hub/releases"

ReleasesOf = Callable[[Any, OutboxMessage], list[dict[str, Any]]]


class Transient(Exception):
    """The hub could not be reached or answered 5xx/429: retry later."""


class Refused(Exception):
    """The hub refused a release for good (4xx): retrying the same bytes cannot help."""


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
                 releases_of: ReleasesOf | None = None, clock: Clock | None = None) -> None:
        self.uow, self.client, self.platform_id, self.pair = uow, client, platform_id, pair
        self.releases_of = releases_of or TenderReleases()
        self.clock = clock or SystemClock()
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
        for release in releases:
            batch.receipts.append(self.post(release))

    def post(self, release: dict[str, Any]) -> dict[str, Any]:
        """Sign and post one release; the hub's receipt, or ``Transient`` / ``Refused``."""
        try:
            answer = self.client.post(RELEASES_PATH, json=protocol.envelope(self.platform_id, self.pair, release))
        except httpx.HTTPError as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from exc
        if answer.status_code in (200, 201):
            receipt: dict[str, Any] = answer.json()
            return receipt
        if answer.status_code >= 500 or answer.status_code in (408, 429):
            raise Transient(f"HTTP {answer.status_code}")
        raise Refused(f"HTTP {answer.status_code} for release {release.get('id')}: {answer.text[:500]}")

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

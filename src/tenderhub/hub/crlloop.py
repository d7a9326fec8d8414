"""``serve --role hub`` fetches the CRLs periodically (``crlpull.fetch_all``), in a daemon thread
that starts and stops with the app, like the forwarder and the portal indexer.

A round fetches every source; the next one comes after ``interval`` seconds (``--crl-fetch-interval``,
default an hour), sooner when a kept CRL's nextUpdate falls before that (``LEAD`` ahead of it, so a
CA that publishes its next CRL ahead of time is caught before the hub fails closed) or when a URL
was refused (``RETRY``), never sooner than ``MIN_WAIT``. Results are logged: stored at info,
refused at warning. The embedded system (``serve`` without ``--role``) does not run it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from tenderhub.hub import crlpull, crls
from tenderhub.hub.context import Hub
from tenderhub.hub.crlfetch import Limits

log = logging.getLogger(__name__)
INTERVAL, LEAD, RETRY, MIN_WAIT = 3600.0, 900.0, 300.0, 60.0


def next_wait(interval: float, next_updates: list[datetime], now: datetime, refused: bool) -> float:
    """Seconds until the next round."""
    wait = min(interval, RETRY) if refused else interval
    for following in next_updates:
        wait = min(wait, (following - now).total_seconds() - LEAD)
    return max(wait, MIN_WAIT)


def one_round(hub: Hub, limits: Limits) -> list[dict[str, Any]]:
    results = crlpull.fetch_all(hub, limits)
    for r in results:
        if r["outcome"] == crlpull.REFUSED:
            log.warning("CRL %s (%s): refused: %s", r["url"], r["issuer"], r["reason"]["en"])
        elif r["outcome"] == crlpull.STORED:
            log.info("CRL %s (%s): stored, next update %s", r["url"], r["issuer"], r["crl"]["next_update"])
    return results


def run(hub: Hub, stop: threading.Event, interval: float, limits: Limits) -> None:
    """Rounds until ``stop`` is set."""
    while not stop.is_set():
        stop.wait(round_and_wait(hub, interval, limits))


def round_and_wait(hub: Hub, interval: float, limits: Limits) -> float:
    """One round, and the seconds until the next; a round that fails (the database away) is retried."""
    try:
        refused = any(r["outcome"] == crlpull.REFUSED for r in one_round(hub, limits))
        following = [datetime.fromisoformat(e["next_update"]) for e in crls.entries(hub) if e["next_update"]]
    except Exception:  # a database hiccup must not end the loop
        log.exception("fetching the CRLs failed; retrying")
        return RETRY
    return next_wait(interval, following, hub.clock.now(), refused)


class CrlFetcher:
    """``run`` in a daemon thread, from ``start()`` to ``stop()``."""

    def __init__(self, hub: Hub, interval: float = INTERVAL, limits: Limits = Limits()) -> None:
        self.hub, self.interval, self.limits = hub, interval, limits
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=run, args=(self.hub, self._stop, self.interval, self.limits),
                                        name="hub-crl-fetcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.limits.timeout * 2)

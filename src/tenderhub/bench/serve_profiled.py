"""``python -m tenderhub.bench.serve_profiled OUT.prof serve ARGS…``: ``tenderhub serve`` under
cProfile in *every* thread (the API's synchronous routes run in a thread pool, which
``python -m cProfile`` does not see), timed by each thread's CPU clock (waiting for a lock, the
GIL or the disk does not count). On a normal exit (SIGTERM, as ``deadline-surge
--profile`` stops it) the per-thread profiles are merged into OUT.prof (``pstats``).
One worker process only: ``--workers`` > 1 forks processes this does not follow.
"""

from __future__ import annotations

import cProfile
import pstats
import signal
import sys
import threading
import time
from typing import Any

PROFILES: list[cProfile.Profile] = []


def profiled_threads() -> None:
    """Every thread started from now on gets a profiler of its own, enabled on its first
    event (``threading.setprofile``: subclasses that override ``run``, like the thread pool's
    workers, are covered too)."""

    def start(_frame: Any, _event: str, _arg: Any) -> None:
        sys.setprofile(None)
        profile = cProfile.Profile(time.thread_time)
        PROFILES.append(profile)
        profile.enable()

    threading.setprofile(start)


def dump(out: str) -> None:
    stats: Any = None
    for profile in PROFILES:
        stats = pstats.Stats(profile) if stats is None else stats.add(profile)
    if stats is not None:
        stats.dump_stats(out)


def main(argv: list[str]) -> int:
    from tenderhub.cli import main as cli

    out, rest = argv[0], argv[1:]
    # uvicorn re-raises the SIGTERM it handled once it has shut down: exit normally instead,
    # so that the profiles are written
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    profiled_threads()
    main_thread = cProfile.Profile(time.thread_time)
    PROFILES.append(main_thread)
    main_thread.enable()
    try:
        return cli(rest)
    finally:
        main_thread.disable()
        dump(out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

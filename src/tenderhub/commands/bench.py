"""``tenderhub bench NAME [options]``: benchmarks that print what they measured and, as the last
line, one JSON object with the figures, the raw limit of the same run and ``ratio``.

    tenderhub bench opening [--bids 200] [--size-mb 4] [--suite intl|gm] [--profile]
    tenderhub bench deadline-surge [--bidders 200] [--size-mb 1] [--concurrency 16] [--kill]
    tenderhub bench portal-search [--rows 1000000] [--db URL] [--queries 200]

See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subs: Any) -> None:
    bench = subs.add_parser("bench", help="benchmarks against the raw limit of the same run (docs/benchmarks.md)")
    names = bench.add_subparsers(dest="bench", required=True)
    opening = names.add_parser("opening", help="decrypting every sealed bid at the opening vs. raw decrypt + hash + fsync")
    opening.add_argument("--bids", type=int, default=200, help="number of sealed bids (default 200)")
    opening.add_argument("--size-mb", type=float, default=4, help="size of each bid in MB (default 4)")
    opening.add_argument("--suite", choices=("intl", "gm"), default="intl", help="crypto suite (default intl)")
    opening.add_argument("--profile", action="store_true", help="cProfile the opening and print the top functions")
    opening.set_defaults(handler=run_opening)
    surge = names.add_parser("deadline-surge", help="concurrent sealed uploads over HTTP just before the deadline")
    surge.add_argument("--bidders", type=int, default=200, help="number of bidders (default 200)")
    surge.add_argument("--size-mb", type=float, default=1, help="size of each bid in MB (default 1)")
    surge.add_argument("--concurrency", type=int, default=16, help="uploads in flight at once (default 16)")
    surge.add_argument("--chunk-kb", type=int, default=512, help="bytes per PUT in KiB (default 512)")
    surge.add_argument("--kill", action="store_true", help="SIGKILL the server midway, restart it, let the clients retry")
    surge.add_argument("--deadline-s", type=int, default=300, help="the tender deadline, seconds after the set-up (default 300)")
    surge.set_defaults(handler=run_surge)
    portal = names.add_parser("portal-search", help="hub portal full-text search vs. primary-key lookups (docs/portal-search.md)")
    portal.add_argument("--rows", type=int, default=1_000_000, help="announcements to generate (default 1000000)")
    portal.add_argument("--db", default=None, help="database URL (default: a scratch SQLite file; PostgreSQL: a schema of its own)")
    portal.add_argument("--queries", type=int, default=200, help="searches in the timed mix (default 200)")
    portal.set_defaults(handler=run_portal_search)


def run_opening(args: argparse.Namespace) -> int:
    from tenderhub.bench import opening

    opening.run(args.bids, args.size_mb, args.suite, profile=args.profile)
    return 0


def run_surge(args: argparse.Namespace) -> int:
    from tenderhub.bench import surge

    result = surge.run(args.bidders, args.size_mb, concurrency=args.concurrency, chunk=args.chunk_kb * 1024,
                       kill=args.kill, deadline_s=args.deadline_s)
    return 0 if result["lost"] == 0 else 1


def run_portal_search(args: argparse.Namespace) -> int:
    from tenderhub.bench import portal_search

    portal_search.run(args.rows, args.db, queries=args.queries)
    return 0

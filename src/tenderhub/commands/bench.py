"""``tenderhub bench NAME [options]``: benchmarks that print what they measured and, as the last
line, one JSON object with the figures, the raw limit of the same run and ``ratio``.

    tenderhub bench opening [--bids 200] [--size-mb 4] [--suite intl|gm] [--profile]
    tenderhub bench deadline-surge [--bidders 200] [--size-mb 1] [--concurrency 16] [--workers 2] [--[no-]pin-cpus] [--chunk-kb 8192] [--kill] [--profile FILE]
    tenderhub bench portal-search [--rows 1000000] [--db URL] [--queries 200]
    tenderhub bench hub-ingest [--releases 100000] [--db URL] [--batch 500] [--signing batch|release|both] [--http] [--profile] [--no-index]

See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
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
    surge.add_argument("--chunk-kb", type=int, default=8192,
                       help="bytes per request in KiB; the last chunk goes with the finish (default 8192, the server's maximum: a package that fits takes 2 requests)")
    surge.add_argument("--workers", type=int, default=2, help="server processes, serve --workers (default 2: one per core, docs/benchmarks.md tenth pass)")
    surge.add_argument("--pin-cpus", action=argparse.BooleanOptionalAction, default=True,
                       help="serve --pin-cpus: each server process on a CPU of its own (default on; ADR 0032)")
    surge.add_argument("--profile", type=Path, default=None, help="cProfile the server (every thread) into this file; with --workers 1 (a supervisor of workers is not the server)")
    surge.add_argument("--requests", type=int, choices=(1, 2), default=1,
                       help="requests per bid for a package that fits a chunk: 1 (POST …/sealed-bids, default) or 2 (begin + finish)")
    surge.add_argument("--http", choices=("auto", "h11", "httptools"), default="auto", help="the server's HTTP parser (serve --http; default auto)")
    surge.add_argument("--kill", action="store_true", help="SIGKILL the server midway, restart it, let the clients retry")
    surge.add_argument("--deadline-s", type=int, default=300, help="the tender deadline, seconds after the set-up (default 300)")
    surge.set_defaults(handler=run_surge)
    portal = names.add_parser("portal-search", help="hub portal full-text search vs. primary-key lookups (docs/portal-search.md)")
    portal.add_argument("--rows", type=int, default=1_000_000, help="announcements to generate (default 1000000)")
    portal.add_argument("--db", default=None, help="database URL (default: a scratch SQLite file; PostgreSQL: a schema of its own)")
    portal.add_argument("--queries", type=int, default=200, help="searches in the timed mix (default 200)")
    portal.set_defaults(handler=run_portal_search)
    add_hub_ingest(names)


def add_hub_ingest(names: Any) -> None:
    hub = names.add_parser("hub-ingest", help="hub batch ingest of signed OCDS releases vs. a bulk insert of the same rows")
    hub.add_argument("--releases", type=int, default=100_000, help="signed releases to ingest (default 100000)")
    hub.add_argument("--db", default=None, help="database URL (default: a scratch SQLite file; PostgreSQL: a schema of its own)")
    hub.add_argument("--batch", type=int, default=1000,
                     help="releases per request, at most 1000 (default 1000: what the relay sends when it has a backlog)")
    hub.add_argument("--signing", choices=("batch", "release", "both"), default="batch",
                     help="batch: one platform signature per request and one hub signature per answer (the relay's way, default); "
                          "release: one signature per release and per receipt (old clients); both: each on a fresh hub")
    hub.add_argument("--http", action="store_true", help="also through POST /hub/releases:batch (app in process)")
    hub.add_argument("--profile", action="store_true", help="cProfile the ingest and print the top functions")
    hub.add_argument("--no-index", dest="index", action="store_false", help="do not time the portal indexer after the ingest (paired runs)")
    hub.set_defaults(handler=run_hub_ingest)


def run_opening(args: argparse.Namespace) -> int:
    from tenderhub.bench import opening

    opening.run(args.bids, args.size_mb, args.suite, profile=args.profile)
    return 0


def run_surge(args: argparse.Namespace) -> int:
    from tenderhub.bench import surge

    result = surge.run(args.bidders, args.size_mb, concurrency=args.concurrency, chunk=args.chunk_kb * 1024,
                       kill=args.kill, deadline_s=args.deadline_s, workers=args.workers, profile=args.profile,
                       requests=args.requests, http=args.http, pin=args.pin_cpus)
    return 0 if result["lost"] == 0 else 1


def run_portal_search(args: argparse.Namespace) -> int:
    from tenderhub.bench import portal_search

    portal_search.run(args.rows, args.db, queries=args.queries)
    return 0


def run_hub_ingest(args: argparse.Namespace) -> int:
    from tenderhub.bench import hub_ingest

    result = hub_ingest.run(args.releases, args.db, batch=args.batch, http=args.http, profile=args.profile, signing=args.signing, index=args.index)
    return 0 if result["verified"] and result.get("http_verified", True) else 1

"""``tenderhub calendar load FILE`` / ``show YEAR``: the legal working-day calendar."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from tenderhub.bootstrap import build
from tenderhub.services.calendar import load_notice
from tenderhub.services.subjects import create_operator
from tenderhub.settings import Settings


def add_parser(subs: Any) -> None:
    cal = subs.add_parser("calendar", help="the legal working-day calendar")
    inner = cal.add_subparsers(dest="calendar_command", required=True)
    load = inner.add_parser("load", help="load a State Council holiday notice (JSON) and recompute provisional deadlines")
    load.add_argument("file")
    load.add_argument("--data-dir")
    load.add_argument("--db")
    load.set_defaults(handler=run_load)
    show = inner.add_parser("show", help="list the non-working weekdays and working weekends of a year")
    show.add_argument("year", type=int)
    show.add_argument("--data-dir")
    show.add_argument("--db")
    show.set_defaults(handler=run_show)


def run_load(args: argparse.Namespace) -> int:
    platform = build(Settings.load(data_dir=args.data_dir, db_url=args.db))
    svc = platform.services
    result = load_notice(svc, create_operator(svc), json.loads(Path(args.file).read_text(encoding="utf-8")))
    Console().print(f"{result['year']}: {result['source']} — {result['deadlines_changed']} deadlines recomputed")
    return 0


def run_show(args: argparse.Namespace) -> int:
    platform = build(Settings.load(data_dir=args.data_dir, db_url=args.db))
    calendar = platform.services.calendar
    day, console = date(args.year, 1, 1), Console()
    status = "official" if calendar.is_official(args.year) else "provisional (statutory holidays only)"
    console.print(f"{args.year}: {status}")
    while day.year == args.year:
        weekend = day.weekday() >= 5
        if calendar.is_working_day(day) == weekend:
            console.print(f"  {day.isoformat()} {'working weekend' if weekend else 'holiday'}")
        day += timedelta(days=1)
    return 0

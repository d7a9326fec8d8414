"""``tenderhub scenario run FILE...``: run declarative scenarios, one line per step."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.markup import escape

from tenderhub.scenarios.runner import ScenarioError, run_file, show_time


def add_parser(subs: Any) -> None:
    scenario = subs.add_parser("scenario", help="declarative procurement scenarios")
    inner = scenario.add_subparsers(dest="scenario_command", required=True)
    run = inner.add_parser("run", help="run scenario files on a fresh embedded system")
    run.add_argument("files", nargs="+", metavar="FILE")
    run.add_argument("--db", help="database URL (default: a fresh SQLite file per scenario)")
    run.set_defaults(handler=run_all)


def run_all(args: argparse.Namespace) -> int:
    console = Console(highlight=False)
    failed = 0
    for path in args.files:
        failed += 0 if run_one(console, path, args.db) else 1
    console.print(f"{len(args.files) - failed} scenarios passed, {failed} failed")
    return 1 if failed else 0


def run_one(console: Console, path: str, db: str | None) -> bool:
    try:
        data, results = run_file(path, db_url=db)
    except ScenarioError as error:
        console.print(f"[red]✗ {escape(path)}: {escape(str(error))}[/red]")
        return False
    console.print(f"[bold]{escape(str(data.get('name', path)))}[/bold] ({escape(path)})")
    for r in results:
        mark = "[green]✓[/green]" if r.ok else "[red]✗[/red]"
        detail = f" — {r.detail}" if r.detail else ""
        console.print(f"  {mark} {r.index:>3} {show_time(r.at)} {escape(r.actor)} {r.action}: {escape(r.outcome)}{escape(detail)}")
    return all(r.ok for r in results)

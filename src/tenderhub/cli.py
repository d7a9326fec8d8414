"""``tenderhub``: the command-line contract (documented in docs/cli.md; keep it stable).

    tenderhub demo [--data-dir DIR] [--json]
    tenderhub serve [--data-dir DIR] [--port N] [--db URL]
    tenderhub scenario run FILE...
    tenderhub rules list [--json] [--regime works|gp]
    tenderhub calendar load FILE [--data-dir DIR]
    tenderhub calendar show YEAR
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

COMMANDS = ("demo", "serve", "scenario", "rules", "calendar", "audit", "ca", "verify", "bidder", "bench", "documents", "export", "certify", "hub")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="tenderhub", description="Electronic tendering: trading platform, hub and supervision")
    root.add_argument("--version", action="version", version=version())
    subs = root.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        import_module(f"tenderhub.commands.{name}").add_parser(subs)
    return root


def version() -> str:
    from tenderhub import __version__

    return f"tenderhub {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

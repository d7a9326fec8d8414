"""``tenderhub certify --platform URL [--hub-key KEY] [--hub URL] [--deadline S] [--out FILE] [--json]``.

Runs the exchange conformance suite (``tenderhub.conformance``, docs/conformance.md) against a
trading platform over HTTP and prints one line per check: pass/fail/skip, why, and the spec
section. Exit 0 only when every check passed; 1 otherwise; 2 when the platform cannot be
reached or the key cannot be read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import httpx

from tenderhub.conformance.kit import KeyFileError, certify, load_pair


def add_parser(subs: Any) -> None:
    cmd = subs.add_parser("certify", help="run the exchange conformance suite against a trading platform")
    cmd.add_argument("--platform", required=True, help="the platform's base URL, e.g. http://127.0.0.1:8081")
    cmd.add_argument("--hub-key", help="a private key the platform trusts for instructions: PEM file or key directory (DATA_DIR/hub-keys)")
    cmd.add_argument("--hub", help="the hub the platform relays to: also check it holds every release")
    cmd.add_argument("--deadline", type=float, default=10.0, help="seconds within which an instruction must be acknowledged (default 10)")
    cmd.add_argument("--out", help="write the report as JSON to this file")
    cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    cmd.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        pair = load_pair(Path(args.hub_key)) if args.hub_key else None
    except KeyFileError as exc:
        print(f"--hub-key: {exc}")
        return 2
    timeout = max(30.0, args.deadline * 2)
    with httpx.Client(base_url=args.platform, timeout=timeout) as client, \
            httpx.Client(base_url=args.hub or "http://hub.invalid", timeout=timeout) as hub:
        try:
            client.get("/healthz").raise_for_status()
        except httpx.HTTPError as exc:
            print(f"the platform at {args.platform} cannot be reached: {exc}")
            return 2
        report = certify(client, hub_pair=pair, hub=hub if args.hub else None, deadline=args.deadline)
    facts = report.as_dict()
    if args.out:
        Path(args.out).write_text(json.dumps(facts, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(facts, ensure_ascii=False, indent=2) if args.json else "\n".join(report.lines()))
    return 0 if report.passed else 1

"""What both benchmarks share: a scratch directory, a platform on it, bidders, sealing,
timing, fsync'd writes, and the one JSON line every benchmark ends with."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tenderhub.bootstrap import Platform, build
from tenderhub.core.shared.clock import BEIJING, Clock
from tenderhub.core.shared.days import local_date, next_working_day
from tenderhub.core.shared.ids import uscc_check_char
from tenderhub.core.shared.roles import PUBLIC, Actor
from tenderhub.crypto import keys
from tenderhub.crypto.keys import KeyPair
from tenderhub.crypto.machine import fingerprint
from tenderhub.crypto.sealing import seal_package
from tenderhub.services import bids, subjects, tenders
from tenderhub.settings import Settings

MB = 1 << 20
Out = Callable[[str], None]


def say(text: str) -> None:
    print(text, flush=True)


def finish(out: Out, result: dict[str, Any]) -> dict[str, Any]:
    """Print the figures as the last line: one JSON object."""
    out(json.dumps(result, sort_keys=True, ensure_ascii=False))
    return result


@contextmanager
def scratch(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A fresh directory under the system temp dir (/tmp), removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix=f"tenderhub-bench-{prefix}-"))
    try:
        yield root
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


@contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t[0]`` holds the seconds taken."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def platform_on(data_dir: Path, clock: Clock | None = None) -> Platform:
    """The platform as ``tenderhub serve`` builds it, on SQLite in ``data_dir`` (never the
    database a ``TENDERHUB_DB_URL`` in the environment may name)."""
    url = f"sqlite:///{(data_dir / 'trading.db').resolve()}"
    return build(Settings.load(data_dir=data_dir, db_url=url, allow_unsealed=False), clock=clock)


def uscc(n: int) -> str:
    body = f"91110105MA{n:07d}"
    return body + uscc_check_char(body)


def subject(platform: Platform, alias: str, kind: str, n: int) -> tuple[Actor, str]:
    """Register a subject through the use case; its actor and API token."""
    svc = platform.services
    made = subjects.register_subject(svc, PUBLIC, {"uscc": uscc(n), "name": f"{alias} 有限公司", "kind": kind, "user_id": alias})
    return subjects.actor_for_token(svc, made["token"]), str(made["token"])


def working_deadline(platform: Platform, after: datetime, days: int) -> datetime:
    """09:30 Beijing on the first working day at least ``days`` days after ``after``."""
    day, _ = next_working_day(platform.services.calendar, local_date(after + timedelta(days=days)))
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=BEIJING)


def published_tender(platform: Platform, tenderer: Actor, deadline: datetime) -> tuple[str, str]:
    """A works tender with one envelope-sealed lot, created and published by the use cases at
    the platform clock's current time (which must allow ``deadline``)."""
    svc = platform.services
    body = {"regime": "works", "title": "基准测试道路工程", "sealing": "envelope",
            "lots": [{"title": "标段1", "category": "works", "estimated_price": 10000000,
                      "deadline": deadline.isoformat()}]}
    made = tenders.create_tender(svc, tenderer, body)
    sale_end = working_deadline(platform, svc.clock.now(), 8).date()
    tenders.publish(svc, tenderer, made["id"], {"doc_sale_end": sale_end.isoformat()})
    return str(made["id"]), str(made["lots"][0]["code"])


def register_bidder(platform: Platform, tender_id: str, lot: str, n: int) -> tuple[Actor, str]:
    actor, token = subject(platform, f"bidder{n:04d}", "bidder", 1000 + n)
    bids.register(platform.services, actor, tender_id, {"lot": lot})
    return actor, token


@dataclass
class SealedFile:
    pair: KeyPair
    path: Path
    summary: dict[str, Any]
    sha256: str


def seal_random(folder: Path, suite: str, size: int, price: str, created_at: datetime) -> SealedFile:
    """A bidder seals one document of ``size`` random bytes (its own key, the real tool)."""
    pair = keys.generate(suite)
    folder.mkdir(parents=True, exist_ok=True)
    document = folder / "技术标.bin"
    write_random(document, size)
    out = folder / "bid.sealed"
    summary = seal_package(suite, pair.private_pem, [document], {"price": price, "period_days": 180, "security_amount": "0"},
                           out, created_at=created_at, machine=fingerprint(), tool_version="bench")
    document.unlink()
    return SealedFile(pair, out, summary, sha256_file(out))


def write_random(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        left = size
        while left > 0:
            f.write(os.urandom(min(left, 4 * MB)))
            left -= 4 * MB


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(4 * MB):
            h.update(block)
    return h.hexdigest()


def write_fsynced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def raw_files_and_rows(folder: Path, k: int, size: int, write: Callable[[Path, bytes], None] = write_fsynced) -> float:
    """The deadline surge's raw limit (seconds): K x (write ``size`` bytes + fsync with ``write``,
    insert and commit one SQLite row), one process, with the platform's durability (ADR 0016)."""
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / "raw.db", isolation_level=None)
    try:
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"):  # what the platform's commits pay (ADR 0016)
            db.execute(pragma)
        db.execute("CREATE TABLE bids (id INTEGER PRIMARY KEY, path TEXT, size INTEGER)")
        payloads = [os.urandom(size) for _ in range(min(k, 8))]
        with timed() as took:
            for n in range(k):
                path = folder / f"bid-{n}"
                write(path, payloads[n % len(payloads)])
                db.execute("BEGIN")
                db.execute("INSERT INTO bids (id, path, size) VALUES (?, ?, ?)", (n, str(path), size))
                db.execute("COMMIT")
        return took[0]
    finally:
        db.close()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def rounded(value: float, digits: int = 3) -> float:
    return round(value, digits)


def group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of a process group
    (a server and its workers), read from ``/proc``; 0 where ``/proc`` is missing."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, …, utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / tick

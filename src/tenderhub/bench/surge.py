"""``tenderhub bench deadline-surge``: K bidders upload sealed bids over HTTP, concurrently, in
the last minutes before a tender's deadline, to a real ``tenderhub serve`` process.

Set-up (not timed, before the server starts): a fresh data directory under /tmp; a tenderer,
an envelope-sealed works tender and K registered bidders, created by the use cases with a
clock set 40 days back (publication needs ≥ 20 days before the deadline); then, **as benchmark
set-up only**, the lot's deadline is moved to ``--deadline-s`` seconds after now directly
through the tender repository (the use cases would refuse a bid period that short). Each
bidder seals one document of S MB with its own key (the real bidder tool).

Timed: ``tenderhub serve --workers W --pin-cpus`` on 127.0.0.1 (system clock; default W = 2, one
worker per core of the 2-core machine, each pinned to its CPU — ADR 0032; ``--workers 1``,
``--no-pin-cpus`` for the earlier set-up); a lean HTTP/1.1 client
(``bench/http_lean.py``, keep-alive connections) with at most ``--concurrency`` uploads in flight.
Default (``--requests 1``): one ``POST /api/tenders/{id}/sealed-bids`` per bid (summary in the
``X-Sealed-Begin`` header, the package as the body) → signed receipt, for a package that fits
``--chunk-kb``. ``--requests 2`` (and larger packages): ``POST /api/tenders/{id}/sealed-uploads``,
``PUT /api/sealed-uploads/{upload_id}?offset=N`` per chunk but the last, ``POST …/finish?offset=N``
with the last chunk (a package that fits one chunk: two requests).
Connection errors, 5xx and 409 ``stale_version`` are retried (begin again resumes the same
upload id; finish again returns the same receipt). ``--kill`` SIGKILLs the server once half
the receipts are in and restarts it on the same data directory.

Afterwards (server stopped): every receipt must verify with the platform signing key and
name a stored bid whose blob re-hashes to its digest and whose bidder signature verifies;
``lost`` counts those that do not (must be 0). Raw limit, same run: K writes of S MB with
fsync plus one committed SQLite row each (WAL, synchronous=FULL as the platform's engine, ADR 0016),
in one process, measured twice — buffered writes and ``O_DIRECT`` writes (how the platform writes a
sealed bid, ADR 0026) — the faster counts. ``ratio`` = accepted per second / raw per second.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import httpx

from tenderhub.bench.common import (
    MB,
    Out,
    SealedFile,
    finish,
    group_cpu_s,
    percentile,
    platform_on,
    raw_files_and_rows,
    register_bidder,
    rounded,
    say,
    scratch,
    seal_random,
    subject,
    timed,
    working_deadline,
)
from tenderhub.bench.common import published_tender as publish_tender
from tenderhub.bench.http_lean import Connection, Pool, Response, TransportError
from tenderhub.blobs import direct
from tenderhub.core.shared.clock import FixedClock, SystemClock
from tenderhub.crypto import signing
from tenderhub.services import sealed

RETRYABLE = {409, 500, 502, 503, 504}
RETRY_CODES = {"stale_version", "db_busy"}  # 409s the platform asks to retry
WORKERS = 2  # server processes: one per core of the 2-core machine (docs/benchmarks.md, tenth pass: +30 % bids/s, pinned)
PIN = True  # serve --pin-cpus: each worker on a CPU of its own (ADR 0032: −15–20 % server CPU per bid on this VM)
MAX_ATTEMPTS = 200  # with the back-off below: about 100 s of retrying (a restart included)


@dataclass
class Bidder:
    n: int
    token: str
    bid: SealedFile


@dataclass
class Outcome:
    receipts: dict[int, dict[str, Any]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)
    retries: int = 0
    conflicts: int = 0
    before_kill: set[str] = field(default_factory=set)
    killed_at: float | None = None
    restart_s: float = 0.0
    started: float = field(default_factory=time.perf_counter)
    last_receipt: float = 0.0

    @property
    def receiving_s(self) -> float:
        """From the first request to the last receipt (clients still retrying in vain after
        that do not dilute the rate)."""
        return max(self.last_receipt - self.started, 1e-9)


def run(bidders: int = 200, size_mb: float = 1, *, concurrency: int = 16, chunk: int = 8 * MB, kill: bool = False,
        deadline_s: int = 300, workers: int = WORKERS, profile: Path | None = None, requests: int = 1, http: str = "auto",
        pin: bool = PIN, out: Out = say) -> dict[str, Any]:
    with scratch("surge") as root:
        out(f"deadline-surge: {bidders} bidders x {size_mb} MB, concurrency {concurrency}, workers {workers}, pin-cpus {pin}, requests/bid {requests}, http {http}, kill={kill}, scratch {root}")
        with timed() as setup:
            tender_id, lot, people = set_up(root / "data", root / "bidders", bidders, int(size_mb * MB))
        out(f"set-up (tender, {bidders} registered bidders, sealing; not measured): {setup[0]:.1f} s")
        raw, raws = raw_limit(root, bidders, people[0].bid.path.stat().st_size)
        out(f"raw    ({bidders} x (write {size_mb} MB + fsync, 1 committed SQLite row)): buffered {raws['raw_buffered_s']:.2f} s, "
            f"O_DIRECT {raws['raw_direct_s']:.2f} s; the faster counts: {bidders / raw:.1f} /s")
        server = Server(root / "data", root / "server.log", workers=workers, profile=profile, http=http, pin=pin)
        move_deadline(root / "data", tender_id, deadline_s)
        try:
            server.start()
            cpu, client_cpu = group_cpu_s(server.proc.pid), time.process_time()  # type: ignore[union-attr]
            outcome = asyncio.run(surge(server, tender_id, lot, people, concurrency, chunk if requests == 2 else -chunk, kill))
            cpu = group_cpu_s(server.proc.pid) - cpu  # type: ignore[union-attr]  # --kill: the restarted server's only
            client_cpu = time.process_time() - client_cpu
        finally:
            server.stop()
        if profile is not None:
            out(f"server profile (cProfile, every thread): {profile}")
        return report(out, root, tender_id, people, outcome, outcome.receiving_s, raw, {"concurrency": concurrency, "kill": kill, "size_mb": size_mb,
                                                                                      "workers": workers, "pin_cpus": pin, "chunk_kb": chunk // 1024, "requests": requests, "http": http,
                                                                                      "server_cpu_ms_per_bid": rounded(cpu * 1000 / bidders, 1), **raws,
                                                                                      "client_cpu_ms_per_bid": rounded(client_cpu * 1000 / bidders, 1)})


def raw_limit(root: Path, k: int, size: int) -> tuple[float, dict[str, float]]:
    """The raw limit both ways the bytes can be written durably (ADR 0026: the platform writes a
    sealed bid with ``O_DIRECT`` where the file system allows it): buffered write + fsync, and
    ``O_DIRECT`` write + fsync, each with its committed row. The faster counts."""
    buffered = raw_files_and_rows(root / "raw", k, size)
    direct_s = raw_files_and_rows(root / "raw-direct", k, size, direct.write_new)
    return min(buffered, direct_s), {"raw_buffered_s": rounded(buffered), "raw_direct_s": rounded(direct_s)}


def report(out: Out, root: Path, tender_id: str, people: list[Bidder], outcome: Outcome, wall: float, raw: float,
           options: dict[str, Any]) -> dict[str, Any]:
    kill = options["kill"]
    k, accepted = len(people), len(outcome.receipts)
    check = verify(root / "data", tender_id, outcome)
    rate, raw_rate = accepted / wall, k / raw
    p50, p99 = percentile(outcome.latencies, 50), percentile(outcome.latencies, 99)
    out(f"surge  ({accepted}/{k} accepted over HTTP): {wall:.2f} s  {rate:.1f} bids/s  p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms")
    out(f"retries {outcome.retries} (409 stale_version/db_busy: {outcome.conflicts}), refused {len(outcome.refused)}; "
        f"after the run: lost {check['lost']}, stored bids {check['stored']}, duplicates {check['duplicates']}")
    if kill:
        out(f"killed with {len(outcome.before_kill)} receipts issued; restarted in {outcome.restart_s:.1f} s")
    for n, why in sorted(outcome.refused.items())[:5]:
        out(f"  refused bidder {n}: {why}")
    out(f"ratio accepted/s / raw/s = {rate / raw_rate:.2f} (target >= 0.5)")
    return finish(out, {
        "bench": "deadline-surge", "bidders": k, **options,
        "accepted": accepted, "refused": len(outcome.refused), "surge_s": rounded(wall), "accepted_per_s": rounded(rate, 2),
        "p50_ms": rounded(p50 * 1000, 1), "p99_ms": rounded(p99 * 1000, 1), "raw_s": rounded(raw), "raw_per_s": rounded(raw_rate, 2),
        "retries": outcome.retries, "conflicts": outcome.conflicts, "receipts_before_kill": len(outcome.before_kill),
        "restart_s": rounded(outcome.restart_s, 2), **check, "ratio": rounded(rate / raw_rate),
    })


# ---- set-up ----------------------------------------------------------------------------------


def set_up(data_dir: Path, folder: Path, k: int, size: int) -> tuple[str, str, list[Bidder]]:
    clock = FixedClock(SystemClock().now() - timedelta(days=40))
    platform = platform_on(data_dir, clock)
    try:
        tenderer, _ = subject(platform, "tenderer", "tenderer", 1)
        tender_id, lot = publish_tender(platform, tenderer, working_deadline(platform, clock.now(), 25))
        people = []
        for n in range(k):
            _, token = register_bidder(platform, tender_id, lot, n)
            people.append(Bidder(n, token, seal_random(folder / f"b{n}", "intl", size, str(9_000_000 + n), clock.now())))
        return tender_id, lot, people
    finally:
        platform.engine.dispose()


def move_deadline(data_dir: Path, tender_id: str, seconds: int) -> None:
    """Benchmark set-up only: the lot's deadline, ``seconds`` from now, written through the
    repository (no use case may shorten a published bid period to minutes)."""
    platform = platform_on(data_dir)
    try:
        with platform.services.uow(None) as uow:
            tender = uow.tenders.get(tender_id)
            tender.lots[0].deadline = SystemClock().now() + timedelta(seconds=seconds)
            uow.commit()
    finally:
        platform.engine.dispose()


# ---- the server process ----------------------------------------------------------------------


class Server:
    """``tenderhub serve`` as a child process on a free port of 127.0.0.1 (``workers``
    processes; ``profile``: a file to cProfile it into, see ``bench/serve_profiled.py``)."""

    def __init__(self, data_dir: Path, log: Path, *, workers: int = 1, profile: Path | None = None, http: str = "auto", pin: bool = False) -> None:
        self.data_dir, self.log_path, self.port = data_dir, log, free_port()
        self.workers, self.profile, self.http, self.pin = workers, profile, http, pin
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        db = f"sqlite:///{(self.data_dir / 'trading.db').resolve()}"
        runner = ["tenderhub.bench.serve_profiled", str(self.profile)] if self.profile else ["tenderhub.cli"]
        command = [sys.executable, "-m", *runner, "serve", "--data-dir", str(self.data_dir), "--db", db, "--port", str(self.port),
                   "--workers", str(self.workers), "--http", self.http, *(["--pin-cpus"] if self.pin else [])]
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)  # its own process group: the workers go with it
        wait_ready(self, timeout)

    def kill(self) -> None:
        """SIGKILL to the server and its workers: no shutdown handler runs, in-flight requests are cut."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._close_log()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(server: Server, timeout: float) -> None:
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if server.proc is not None and server.proc.poll() is not None:
            raise RuntimeError(f"the server exited ({server.proc.returncode}); see {server.log_path}:\n{server.log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {timeout} s; see {server.log_path}")


# ---- the clients -----------------------------------------------------------------------------


async def surge(server: Server, tender_id: str, lot: str, people: list[Bidder], concurrency: int, chunk: int, kill: bool) -> Outcome:
    outcome, pool = Outcome(), Pool("127.0.0.1", server.port, concurrency)  # at most `concurrency` uploads in flight
    try:
        killer = asyncio.create_task(kill_midway(server, outcome, len(people))) if kill else None
        await asyncio.gather(*(one_bidder(pool, tender_id, lot, b, chunk, outcome) for b in people))
        if killer is not None:
            if outcome.killed_at is None:  # too few receipts ever came: no kill
                killer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await killer
    finally:
        pool.close()
    return outcome


async def kill_midway(server: Server, outcome: Outcome, k: int) -> None:
    while len(outcome.receipts) < k // 2:
        await asyncio.sleep(0.01)
    outcome.before_kill = {r["receipt"]["receipt_id"] for r in outcome.receipts.values()}
    outcome.killed_at = time.perf_counter()
    server.kill()
    with timed() as took:
        await asyncio.to_thread(server.start)
    outcome.restart_s = took[0]


class Retry(Exception):
    pass


async def one_bidder(pool: Pool, tender_id: str, lot: str, bidder: Bidder, chunk: int, outcome: Outcome) -> None:
    async with pool.connection() as client:
        data, started = bidder.bid.path.read_bytes(), time.perf_counter()
        for attempt in range(MAX_ATTEMPTS):
            try:
                signed = await upload(client, tender_id, lot, bidder, data, chunk)
            except Retry as why:
                outcome.retries += 1
                outcome.conflicts += str(why).startswith("409")
                await asyncio.sleep(min(0.05 * (attempt + 1), 0.5))
                continue
            except Refused as why:
                outcome.refused[bidder.n] = str(why)
                return
            outcome.latencies.append(time.perf_counter() - started)
            outcome.receipts[bidder.n] = signed
            outcome.last_receipt = time.perf_counter()
            return
        outcome.refused[bidder.n] = f"gave up after {MAX_ATTEMPTS} attempts"


class Refused(Exception):
    pass


async def upload(client: Connection, tender_id: str, lot: str, bidder: Bidder, data: bytes, chunk: int) -> dict[str, Any]:
    """One bid: ``chunk`` < 0 asks for one request per bid when the package fits ``-chunk``
    bytes (``POST …/sealed-bids``), else begin, chunks, finish with the last chunk."""
    headers = {"Authorization": f"Bearer {bidder.token}"}
    body = {"lot": lot, "summary": bidder.bid.summary, "sha256": bidder.bid.sha256}
    if chunk < 0 and len(data) <= -chunk:
        begin = base64.b64encode(json.dumps(body).encode()).decode()
        whole = {**headers, "Content-Type": "application/octet-stream", "X-Sealed-Begin": begin}
        return await call(client.post(f"/api/tenders/{tender_id}/sealed-bids", content=data, headers=whole))
    chunk = abs(chunk)
    state = await call(client.post(f"/api/tenders/{tender_id}/sealed-uploads", json_body=body, headers=headers))
    upload_id, offset = state["upload_id"], state["received"]
    raw = {**headers, "Content-Type": "application/octet-stream"}
    while len(data) - offset > chunk:
        state = await call(client.put(f"/api/sealed-uploads/{upload_id}?offset={offset}", content=data[offset:offset + chunk], headers=raw))
        offset = state["received"]
    if offset == len(data):  # nothing left (a resumed upload): a plain finish
        return await call(client.post(f"/api/sealed-uploads/{upload_id}/finish", headers=headers))
    return await call(client.post(f"/api/sealed-uploads/{upload_id}/finish?offset={offset}", content=data[offset:], headers=raw))


async def call(request: Any) -> dict[str, Any]:
    try:
        response: Response = await request
    except TransportError as error:
        raise Retry(f"transport: {error}") from None
    if response.status_code < 300:
        return dict(response.json())
    code = problem_code(response)
    if response.status_code in RETRYABLE and (response.status_code != 409 or code in RETRY_CODES):
        raise Retry(f"{response.status_code} {code}")
    raise Refused(f"{response.status_code} {code}: {response.text[:300]}")


def problem_code(response: Response) -> str:
    try:
        return str(response.json().get("code", ""))
    except ValueError:
        return ""


# ---- checks after the run ----------------------------------------------------------------------


def verify(data_dir: Path, tender_id: str, outcome: Outcome) -> dict[str, int]:
    """Every receipt issued must name a stored, verifiable bid (checked on a fresh platform)."""
    platform = platform_on(data_dir)
    try:
        svc = platform.services
        with svc.uow(None) as uow:
            bids = [b for lot in uow.tenders.get(tender_id).lots for b in lot.bids if b.sealed is not None]
        by_receipt = {b.sealed.receipt_id: b for b in bids}
        lost = sum(not receipt_holds(svc, signed, by_receipt) for signed in outcome.receipts.values())
        lost_before_kill = sum(not receipt_holds(svc, s, by_receipt) for s in outcome.receipts.values()
                               if s["receipt"]["receipt_id"] in outcome.before_kill)
        bidders = [b.bidder_id for b in bids]
        return {"lost": lost, "lost_before_kill": lost_before_kill, "stored": len(bids), "duplicates": len(bidders) - len(set(bidders)),
                "unreceipted": len(by_receipt.keys() - {r["receipt"]["receipt_id"] for r in outcome.receipts.values()})}
    finally:
        platform.engine.dispose()


def receipt_holds(svc: Any, signed: dict[str, Any], by_receipt: dict[str, Any]) -> bool:
    body = signed["receipt"]
    bid = by_receipt.get(body["receipt_id"])
    if bid is None or not sealed.verify_receipt(svc, signed) or bid.id != body["bid"]:
        return False
    package = bid.sealed
    if package.digest != body["ciphertext_sha256"] or not svc.vault.blobs.verify(package.digest):
        return False
    return signing.verify(package.suite, package.bidder_public_key.encode(), package.summary_digest.encode(), base64.b64decode(package.signature))

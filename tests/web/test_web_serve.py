"""``tenderhub serve``: the operator account and its token file on first start."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tenderhub.bootstrap import Platform
from tenderhub.commands import serve
from tenderhub.web.trading.app import create_app


def test_the_first_start_issues_the_operator_token_once_in_a_private_file(platform: Platform, tmp_path: Path) -> None:
    path, token = serve.ensure_operator(platform)
    assert token and path == tmp_path / "operator.token"
    assert path.read_text().strip() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert serve.ensure_operator(platform) == (path, None)
    with TestClient(create_app(platform)) as client:
        made = client.post("/api/users", json={"role": "regulator", "name": "监督员"}, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201, made.text


def test_serve_parses_its_options() -> None:
    root = argparse.ArgumentParser()
    serve.add_parser(root.add_subparsers(dest="command"))
    args = root.parse_args(["serve", "--data-dir", "d", "--port", "9001", "--db", "sqlite:///x.db"])
    assert (args.data_dir, args.port, args.db, args.host, args.handler) == ("d", 9001, "sqlite:///x.db", "127.0.0.1", serve.run)
    assert args.pin_cpus is False and root.parse_args(["serve", "--pin-cpus"]).pin_cpus is True


def test_workers_apply_to_the_trading_role_only(capsys: Any) -> None:
    root = argparse.ArgumentParser()
    serve.add_parser(root.add_subparsers(dest="command"))
    for argv in (["serve", "--data-dir", "d", "--workers", "2"], ["serve", "--role", "hub", "--workers", "2"],
                 ["serve", "--db", "sqlite:///x.db", "--workers", "0"]):
        assert serve.run(root.parse_args(argv)) == 2
    assert "--workers N (N >= 1) applies to --role trading" in capsys.readouterr().out


def test_workers_are_refused_with_a_hub_before_anything_is_made(capsys: Any, tmp_path: Path) -> None:
    """The hub's blacklist, instruction key, trust list and SSO are linked in the serving
    process only: worker processes would serve without them (joint punishment unchecked)."""
    root = argparse.ArgumentParser()
    serve.add_parser(root.add_subparsers(dest="command"))
    db = tmp_path / "trading.db"
    argv = ["serve", "--role", "trading", "--data-dir", str(tmp_path / "d"), "--db", f"sqlite:///{db}", "--hub", "http://127.0.0.1:9", "--workers", "2"]
    assert serve.run(root.parse_args(argv)) == 2
    assert "--workers N > 1 cannot be combined with --hub" in capsys.readouterr().out
    assert not db.exists() and not (tmp_path / "d").exists()  # refused before the platform was built


def test_a_worker_process_builds_the_platform_from_the_environment_the_server_set(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("TENDERHUB_DATA_DIR", str(tmp_path / "w"))
    monkeypatch.setenv("TENDERHUB_DB_URL", f"sqlite:///{tmp_path / 'w' / 'trading.db'}")
    monkeypatch.setenv("TENDERHUB_PLATFORM_CODE", "TH110000009")
    app = serve.worker_app()
    try:
        assert gc.get_freeze_count() > 0  # warmed up and frozen before uvicorn serves it (web/common/warm.py)
        with TestClient(app) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
        assert app.state.platform.settings.platform_code == "TH110000009"
        assert (tmp_path / "w" / "trading.db").exists()
    finally:
        gc.unfreeze()
        app.state.platform.engine.dispose()


def listening_sockets(pid: int, port: int) -> set[str]:
    """Inodes of the LISTEN sockets on ``port`` that process ``pid`` holds (from /proc)."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
                listening.add(fields[9])
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                held.add(target[8:-1])
    return held & listening


def children(pid: int) -> list[int]:
    return [int(n) for n in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT") or not Path("/proc/net/tcp").exists(), reason="Linux SO_REUSEPORT")
def test_workers_listen_on_sockets_of_their_own_and_go_down_together(tmp_path: Path) -> None:
    """``--workers 2``: each worker has its own ``SO_REUSEPORT`` socket (the kernel spreads the
    connections); one worker dying stops the other and the server, which exits 1; SIGTERM: 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tenderhub.cli", "serve", "--data-dir", str(tmp_path / "d"),
               "--db", f"sqlite:///{tmp_path / 'd' / 'trading.db'}", "--port", str(port), "--workers", "2"]
    with started(command) as server:
        workers = wait_for_workers(server, port)
        sockets = [listening_sockets(pid, port) for pid in workers]
        assert all(len(held) == 1 for held in sockets) and sockets[0] != sockets[1]
        for _ in range(4):  # every new connection is answered, whichever socket it lands on
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10, trust_env=False).status_code == 200
        os.kill(workers[0], signal.SIGKILL)
        assert server.wait(timeout=30) == 1  # a worker lost: the server fails (its supervisor restarts it)
        assert not any(Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text() for pid in workers)
    with started(command) as server:
        wait_for_workers(server, port)
        server.terminate()
        assert server.wait(timeout=30) == 0


def allowed_cpus(pid: int) -> set[int]:
    return os.sched_getaffinity(pid)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2 or not hasattr(socket, "SO_REUSEPORT"),
                    reason="Linux, 2 CPUs or more")
def test_pinned_workers_run_each_on_a_cpu_of_its_own_and_every_thread_stays_there(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tenderhub.cli", "serve", "--data-dir", str(tmp_path / "d"),
               "--db", f"sqlite:///{tmp_path / 'd' / 'trading.db'}", "--port", str(port), "--workers", "2", "--pin-cpus"]
    with started(command) as server:
        workers = wait_for_workers(server, port)
        cpus = [{cpu for task in Path(f"/proc/{pid}/task").iterdir() for cpu in allowed_cpus(int(task.name))} for pid in workers]
        assert all(len(held) == 1 for held in cpus) and cpus[0] != cpus[1]  # threads included (a thread pool served /healthz)
        assert allowed_cpus(server.pid) == os.sched_getaffinity(0)  # the supervisor is left free
        server.terminate()
        assert server.wait(timeout=30) == 0


def test_pin_to_cpu_takes_the_nth_allowed_cpu_or_leaves_the_process_free() -> None:
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        assert serve.pin_to_cpu(None) is None and (before is None or os.sched_getaffinity(0) == before)
        if before is not None:
            allowed = sorted(before)
            assert serve.pin_to_cpu(len(allowed) + 1) == allowed[1 % len(allowed)] and os.sched_getaffinity(0) == {allowed[1 % len(allowed)]}
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)


@contextlib.contextmanager
def started(command: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    """The server in a session of its own, killed with its workers if the test leaves it running."""
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def wait_for_workers(server: subprocess.Popen[bytes], port: int) -> list[int]:
    for _ in range(600):
        assert server.poll() is None, "the server exited"
        with contextlib.suppress(httpx.TransportError):
            workers = [pid for pid in children(server.pid) if listening_sockets(pid, port)]  # not a resource tracker
            ready = len(workers) == 2
            if ready and httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1, trust_env=False).status_code == 200:
                return workers
        time.sleep(0.1)
    raise AssertionError("the workers did not start")

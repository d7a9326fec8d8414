"""A small procurement driven over HTTP (any client with a platform base URL), and helpers to
start ``tenderhub serve`` as a real subprocess on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

TENDERER = {"kind": "tenderer", "uscc": "91110105MA00000012", "name": "北京市朝阳区市政管理中心", "legal_representative": "王敏"}
TENDERHUB = str(Path(sys.executable).with_name("tenderhub"))


def tender_body(deadline: str, title: str) -> dict[str, Any]:
    lot = {"title": "施工一标段", "category": "works", "estimated_price": "12000000", "bid_security": "200000",
           "deadline": deadline, "evaluation": {"method": "lowest_price"}}
    return {"regime": "works", "title": title, "lots": [lot]}


def weekday_after(today: date, days: int) -> date:
    day = today + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def small_procurement(client: Any, today: date, *, title: str = "朝阳区道路大修工程", uscc: str = TENDERER["uscc"]) -> dict[str, Any]:
    """Register a tenderer, create, publish and clarify one works tender (every step over HTTP).
    The deadline is 40+ days after ``today`` (20 days at least, 招标投标法 第24条); a day the
    platform refuses (a holiday) moves it one day later."""
    made = client.post("/api/subjects", json={**TENDERER, "uscc": uscc})
    assert made.status_code == 201, made.text
    who = {"Authorization": f"Bearer {made.json()['token']}"}
    for extra in range(15):
        deadline = weekday_after(today, 40 + extra)
        tender = client.post("/api/tenders", json=tender_body(f"{deadline.isoformat()}T09:30", title), headers=who)
        assert tender.status_code == 201, tender.text
        published = client.post(f"/api/tenders/{tender.json()['id']}/publish", json={"doc_sale_end": weekday_after(today, 8).isoformat()}, headers=who)
        if published.status_code == 200:
            break
    assert published.status_code == 200, published.text
    clarified = client.post(f"/api/tenders/{tender.json()['id']}/clarifications", json={"text": "补充说明：工期不变。"}, headers=who)
    assert clarified.status_code == 200, clarified.text
    return {"id": tender.json()["id"], "code": tender.json()["code"], "lot": tender.json()["lots"][0]["code"], "headers": who}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``tenderhub ARGS`` in its own process, output to ``log``."""
    handle = log.open("wb")
    return subprocess.Popen([TENDERHUB, *args], stdout=handle, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, *, seconds: float = 60) -> None:
    """Until ``url/healthz`` answers; fail with the process log if it exits or never answers."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not start:\n{log.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def beijing_today() -> date:
    from tenderhub.core.shared.clock import SystemClock, beijing

    return beijing(SystemClock().now()).date()


class Deployment:
    """A hub and trading platforms, each a ``tenderhub serve`` process of its own."""

    def __init__(self, root: Path) -> None:
        self.root, self.processes = root, []  # type: list[subprocess.Popen[bytes]]
        self.hub_url = ""

    def serve(self, name: str, args: list[str]) -> str:
        port = free_port()
        url, log = f"http://127.0.0.1:{port}", self.root / f"{name}.log"
        process = start(["serve", *args, "--port", str(port)], log, env={"TENDERHUB_DB_URL": "", "TENDERHUB_DATA_DIR": ""})
        self.processes.append(process)
        wait_ready(url, process, log)
        return url

    def hub(self, db: str | None = None) -> str:
        self.hub_url = self.serve("hub", ["--role", "hub", "--data-dir", str(self.root / "hub"), *(["--db", db] if db else [])])
        return self.hub_url

    def platform(self, code: str, name: str, db: str | None = None) -> str:
        return self.serve(code, ["--role", "trading", "--data-dir", str(self.root / code), *(["--db", db] if db else []),
                                 "--hub", self.hub_url, "--hub-token-file", str(self.root / "hub" / "hub-admin.token"),
                                 "--platform-code", code, "--platform-name", name])

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop(process)


def certify_cli(platform_url: str, hub_key: Path, out: Path, hub_url: str | None = None) -> subprocess.CompletedProcess[str]:
    args = [TENDERHUB, "certify", "--platform", platform_url, "--hub-key", str(hub_key), "--out", str(out)]
    return subprocess.run([*args, *(["--hub", hub_url] if hub_url else [])], capture_output=True, text=True, timeout=300, check=False)


def released_ids(platform_url: str) -> set[str]:
    items = httpx.get(f"{platform_url}/api/exchange/releases", params={"limit": 1000}, timeout=30).json()["items"]
    return {i["release"]["id"] for i in items}


def hub_ids(hub_url: str, platform_id: str) -> set[str]:
    items = httpx.get(f"{hub_url}/hub/feed", params={"limit": 1000}, timeout=30).json()["items"]
    return {i["release"]["id"] for i in items if i["platform_id"] == platform_id}


def logged_heads(hub_url: str, platform_id: str) -> set[tuple[int, str]]:
    heads = httpx.get(f"{hub_url}/hub/platforms/{platform_id}/chain-heads", timeout=30).json()["heads"]
    return {(h["seq"], h["hash"]) for h in heads}


def until(condition: Any, seconds: float = 90) -> bool:
    """Poll ``condition()`` until true or ``seconds`` pass (the relay runs every second)."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.5)
    return True

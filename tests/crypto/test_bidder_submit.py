"""``tenderhub bidder submit`` and ``opening-key`` end to end against a live server (uvicorn in a
thread, on a platform whose clock the test sets): chunked upload, interruption and resume,
retries with backoff, the signed receipt, and the opening key used by ``bidder decrypt``."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from tenderhub.bootstrap import Platform, build
from tenderhub.cli import main
from tenderhub.commands.bidder import SubmitError, client_for, submit_package
from tenderhub.core.shared.clock import FixedClock, parse_beijing
from tenderhub.crypto import keys, signing
from tenderhub.services import bids
from tenderhub.services.subjects import actor_for_token
from tenderhub.settings import Settings
from tenderhub.web.trading.app import create_app

CHUNK = 64 * 1024
TENDERER = {"kind": "tenderer", "uscc": "91110105MA00000012", "name": "北京市朝阳区市政管理中心", "legal_representative": "王敏"}
BIDDERS = {
    "bidder": {"kind": "bidder", "uscc": "91110105MA00000025", "name": "北京路桥建设有限公司", "legal_representative": "李强"},
    "bidder_b": {"kind": "bidder", "uscc": "91110105MA00000038", "name": "首都市政工程有限公司", "legal_representative": "张伟"},
    "bidder_c": {"kind": "bidder", "uscc": "91110105MA0000004B", "name": "京华建工集团有限公司", "legal_representative": "刘洋"},
}
LOT = {"title": "施工一标段", "category": "works", "estimated_price": "12000000", "bid_security": "200000", "deadline": "2026-12-21T09:30",
       "evaluation": {"method": "lowest_price"}}


@dataclass
class Live:
    """A running server, the platform behind it, its clock and the PUT offsets it has seen."""

    url: str
    platform: Platform
    clock: FixedClock
    puts: list[int] = field(default_factory=list)

    def at(self, when: str) -> Live:
        self.clock.set(parse_beijing(when))
        return self


def recording(app: Any, puts: list[int]) -> Any:
    """The app, noting the offset of every chunk upload (to see where a resumed upload starts)."""
    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "PUT":
            query = dict(part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part)
            puts.append(int(query.get("offset", -1)))
        await app(scope, receive, send)
    return wrapped


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[Live]:
    clock = FixedClock(parse_beijing("2026-11-30T09:00"))
    platform = build(Settings.load(data_dir=tmp_path / "platform", db_url=database_url, allow_unsealed=False), clock=clock)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    running = Live(f"http://127.0.0.1:{sock.getsockname()[1]}", platform, clock)
    server = uvicorn.Server(uvicorn.Config(recording(create_app(platform), running.puts), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield running
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    platform.engine.dispose()


@dataclass
class Setup:
    tender: str
    lot: str
    tokens: dict[str, str]


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def a_published_tender_with_registered_bidders(live: Live) -> Setup:
    with httpx.Client(base_url=live.url) as client:
        tokens = {who: ok(client.post("/api/subjects", json=spec))["token"] for who, spec in {"tenderer": TENDERER, **BIDDERS}.items()}
        auth = {who: {"Authorization": f"Bearer {token}"} for who, token in tokens.items()}
        made = ok(client.post("/api/tenders", json={"regime": "works", "title": "朝阳区道路大修工程", "lots": [LOT]}, headers=auth["tenderer"]))
        live.at("2026-12-01T09:00")
        ok(client.post(f"/api/tenders/{made['id']}/publish", json={"doc_sale_end": "2026-12-07"}, headers=auth["tenderer"]))
        lot = made["lots"][0]["code"]
        live.at("2026-12-10T10:00")
        for who in BIDDERS:
            ok(client.post(f"/api/tenders/{made['id']}/registrations", json={"lot": lot}, headers=auth[who]))
    return Setup(made["id"], lot, tokens)


def sealed_package(tmp: Path, price: str = "11500000") -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    assert main(["bidder", "keygen", "--out", str(tmp / "key")]) == 0
    document = tmp / "技术标.pdf"
    document.write_bytes("技术方案 施工组织设计 ".encode() * 20_000)
    package = tmp / "bid.sealed"
    argv = ["bidder", "seal", "--key", str(tmp / "key"), "--price", price, "--period-days", "180", "--security", "200000",
            "--out", str(package), str(document)]
    assert main(argv) == 0
    return package


def submit_argv(live: Live, setup: Setup, package: Path) -> list[str]:
    return ["bidder", "submit", "--server", live.url, f"--token={setup.tokens['bidder']}", "--tender", setup.tender,
            "--lot", setup.lot, "--chunk-size", str(CHUNK), "--whole-max", "0", str(package)]


class Interrupted(Exception):
    """The connection dropped (or the bidder pressed Ctrl-C) in the middle of the upload."""


def stop_after(chunks: int) -> Any:
    seen: list[dict[str, Any]] = []

    def on_state(state: dict[str, Any]) -> None:
        seen.append(state)
        if len(seen) > chunks:  # the first state is the answer to begin
            raise Interrupted(f"after {state['received']} bytes")
    return on_state


def test_submit_resumes_an_interrupted_upload_and_keeps_a_receipt_the_platform_signed(live: Live, tmp_path: Path, capsys: Any) -> None:
    setup = a_published_tender_with_registered_bidders(live)
    package = sealed_package(tmp_path)
    with client_for(live.url, setup.tokens["bidder"]) as client, pytest.raises(Interrupted):
        submit_package(client, setup.tender, setup.lot, package, chunk_size=CHUNK, whole_max=0, on_state=stop_after(3))
    assert live.puts == [0, CHUNK, 2 * CHUNK]
    live.puts.clear()
    assert main(submit_argv(live, setup, package)) == 0
    # every chunk but the last by PUT; the last one travels with the finish
    assert live.puts[0] == 3 * CHUNK and len(live.puts) == -(-(package.stat().st_size - 3 * CHUNK) // CHUNK) - 1
    signed = json.loads((tmp_path / "bid.sealed.receipt.json").read_text(encoding="utf-8"))
    assert signed["receipt"]["ciphertext_sha256"] == hashlib.sha256(package.read_bytes()).hexdigest()
    assert signed["receipt"]["size"] == package.stat().st_size
    assert "platform signature verified" in capsys.readouterr().out
    with httpx.Client(base_url=live.url) as client:
        assert client.post("/api/receipts/verify", json=signed).json()["valid"] is True
    assert main(submit_argv(live, setup, package)) == 0  # again: the same receipt
    assert json.loads((tmp_path / "bid.sealed.receipt.json").read_text(encoding="utf-8"))["receipt"] == signed["receipt"]


class Flaky(httpx.BaseTransport):
    """Drops the connection on the 2nd chunk and answers 503 to the 4th, once each."""

    def __init__(self) -> None:
        self.inner, self.chunks = httpx.HTTPTransport(), 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            self.chunks += 1
            if self.chunks == 2:
                raise httpx.ConnectError("connection reset", request=request)
            if self.chunks == 4:
                return httpx.Response(503, json={"code": "unavailable", "detail": "maintenance"}, request=request)
        return self.inner.handle_request(request)


def test_a_failed_chunk_is_retried_with_backoff_after_asking_the_platform_where_to_resume(live: Live, tmp_path: Path) -> None:
    setup = a_published_tender_with_registered_bidders(live)
    package = sealed_package(tmp_path)
    pauses: list[float] = []
    headers = {"Authorization": f"Bearer {setup.tokens['bidder']}"}
    with httpx.Client(base_url=live.url, headers=headers, transport=Flaky()) as client:
        signed = submit_package(client, setup.tender, setup.lot, package, chunk_size=CHUNK, whole_max=0, sleep=pauses.append)
    assert pauses == [0.5, 0.5]
    assert signed["receipt"]["ciphertext_sha256"] == hashlib.sha256(package.read_bytes()).hexdigest()


class WithoutOneRequestRoute(httpx.BaseTransport):
    """A platform from before ``POST …/sealed-bids``: that route answers 404 (and is counted)."""

    def __init__(self) -> None:
        self.inner, self.whole = httpx.HTTPTransport(), 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sealed-bids"):
            self.whole += 1
            return httpx.Response(404, json={"code": "not_found", "detail": "Not Found"}, request=request)
        return self.inner.handle_request(request)


def test_a_package_that_fits_goes_in_one_request_and_again_gets_the_same_receipt(live: Live, tmp_path: Path, capsys: Any) -> None:
    setup = a_published_tender_with_registered_bidders(live)
    package = sealed_package(tmp_path)
    argv = [arg for arg in submit_argv(live, setup, package) if arg not in ("--whole-max", "0")]
    assert main(argv) == 0 and live.puts == []  # no chunk: the one request
    signed = json.loads((tmp_path / "bid.sealed.receipt.json").read_text(encoding="utf-8"))
    assert signed["receipt"]["size"] == package.stat().st_size and "platform signature verified" in capsys.readouterr().out
    assert main(argv) == 0
    assert json.loads((tmp_path / "bid.sealed.receipt.json").read_text(encoding="utf-8"))["receipt"] == signed["receipt"]
    smaller = [*argv[:-1], "--whole-max", str(package.stat().st_size - 1), str(package)]
    assert main(smaller) == 0 and live.puts  # larger than the threshold: resumable, the same receipt
    assert json.loads((tmp_path / "bid.sealed.receipt.json").read_text(encoding="utf-8"))["receipt"] == signed["receipt"]


def test_a_platform_without_the_one_request_route_gets_the_resumable_upload(live: Live, tmp_path: Path) -> None:
    setup = a_published_tender_with_registered_bidders(live)
    package = sealed_package(tmp_path)
    transport = WithoutOneRequestRoute()
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {setup.tokens['bidder']}"}, transport=transport) as client:
        signed = submit_package(client, setup.tender, setup.lot, package, chunk_size=CHUNK)
    assert transport.whole == 1 and live.puts  # tried once, then chunks
    assert signed["receipt"]["ciphertext_sha256"] == hashlib.sha256(package.read_bytes()).hexdigest()


def test_a_platform_that_stays_unreachable_makes_submit_give_up_after_its_retries(live: Live, tmp_path: Path) -> None:
    setup = a_published_tender_with_registered_bidders(live)
    package = sealed_package(tmp_path)
    pauses: list[float] = []
    with client_for("http://127.0.0.1:9", setup.tokens["bidder"]) as client, pytest.raises(SubmitError, match="giving up after 5 attempts"):
        submit_package(client, setup.tender, setup.lot, package, sleep=pauses.append)
    assert pauses == [0.5, 1.0, 2.0, 4.0]


def test_submit_at_the_deadline_is_refused_citing_article_26(live: Live, tmp_path: Path, capsys: Any) -> None:
    setup = a_published_tender_with_registered_bidders(live)
    package = sealed_package(tmp_path)
    live.at("2026-12-21T09:30")
    assert main(submit_argv(live, setup, package)) == 1
    assert "第26条" in capsys.readouterr().err
    assert not (tmp_path / "bid.sealed.receipt.json").exists()


def test_submit_needs_a_token(live: Live, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("TENDERHUB_TOKEN", raising=False)
    argv = ["bidder", "submit", "--server", live.url, "--tender", "t", "--lot", "l", str(tmp_path / "bid.sealed")]
    assert main(argv) == 1


def test_the_fetched_opening_key_serves_bidder_decrypt_at_the_opening(live: Live, tmp_path: Path) -> None:
    setup = a_published_tender_with_registered_bidders(live)
    package = sealed_package(tmp_path)
    assert main(submit_argv(live, setup, package)) == 0
    for who, price in (("bidder_b", "11200000"), ("bidder_c", "11800000")):
        with client_for(live.url, setup.tokens[who]) as client:
            submit_package(client, setup.tender, setup.lot, sealed_package(tmp_path / who, price))
    assert main(["bidder", "opening-key", "--server", live.url, "--out", str(tmp_path / "opening.pub.pem")]) == 0
    assert (tmp_path / "opening.pub.pem").read_bytes() == live.platform.services.vault.keys.pair("opening", "intl").public_pem  # type: ignore[union-attr]
    svc = live.at("2026-12-21T09:30").platform.services
    bids.open_bids(svc, actor_for_token(svc, setup.tokens["tenderer"]), setup.tender, {"lot": setup.lot})
    argv = ["bidder", "decrypt", "--key", str(tmp_path / "key"), "--package", str(package),
            "--platform-key", str(tmp_path / "opening.pub.pem"), "--out", str(tmp_path / "release")]
    assert main(argv) == 0
    release = base64.b64encode((tmp_path / "release").read_bytes()).decode()
    with client_for(live.at("2026-12-21T09:35").url, setup.tokens["bidder"]) as client:
        done = ok(client.post(f"/api/tenders/{setup.tender}/decryptions", json={"lot": setup.lot, "release": release}))
        every = ok(client.get(f"/api/tenders/{setup.tender}"))  # the answer holds the bidder's own bid only
    assert [b["price"] for b in done["tender"]["lots"][0]["my_bids"]] == ["11500000.00"]
    prices = {b["bidder"]: b["price"] for b in every["lots"][0]["bids"]}
    assert done["decryption"] == "decrypted"
    assert prices == {"北京路桥建设有限公司": "11500000.00", "首都市政工程有限公司": None, "京华建工集团有限公司": None}


def forged_releases(tmp_path: Path, bidder_dir: Path, package: Path, opening: Path) -> dict[str, bytes]:
    """The bidder's own release made unsigned (version 1), and one re-signed by another key."""
    assert main(["bidder", "decrypt", "--key", str(bidder_dir / "key"), "--package", str(package),
                 "--platform-key", str(opening), "--out", str(tmp_path / "good")]) == 0
    body = {k: v for k, v in json.loads((tmp_path / "good").read_bytes()).items() if k != "signature"}
    unsigned = {k: v for k, v in body.items() if k != "bidder_public_key"} | {"version": 1}
    other = keys.generate("intl")
    body["bidder_public_key"] = other.public_pem.decode()
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    resigned = {**body, "signature": base64.b64encode(signing.sign("intl", other.private_pem, canonical)).decode()}
    return {"unsigned": json.dumps(unsigned).encode(), "resigned": json.dumps(resigned).encode()}


def test_an_unsigned_or_foreign_signed_release_is_the_bidders_failed_decryption(live: Live, tmp_path: Path) -> None:
    setup = a_published_tender_with_registered_bidders(live)
    prices = (("bidder", "11500000"), ("bidder_b", "11200000"), ("bidder_c", "11800000"))
    packages = {who: sealed_package(tmp_path / who, price) for who, price in prices}
    for who, package in packages.items():
        with client_for(live.url, setup.tokens[who]) as client:
            submit_package(client, setup.tender, setup.lot, package)
    (tmp_path / "opening.pub.pem").write_bytes(live.platform.services.vault.keys.pair("opening", "intl").public_pem)  # type: ignore[union-attr]
    svc = live.at("2026-12-21T09:30").platform.services
    bids.open_bids(svc, actor_for_token(svc, setup.tokens["tenderer"]), setup.tender, {"lot": setup.lot})
    expected = {"bidder": ("unsigned", "not signed"), "bidder_b": ("resigned", "another key than the bidder's")}
    for who, (kind, reason) in expected.items():
        blob = forged_releases(tmp_path / who, tmp_path / who, packages[who], tmp_path / "opening.pub.pem")[kind]
        with client_for(live.at("2026-12-21T09:35").url, setup.tokens[who]) as client:
            done = ok(client.post(f"/api/tenders/{setup.tender}/decryptions",
                                  json={"lot": setup.lot, "release": base64.b64encode(blob).decode()}))
        assert (done["decryption"], done["status"]) == ("failed_by_bidder", "revoked")
        assert reason in done["failure"]

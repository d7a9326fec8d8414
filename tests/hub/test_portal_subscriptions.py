"""Subscriptions (on SQLite and PostgreSQL): the secret Atom feed of a saved search, and
signed webhooks delivered to a real local HTTP receiver with retries after a 500."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest
from portal_support import Portal, amended, full

from tenderhub.hub.portal import delivery
from tenderhub.hub.portal.delivery import outcome, run_once, verify

ATOM = "{http://www.w3.org/2005/Atom}"


class Receiver:
    """A real HTTP server on 127.0.0.1. The first time it sees a delivery id it processes the
    body and then fails to acknowledge (500, as after a crash); the retry carries the same
    delivery id, which it recognises (the receiver's idempotency) and acknowledges (200)."""

    def __init__(self, secret: str = "") -> None:
        self.secret, self.seen, self.processed, self.bad_signatures, self.processings = secret, [], {}, 0, 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.handle(self.headers["X-Tenderhub-Delivery"], self.headers["X-Tenderhub-Signature"], body)
                status = 500 if receiver.seen.count(self.headers["X-Tenderhub-Delivery"]) == 1 else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def handle(self, delivery_id: str, signature: str, body: bytes) -> None:
        self.seen.append(delivery_id)
        if not verify(self.secret, body, signature):
            self.bad_signatures += 1
            return
        if delivery_id not in self.processed:
            self.processed[delivery_id] = json.loads(body)
            self.processings += 1

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def subscribe(portal: Portal, **body: Any) -> dict[str, Any]:
    portal.hub.private_webhooks = True  # the receivers of these tests listen on 127.0.0.1
    answer = portal.client.post("/portal/subscriptions", json={"owner": "buyer@example.com", **body})
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_the_atom_feed_is_valid_atom_with_the_matching_announcements(portal: Portal, workdir: Path) -> None:
    made = subscribe(portal, q="道路", type="award_result,contract")
    portal.ingest(full(workdir) + amended(workdir))
    answer = portal.client.get(made["feed_url"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(answer.content)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author/" + ATOM + "name"):
        assert (feed.findtext(ATOM + name) or "").strip(), name
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["朝阳区道路大修工程（施工一标段）合同公告", "朝阳区道路大修工程（施工一标段）中标结果公告"]
    for entry in entries:
        assert all((entry.findtext(ATOM + n) or "").strip() for n in ("id", "title", "updated", "summary"))
        assert entry.findtext(f"{ATOM}id", "").startswith("urn:uuid:") and entry.find(f"{ATOM}link").get("href", "").startswith("http")
    assert feed.findtext(f"{ATOM}updated") == entries[0].findtext(f"{ATOM}updated") == "2027-01-05T10:00:00+08:00"


def test_the_feed_needs_its_secret_token(portal: Portal) -> None:
    made = subscribe(portal)
    assert portal.client.get(f"/portal/subscriptions/{made['id']}/atom").status_code == 401  # anonymous: unauthorized
    assert portal.client.get(f"/portal/subscriptions/{made['id']}/atom?token=guess").json()["field"] == "token"
    assert portal.client.get("/portal/subscriptions/nothing/atom?token=x").status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"owner": "not an address"}, "owner"), ({"owner": "a@example.com", "webhook_url": "ftp://x"}, "webhook_url"),
    ({"owner": "a@example.com", "region": "1"}, "region"), ({"owner": "a@example.com", "type": "x"}, "type"),
    ({"owner": "a@example.com", "q": "x" * 201}, "q"),
])
def test_a_bad_subscription_is_refused_naming_the_field_and_nothing_is_saved(portal: Portal, body: dict[str, Any], field: str) -> None:
    answer = portal.client.post("/portal/subscriptions", json=body)
    assert answer.status_code == 422 and answer.json()["field"] == field
    from tenderhub.hub.portal.store import subscriptions

    with portal.hub.engine.connect() as conn:
        assert conn.execute(subscriptions.select()).all() == []


def deliver(portal: Portal) -> int:
    with httpx.Client() as client:
        return run_once(portal.hub, client)


def test_webhooks_are_signed_retried_after_a_500_and_processed_once_per_delivery_id(
        portal: Portal, receiver: Receiver, workdir: Path) -> None:
    made = subscribe(portal, q="道路", webhook_url=receiver.url)
    other = subscribe(portal, region="120000", webhook_url=receiver.url)
    receiver.secret = made["secret"]
    portal.ingest(full(workdir))
    assert deliver(portal) == 5 and len(receiver.seen) == 5  # all five answered 500
    assert deliver(portal) == 0  # not due yet: backoff
    portal.hub.clock.advance(seconds=1)  # type: ignore[attr-defined]
    assert deliver(portal) == 5 and deliver(portal) == 0
    assert len(receiver.seen) == 10 and len(set(receiver.seen)) == 5 and receiver.bad_signatures == 0
    assert receiver.processings == 5  # each delivery id processed exactly once
    bodies = list(receiver.processed.values())
    assert sorted(b["announcement"]["type"] for b in bodies) == sorted(
        ["tender_notice", "opening_record", "candidate_publicity", "award_result", "contract"])
    assert all(b["delivery_id"] == i for i, b in receiver.processed.items())
    log = portal.client.get(f"/portal/subscriptions/{made['id']}/deliveries", params={"token": made["feed_url"].split("token=")[1]}).json()
    assert [(d["status"], d["attempts"], d["last_status"]) for d in log["deliveries"]] == [("delivered", 2, 200)] * 5
    assert portal.client.get(f"/portal/subscriptions/{other['id']}/deliveries",
                             params={"token": other["feed_url"].split("token=")[1]}).json()["deliveries"] == []


def test_a_tampered_body_or_another_secret_fails_verification() -> None:
    body = b'{"delivery_id":"x"}'
    header = delivery.signature("s3cret", body)
    assert verify("s3cret", body, header)
    assert not verify("s3cret", body.replace(b"x", b"y"), header) and not verify("other", body, header) and not verify("s3cret", body, None)


def test_a_receiver_that_is_down_is_retried_and_a_refusal_is_final() -> None:
    assert outcome(None, 1) == "pending" and outcome(503, 1) == "pending" and outcome(429, 2) == "pending"
    assert outcome(500, delivery.MAX_ATTEMPTS) == "failed" and outcome(404, 1) == "failed" and outcome(204, 1) == "delivered"
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3, 20)] == [1, 2, 4, 600]


def test_a_closed_port_counts_an_attempt_with_its_error(portal: Portal, workdir: Path) -> None:
    made = subscribe(portal, type="tender_notice", webhook_url="http://127.0.0.1:9/hook")
    portal.ingest(full(workdir)[:1])
    assert deliver(portal) == 1
    log = portal.client.get(f"/portal/subscriptions/{made['id']}/deliveries", params={"token": made["feed_url"].split("token=")[1]}).json()
    (one,) = log["deliveries"]
    assert one["status"] == "pending" and one["attempts"] == 1 and one["last_status"] is None and "ConnectError" in one["last_error"]


def test_the_worker_runs_with_the_app_and_delivers(portal: Portal, receiver: Receiver, workdir: Path) -> None:
    from fastapi.testclient import TestClient

    from tenderhub.hub.app import create_hub_app

    made = subscribe(portal, type="tender_notice", webhook_url=receiver.url)
    receiver.secret = made["secret"]
    portal.ingest(full(workdir)[:1])
    with TestClient(create_hub_app(portal.hub)):
        portal.hub.clock.advance(seconds=5)  # type: ignore[attr-defined]
        deadline = threading.Event()
        for _ in range(100):  # the worker polls every second: wait for the retry to land
            if receiver.processed:
                break
            deadline.wait(0.1)
    assert len(receiver.processed) == 1 and receiver.bad_signatures == 0


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://169.254.169.254/latest/meta-data/", "http://[::1]/hook",
                                 "http://localhost:8000/hook", "https://10.0.0.5/hook", "http://[::ffff:127.0.0.1]/hook",
                                 "http://0.0.0.0/hook", "http://192.168.1.1/hook"])
def test_a_webhook_to_a_loopback_private_or_metadata_address_is_refused_and_nothing_is_saved(portal: Portal, url: str) -> None:
    answer = portal.client.post("/portal/subscriptions", json={"owner": "a@example.com", "webhook_url": url})
    assert answer.status_code == 422 and answer.json()["field"] == "webhook_url", answer.text
    from tenderhub.hub.portal.store import subscriptions

    with portal.hub.engine.connect() as conn:
        assert conn.execute(subscriptions.select()).all() == []
    assert portal.client.post("/portal/subscriptions", json={"owner": "a@example.com", "webhook_url": "https://hooks.example.com/x"}).status_code == 201


def test_a_host_name_resolving_to_a_loopback_address_is_refused_at_delivery(portal: Portal, receiver: Receiver, workdir: Path) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    url = f"http://2130706433:{port}/hook"  # 127.0.0.1 written as one number: no literal address at creation, loopback when resolved
    made = portal.client.post("/portal/subscriptions", json={"owner": "a@example.com", "type": "tender_notice", "webhook_url": url})
    assert made.status_code == 201, made.text
    portal.ingest(full(workdir)[:1])
    assert deliver(portal) == 1 and receiver.seen == []
    token = made.json()["feed_url"].split("token=")[1]
    (one,) = portal.client.get(f"/portal/subscriptions/{made.json()['id']}/deliveries", params={"token": token}).json()["deliveries"]
    assert one["status"] == "failed" and "non-public address (127.0.0.1)" in one["last_error"]


def test_control_characters_never_reach_the_atom_xml() -> None:
    from xml.etree import ElementTree

    from tenderhub.hub.portal.atom import xml_safe

    text = xml_safe("道路\x00改造\x1b工程\ttab\ufffe\U0001F600")
    assert text == "道路改造工程\ttab\U0001F600"
    ElementTree.fromstring(f"<t>{text}</t>")

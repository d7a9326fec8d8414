"""A trading platform in its own process joining a hub over HTTP (``serve --role trading --hub URL``).

At start-up ``join_hub`` fetches the hub's key (``GET /hub/key``) and trusts it for supervision
instructions, registers the platform (``POST /hub/platforms`` with the hub administrator
token) unless the hub already knows it with this signing key, and points the platform's
blacklist checks at the hub (``services/credit.HttpBlacklist``). ``Membership.start`` runs the
outbox relay in a background thread: every ``idle`` seconds it posts pending public changes
as signed releases (``hub/relay.py``) and, whenever the platform's audit head has moved, logs
the new head in the hub's transparency log (``POST /hub/chain-heads``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tenderhub.bootstrap import Platform
from tenderhub.crypto.keys import KeyPair
from tenderhub.exchange.ocds.mapping import MappingOptions
from tenderhub.hub.relay import FileAcks, Relay, TenderReleases
from tenderhub.hub.transparency import post_chain_head
from tenderhub.services.context import Services
from tenderhub.services.credit import HttpBlacklist, HttpCredit, HttpProjectRegistry
from tenderhub.services.credit_records import CreditDelivery
from tenderhub.services.identity import HttpHubIdentity, HttpTrustList
from tenderhub.services.instructions import trust, trusted_key
from tenderhub.services.sealed import vault_of
from tenderhub.services.subjects import HttpSubjectDirectory

log = logging.getLogger("tenderhub.hub.membership")
HUB_NAME = "公共服务平台 / hub"
ACKS_FILE = "hub-acks.jsonl"  # releases the hub acknowledged (hub/relay.py FileAcks)


class JoinError(Exception):
    """The hub cannot be joined (unreachable, refused, or knows this platform by another key)."""


@dataclass
class Membership:
    platform: Platform
    relay: Relay
    clients: list[httpx.Client]
    credit: CreditDelivery | None = None  # credit records to the hub, delivered before each relay round
    stop_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    anchored: tuple[int, str] | None = None

    def start(self, *, idle: float = 1.0) -> None:
        self.stop_event.clear()
        self.thread = threading.Thread(target=self.run, kwargs={"idle": idle}, name="relay", daemon=True)
        self.thread.start()

    def run(self, *, idle: float = 1.0) -> None:
        """Relay and anchor until stopped; back off while the hub is unavailable."""
        while not self.stop_event.is_set():
            if self.credit is not None:  # first: the hub's answers are outbox rows too
                self.credit.deliver_once()
            batch = self.relay.relay_once()
            if batch.transient:
                self.stop_event.wait(self.relay.backoff.next_delay())
                continue
            self.relay.backoff.reset()
            self.anchor()
            if batch.handled == 0:
                self.stop_event.wait(idle)

    def anchor(self) -> None:
        """Log the audit head in the hub's transparency log when it moved since the last time."""
        with self.platform.services.uow(None) as uow:
            head = uow.audit.head()
        if head is None or head == self.anchored:
            return
        try:
            post_chain_head(self.relay.uow, self.relay.client, self.relay.platform_id, self.relay.pair)
        except httpx.HTTPError as exc:  # the next round anchors the newer head
            log.warning("anchoring the audit head at the hub failed: %s", exc)
            return
        self.anchored = head

    def close(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=30)
        for client in self.clients:
            client.close()


def join_hub(platform: Platform, hub_url: str, *, admin_token: str | None, public_url: str, wait: float = 60.0) -> Membership:
    """Trust the hub's key, register with it, link its shared services (blacklist, subjects,
    trust list, single sign-on, investment projects, credit); the membership (not started)."""
    svc, code = platform.services, platform.settings.platform_code
    client, blacklist, shared = (httpx.Client(base_url=hub_url, timeout=30) for _ in range(3))
    hub_key = reach(client, wait)
    trust(svc, trusted_key(HUB_NAME, hub_key["public_pem"]))
    pair = vault_of(svc).keys.pair("signing", "intl")
    ensure_registered(client, code, registration(platform, pair.public_pem.decode(), public_url), admin_token)
    svc.blacklist = HttpBlacklist(blacklist, svc.clock)  # joint punishment: the hub's list
    credit = link_shared_services(svc, code, pair, shared)
    relay = Relay(uow=lambda: svc.uow(None), client=client, platform_id=code, pair=pair,
                  releases_of=TenderReleases(MappingOptions(platform_code=code)), clock=svc.clock,
                  acks=FileAcks(platform.settings.data_dir / ACKS_FILE), hub_key=hub_key["public_pem"].encode())
    return Membership(platform, relay, [client, blacklist, shared], credit)


def link_shared_services(svc: Services, code: str, pair: KeyPair, client: httpx.Client) -> CreditDelivery:
    """The hub's shared registration and identity, each through its port (docs/exchange.md):
    subject registry, trust list (CA mutual recognition), single sign-on, investment projects
    and credit records; returns the delivery step of the platform's credit records."""
    svc.subjects = HttpSubjectDirectory(client, code, pair, svc.clock)
    svc.trust = HttpTrustList(client, svc.clock)
    svc.hub_identity = HttpHubIdentity(client)
    svc.projects = HttpProjectRegistry(client)
    svc.credit = credit = HttpCredit(client, code, pair)
    return CreditDelivery(svc.uow, credit, svc.clock, f"交易平台 / trading platform {code}")


def reach(client: httpx.Client, wait: float) -> dict[str, Any]:
    """The hub's key, waiting up to ``wait`` seconds for the hub to come up."""
    end = time.monotonic() + wait
    while True:
        with contextlib.suppress(httpx.TransportError):
            answer = client.get("/hub/key")
            if answer.status_code == 200:
                key: dict[str, Any] = answer.json()
                return key
        if time.monotonic() >= end:
            raise JoinError(f"the hub at {client.base_url} does not answer GET /hub/key")
        time.sleep(0.5)


def ensure_registered(client: httpx.Client, code: str, body: dict[str, Any], admin_token: str | None) -> None:
    known = client.get(f"/hub/platforms/{code}")
    if known.status_code == 200:
        if known.json()["signing_key"]["public_pem"].strip() != body["public_key_pem"].strip():
            raise JoinError(f"{code} is registered at the hub with another signing key")
        return
    headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
    answer = client.post("/hub/platforms", json=body, headers=headers)
    if answer.status_code != 201:
        raise JoinError(f"registering {code} with the hub failed: HTTP {answer.status_code} {answer.text[:300]}")


def registration(platform: Platform, public_pem: str, public_url: str) -> dict[str, Any]:
    """The item-11 information (京发改〔2017〕1671号); operators replace the defaults by hand."""
    settings = platform.settings
    return registration_of(settings.platform_code, settings.platform_name, public_pem, f"{public_url}/openapi.json",
                           "未认证 / not certified (tenderhub certify)")


def registration_of(code: str, name: str, public_pem: str, interface: str, certification: str) -> dict[str, Any]:
    """Our ocids are the mapping's prefix and the tender code, which starts with the 11-character
    platform code (PROJECT_CODE C17): that prefix is registered, so no other platform can claim them."""
    return {
        "id": code, "name": name, "public_key_pem": public_pem, "ocid_prefix": f"{MappingOptions().ocid_prefix}{code}",
        "units": {u: name for u in ("construction", "operation", "development", "maintenance")},
        "responsible_people": [{"name": "平台运营人员 / operator", "role": "运营负责人 / operations"}],
        "certification": {"report": certification},
        "specifications": {"tool_software": "docs/cli.md", "interface": interface},
        "services": {"free": [{"name": "招标公告发布 / tender notices"}], "paid": []},
    }

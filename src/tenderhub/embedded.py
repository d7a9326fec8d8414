"""The embedded system (DESIGN.md §1, "Embedded default"): the hub and two trading platforms
in one process, each on its own SQLite file under one data directory, wired only through the
exchange protocol over HTTP.

```
DIR/hub/          hub.db, hub-keys/, hub-admin.token         (a hub data directory)
DIR/platform-a/   trading.db, keys/, blobs, operator.token   (a normal trading data directory)
DIR/platform-b/   the same, for the second platform
```

``open_embedded(DIR)`` opens (and migrates) the three, registers each platform with the hub by
``POST /hub/platforms`` (its signing key, ``DIR/platform-x/keys``), gives each platform a client
of the hub's blacklist (``services/credit.HttpBlacklist``, joint punishment) and an
outbox relay whose ``httpx.Client`` posts to the hub app in process (``httpx.ASGITransport``
driven from a synchronous client by ``InProcess``). ``system.app()`` is one ASGI app: the
platforms under ``/a`` and ``/b``, the hub at its own ``/hub/...`` paths; while the app runs
(its lifespan), a thread per platform relays the outbox every second, and the hub's portal
indexer (it follows the changes feed) and webhook delivery worker run in threads of their own.
``relay_until_idle`` does the same in the foreground (relay, then ``indexer.catch_up``), and
``hub_view`` reads the hub back through its HTTP API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from tenderhub.bootstrap import Platform, build
from tenderhub.core.shared.clock import Clock
from tenderhub.crypto.platform_keys import PlatformKeys
from tenderhub.exchange.ocds.mapping import MappingOptions
from tenderhub.exchange.ocds.packages import Publisher, release_package
from tenderhub.exchange.ocds.validate import validate_package
from tenderhub.hub import membership
from tenderhub.hub.app import create_hub_app
from tenderhub.hub.context import HUB_DB, Hub, open_hub
from tenderhub.hub.membership import ACKS_FILE, link_shared_services, registration_of
from tenderhub.hub.portal import delivery, indexer
from tenderhub.hub.relay import FileAcks, Relay, TenderReleases
from tenderhub.hub.serve import ADMIN_TOKEN_FILE, admin_token
from tenderhub.hub.transparency import post_chain_head
from tenderhub.services.credit import HttpBlacklist
from tenderhub.services.credit_records import CreditDelivery, drain_credit
from tenderhub.services.instructions import trust, trusted_key
from tenderhub.settings import Settings

HUB_DIR = "hub"
HUB_BASE = "http://hub.embedded"
PACKAGE_FILE = "ocds-release-package.json"
HUB_NAME = "tenderhub 公共服务平台 / hub"


@dataclass(frozen=True)
class Spec:
    """One trading platform of the embedded system: URL prefix, platform code, name."""

    slug: str
    code: str
    name: str

    @property
    def prefix(self) -> str:
        return f"/{self.slug}"

    def data_dir(self, root: Path) -> Path:
        return root / f"platform-{self.slug}"


SPECS = (Spec("a", "TH110000001", "tenderhub 交易平台 A"), Spec("b", "TH110000002", "tenderhub 交易平台 B"))


def platform_settings(root: Path, spec: Spec, *, allow_unsealed: bool = False) -> Settings:
    """The settings of one platform: its own data directory and SQLite file."""
    directory = spec.data_dir(root)
    return Settings(data_dir=directory, db_url=f"sqlite:///{(directory / 'trading.db').resolve()}",
                    platform_code=spec.code, platform_name=spec.name, allow_unsealed=allow_unsealed)


def database_files(root: Path) -> list[Path]:
    """Every database file the embedded system keeps under ``root``."""
    return [root / HUB_DIR / HUB_DB, *(spec.data_dir(root) / "trading.db" for spec in SPECS)]


class InProcess(httpx.BaseTransport):
    """A synchronous transport over ``httpx.ASGITransport``: each request runs on this
    transport's own event loop, in the calling thread (one caller at a time)."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.loop = asyncio.new_event_loop()
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            return self.loop.run_until_complete(self._send(request))

    async def _send(self, request: httpx.Request) -> httpx.Response:
        answer = await self.inner.handle_async_request(request)
        content = await answer.aread()
        return httpx.Response(answer.status_code, headers=answer.headers, content=content, request=request)

    def close(self) -> None:
        self.loop.close()


@dataclass
class Member:
    """One trading platform inside the embedded system, with its relay to the hub."""

    spec: Spec
    platform: Platform
    relay: Relay
    blacklist: HttpBlacklist | None = None  # the platform's client of the hub's blacklist
    hub: httpx.Client | None = None  # the client behind the other hub ports (subjects, trust, SSO, projects, credit)
    credit: CreditDelivery | None = None  # credit records to the hub (services/credit_records.py), next to the relay


@dataclass
class Embedded:
    root: Path
    hub: Hub
    hub_app: Any
    admin_token: str
    client: httpx.Client
    members: list[Member] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def app(self) -> Starlette:
        """One ASGI app: ``/a`` and ``/b`` the platforms, ``/hub/...`` the hub, ``/`` an index."""
        from tenderhub.web.trading.app import create_app

        routes: list[Any] = [Route("/", self.index)]
        routes += [Mount(m.spec.prefix, app=create_app(m.platform)) for m in self.members]
        return Starlette(routes=[*routes, Mount("", app=self.hub_app)], lifespan=self.lifespan)

    async def index(self, request: Request) -> JSONResponse:
        return JSONResponse({"hub": "/hub/platforms", "feed": "/hub/feed",
                             "platforms": {m.spec.code: {"name": m.spec.name, "api": f"{m.spec.prefix}/api", "docs": f"{m.spec.prefix}/docs"}
                                           for m in self.members}})

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        self.start_relays()
        try:
            yield
        finally:
            self.stop_relays()

    def start_relays(self, *, idle: float = 1.0) -> None:
        """A thread per platform relaying its outbox every ``idle`` seconds until stopped."""
        self.stop.clear()
        for member in self.members:
            thread = threading.Thread(target=member.relay.run, args=(self.stop,), kwargs={"idle": idle, "sleep": self.stop.wait},
                                      name=f"relay-{member.spec.slug}", daemon=True)
            thread.start()
            self.threads.append(thread)
        for member in self.members:  # credit records: their own delivery step, driven like the relay
            if member.credit is not None:
                thread = threading.Thread(target=member.credit.run, args=(self.stop,), kwargs={"idle": idle, "sleep": self.stop.wait},
                                          name=f"credit-{member.spec.slug}", daemon=True)
                thread.start()
                self.threads.append(thread)
        anchoring = threading.Thread(target=self.anchor_loop, args=(idle * 30,), name="anchor-heads", daemon=True)
        anchoring.start()
        self.threads.append(anchoring)
        self.start_hub_workers(idle)

    def start_hub_workers(self, idle: float) -> None:
        """The portal indexer (behind the feed by < 1 s) and the subscriptions' webhook worker."""
        for name, follow, every in (("portal-indexer", indexer.follow, min(idle, indexer.IDLE)), ("portal-webhooks", delivery.follow, idle)):
            thread = threading.Thread(target=follow, args=(self.hub, self.stop), kwargs={"idle": every, "sleep": self.stop.wait},
                                      name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def anchor_loop(self, every: float) -> None:
        """Anchor each platform's audit head in the hub's transparency log, periodically."""
        while not self.stop.is_set():
            with contextlib.suppress(httpx.HTTPError):  # hub down: the next round anchors the newer head
                self.anchor_heads()
            self.stop.wait(every)

    def anchor_heads(self) -> dict[str, Any]:
        """Post every platform's current audit-chain head to the hub; the hub's receipts."""
        return {m.spec.code: post_chain_head(m.relay.uow, m.relay.client, m.spec.code, m.relay.pair) for m in self.members}

    def stop_relays(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)
        self.threads.clear()

    def relay_until_idle(self, *, limit: int = 100) -> dict[str, dict[str, int]]:
        """Relay every platform's outbox in the foreground until nothing more moves, then anchor
        each platform's audit head in the hub's transparency log."""
        credit = {m.spec.code: drain_credit(m.credit, limit)["sent"] for m in self.members if m.credit is not None}  # first: its receipts are outbox rows too
        moved = {m.spec.code: drain(m.relay, limit) for m in self.members}
        for code, sent in credit.items():
            moved[code]["credit_sent"] = sent
        self.anchor_heads()
        indexer.catch_up(self.hub)  # the portal, before anyone reads the hub's view
        return moved

    def pending(self) -> dict[str, int]:
        counts = {}
        for member in self.members:
            with member.platform.services.uow(None) as uow:
                counts[member.spec.code] = len(uow.outbox.pending(100_000))
        return counts

    def close(self) -> None:
        self.stop_relays()
        for member in self.members:
            member.relay.client.close()
            if member.blacklist is not None:
                member.blacklist.client.close()
            if member.hub is not None:
                member.hub.close()
            member.platform.engine.dispose()
        self.client.close()
        self.hub.close()


def drain(relay: Relay, limit: int) -> dict[str, int]:
    totals = {"sent": 0, "skipped": 0, "refused": 0, "transient": 0}
    while True:
        batch = relay.relay_once(limit)
        for key, value in (("sent", batch.sent), ("skipped", batch.skipped), ("refused", batch.refused), ("transient", int(batch.transient))):
            totals[key] += value
        if not batch.handled or batch.transient:
            return totals


def hub_client(hub_app: Any) -> httpx.Client:
    return httpx.Client(transport=InProcess(hub_app), base_url=HUB_BASE, timeout=60)


def open_embedded(root: Path, *, clock: Clock | None = None) -> Embedded:
    """Open (creating if needed) the hub and the two platforms under ``root`` and register them."""
    root = Path(root)
    (root / HUB_DIR).mkdir(parents=True, exist_ok=True)
    hub = open_hub(root / HUB_DIR, clock=clock)
    token, _created = admin_token(root / HUB_DIR)
    hub_app = create_hub_app(hub, admin_token=token)
    system = Embedded(root, hub, hub_app, token, hub_client(hub_app))
    for spec in SPECS:
        system.members.append(join(system, spec, clock))
    return system


def join(system: Embedded, spec: Spec, clock: Clock | None) -> Member:
    platform = build(platform_settings(system.root, spec), clock=clock)
    pair = PlatformKeys(spec.data_dir(system.root) / "keys").pair("signing", "intl")
    ensure_registered(system, spec, pair.public_pem.decode())
    relay = Relay(uow=lambda: platform.services.uow(None), client=hub_client(system.hub_app), platform_id=spec.code, pair=pair,
                  releases_of=TenderReleases(MappingOptions(platform_code=spec.code)), clock=clock,
                  acks=FileAcks(spec.data_dir(system.root) / ACKS_FILE),  # releases the hub acknowledged
                  hub_key=system.hub.key_info()["public_pem"].encode())  # its receipts are checked
    blacklist = HttpBlacklist(hub_client(system.hub_app), platform.services.clock)
    platform.services.blacklist = blacklist  # joint punishment: every platform checks the hub's list
    trust(platform.services, trusted_key(HUB_NAME, system.hub.key_info()["public_pem"]))  # the hub's signed instructions
    shared = hub_client(system.hub_app)
    credit = link_shared_services(platform.services, spec.code, pair, shared)
    return Member(spec, platform, relay, blacklist, shared, credit)


def ensure_registered(system: Embedded, spec: Spec, public_pem: str) -> None:
    """Register the platform with the hub over HTTP unless it already is (with this key)."""
    body = registration_of(spec.code, spec.name, public_pem, f"{spec.prefix}/openapi.json",
                           "未认证：演示部署 / not certified: demonstration deployment")
    try:
        membership.ensure_registered(system.client, spec.code, body, system.admin_token)
    except membership.JoinError as exc:
        raise RuntimeError(str(exc)) from exc


# ---- the hub's view, read through its HTTP API ------------------------------------------------


def hub_releases(client: httpx.Client) -> list[dict[str, Any]]:
    """Every feed item of the hub, in feed order."""
    items: list[dict[str, Any]] = []
    cursor = ""
    while page := client.get("/hub/feed", params={"cursor": cursor, "limit": 1000}).json()["items"]:
        items += page
        cursor = str(page[-1]["position"])
    return items


def stage_of(release: dict[str, Any]) -> str:
    """The stage in a release id ``{ocid}-{stage}-{key}``."""
    return str(release["id"]).removeprefix(f"{release['ocid']}-").split("-", 1)[0]


def record_facts(client: httpx.Client, ocid: str, platform_id: str) -> dict[str, Any]:
    record = client.get(f"/hub/records/{ocid}").json()
    stages: dict[str, int] = {}
    for release in record["releases"]:
        stages[stage_of(release)] = stages.get(stage_of(release), 0) + 1
    compiled = record["compiledRelease"]
    return {"ocid": ocid, "platform_id": platform_id, "title": compiled.get("tender", {}).get("title"),
            "releases": len(record["releases"]), "stages": stages, "tag": compiled.get("tag")}


def hub_view(system: Embedded, *, package_path: Path | None = None) -> dict[str, Any]:
    """What the hub holds: registry, feed, records, and its release package validated."""
    client = system.client
    items = hub_releases(client)
    by_platform: dict[str, int] = {}
    ocids: dict[str, str] = {}
    for item in items:
        by_platform[item["platform_id"]] = by_platform.get(item["platform_id"], 0) + 1
        ocids.setdefault(item["release"]["ocid"], item["platform_id"])
    platforms = [{"id": p["id"], "name": p["name"], "releases": p["exchange"]["releases"], "last_release_at": p["exchange"]["last_release_at"]}
                 for p in client.get("/hub/platforms").json()]
    return {"platforms": platforms, "feed_length": len(items), "releases_by_platform": by_platform,
            "records": [record_facts(client, ocid, platform) for ocid, platform in ocids.items()],
            "package": package_facts([i["release"] for i in items], package_path)}


def package_facts(releases: list[dict[str, Any]], path: Path | None) -> dict[str, Any]:
    """The hub's published release package, validated; written to ``path`` when given."""
    package = release_package(releases, publisher=Publisher(HUB_NAME), uri=f"{HUB_BASE}/hub/feed")
    problems = validate_package(package)
    if path is not None:
        path.write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    return {"path": str(path.resolve()) if path else None, "releases": len(releases), "valid": not problems,
            "problems": [{"path": p.path, "message": p.message} for p in problems[:20]]}


def token_files(root: Path) -> dict[str, Path]:
    """Where the hub administrator token and each platform's operator token are kept."""
    from tenderhub.commands.serve import TOKEN_FILE

    return {"hub": root / HUB_DIR / ADMIN_TOKEN_FILE, **{s.code: s.data_dir(root) / TOKEN_FILE for s in SPECS}}

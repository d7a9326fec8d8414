"""Hubs form a tree (电子招标投标办法 第45条): a lower hub joins an upper hub and forwards to it
what its own platforms registered and published, by the same protocol.

第45条 (as quoted by 中国招标投标公共服务平台, ``cn-rules.md`` §9.7): each trading platform
registers with one public service platform, and each public service platform registers with
and connects to the platform of the next level up, the national one at the root.

**Joining.** The lower hub registers with the upper hub as a member of kind ``hub``
(``POST /hub/platforms`` with the upper hub's administrator token, like a platform): its id,
name and signing key (``Hub.key_info()``, the key of its receipts).

**Forwarded registrations** (``POST /hub/platforms:forward``, no administrator token): the
lower hub sends ``{hub_id, registration, signature}``: ``registration`` is the platform's
registration as the lower hub holds it (id, name, signing key or certificate, item-11
information), ``signature`` the lower hub's signature over the canonical JSON of
``{"type": FORWARD_TYPE, "hub_id": …, "registration": …}``. The upper hub checks that
``hub_id`` is a registered member of kind ``hub`` and that the signature verifies with its
registered key, then registers the platform with ``via: hub_id``. Idempotent: the same
platform, key and ``via`` again is 200; another key or another ``via`` is 409.

**Forwarded releases** are the platform's original envelopes, never re-signed, each with its
proof of inclusion in this hub's log (``POST /hub/releases:forward``, ``hub/proven.py``, ADR
0029); the upper hub checks the proof, then each release against the platform's own key, so
it can prove a release came from its platform and is in this hub's log. A release its platform signed in a batch (ADR 0013) is
forwarded with ``batch``: the signed batch head and the release's index and audit path, which
verify it alone. The ``Forwarder`` follows the lower hub's feed in commit
order from the cursor in ``hub_upstream_cursor`` (one row), forwards the registrations it has
not forwarded yet in this process, reads up to ``limit`` envelopes and chain heads, sends its
tree head (which covers them), posts them with their proofs under it, and advances the cursor
over the items the upper hub answered ``created`` or ``repeat`` (its receipts). A transport
error, 5xx or 429 keeps the cursor and backs off (``relay.Backoff``); the upper hub is
idempotent by (ocid, release id), so a lost answer only leads to a ``repeat``: exactly once. A
refused release stops the cursor before it and is retried after backoff until an operator
resolves it (the batch judges each release on its own, so later releases of that batch may be
stored upstream already: they come back as ``repeat``).

**Forwarded chain heads** are the platforms' audit chain heads as the platforms signed them
(``POST /hub/chain-heads:forward`` upstream, proven in this hub's log and checked there
against the platform's own key): the
forwarder follows ``hub_chain_heads`` in log order from a second cursor row (``HEADS``) and
advances it over each head the upper hub logged (201) or already had (200), so across an
outage each head is logged upstream once.

**Refusals for good.** A forwarded registration or chain head the upper hub answers with a 4xx
(an id taken upstream by another key, a platform that changed its key) is recorded in
``hub_upstream_refusals`` (``hub/upstream.py``, ``GET /hub/upstream/refusals``) and forwarding
goes on past it; transient errors are retried. A refused release stops the feed cursor but not
the heads and the tree head of the same round. Heads logged before migration 0004 have no stored
signature and are not forwarded. ``tenderhub audit verify --hub UPPER`` then checks a
platform's chain against the upper hub's log as well.

**Tree heads.** Each round sends, before the items, the lower hub's signed tree head and a consistency proof
from the last one the upper hub accepted (``hub/monitor.py``): the upper hub keeps them and
flags a lower hub whose log forked or was rewritten, or that signed a false claim of inclusion,
refusing until an operator clears the flag what that hub vouches for (its registrations, tree
heads and proven forwards: 409 ``hub_forked``, ``hub_flagged``; ADR 0031); ``GET /hub/lower-hubs``
shows it to everyone. An unchanged tree head is signed again and sent every
``monitor.HEARTBEAT``, so the upper hub can tell a quiet lower hub from a silent one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse

from tenderhub.core.shared.errors import Conflict, DomainError, Forbidden, Invalid
from tenderhub.hub import (
    monitor,
    protocol,
    proven,
    registry,
    stored,
    tables,
    transparency,
    upstream,
)
from tenderhub.hub.context import Hub
from tenderhub.hub.monitor import lower_hub_key
from tenderhub.hub.relay import (
    Backoff,
    Refused,
    Transient,
    hub_answer,
    hub_call,
    raise_if_unavailable,
)
from tenderhub.web.common.errors import STATUS_OF_KIND

log = logging.getLogger("tenderhub.hub.tree")

FORWARD_PATH = "/hub/platforms:forward"
FORWARD_TYPE = "tenderhub.hub.forwarded-registration/1"
LIMIT = 500
FEED, HEADS = 1, 2  # the cursor rows: the feed position, the leaf index of the last chain head forwarded

cursor = sa.Table(
    "hub_upstream_cursor",
    tables.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("position", sa.BigInteger, nullable=False),  # the last feed position (leaf index) the upper hub acknowledged
)


# ---- the upper hub: a registration forwarded by a lower hub --------------------------------------

def signed_part(hub_id: str, registration: dict[str, Any]) -> dict[str, Any]:
    return {"type": FORWARD_TYPE, "hub_id": hub_id, "registration": registration}


def accept_forwarded(hub: Hub, body: Any) -> tuple[bool, dict[str, Any]]:
    """Register a platform forwarded by a lower hub; (created, the listing entry)."""
    if not isinstance(body, dict):
        raise Invalid("a JSON object {hub_id, registration, signature} is required", message_zh="须为 JSON 对象", field="/")
    hub_id, registration, signature = (registry.text(body, "hub_id"), registry.section(body, "registration"),
                                       registry.text(body, "signature"))
    suite, public = lower_hub_key(hub, hub_id)
    if not protocol.verify(suite, public, signed_part(hub_id, registration), signature):
        raise Forbidden("the signature does not verify with the lower hub's registered key",
                        message_zh="签名无法用下级公共服务平台登记的公钥验证", field="/signature", code="bad_signature")
    try:  # signed by the lower hub: a refusal from here on is recorded against it (proven.record_refused)
        if registration.get("kind", "platform") != "platform":
            raise Invalid("registration.kind: only trading platforms are forwarded", message_zh="registration.kind：只转发交易平台登记", field="registration.kind")
        row = registry.member_row(hub, registration, via=hub_id)
        return _store_forwarded(hub, row), registry.get(hub, row["id"])
    except DomainError as error:
        proven.record_refused(hub, hub_id, upstream.REGISTRATION, [(str(registration.get("id") or "?"), error)])
        raise


def _store_forwarded(hub: Hub, row: dict[str, Any]) -> bool:
    """Insert the row once; the same platform forwarded concurrently is a repeat (no 500)."""
    try:
        return _insert_forwarded(hub, row)
    except sa.exc.IntegrityError:  # PostgreSQL: another request inserted it first; compare with it
        return _insert_forwarded(hub, row)


def _insert_forwarded(hub: Hub, row: dict[str, Any]) -> bool:
    p = tables.platforms
    with hub.engine.connect() as conn, conn.begin():
        registry.lock(conn)
        known = conn.execute(sa.select(p.c.key_fingerprint, p.c.via).where(p.c.id == row["id"])).first()
        if known is None:
            registry.refuse_overlap(conn, row["ocid_prefix"])
            conn.execute(sa.insert(p).values(**row))
            return True
    if known.key_fingerprint != row["key_fingerprint"] or known.via != row["via"]:
        raise Conflict(f"platform {row['id']} is already registered with another key or through another hub",
                       message_zh=f"交易平台 {row['id']} 已以其他公钥或经其他公共服务平台登记", field="registration.id")
    return False


def post_forwarded(request: Request, body: Any = Body(...)) -> JSONResponse:
    """登记下级公共服务平台转发的交易平台 / Register a platform forwarded by a lower hub (signed by that hub)."""
    created, view = accept_forwarded(request.app.state.hub, body)
    return JSONResponse(view, status_code=201 if created else 200)


def install(app: FastAPI) -> None:
    app.add_api_route(FORWARD_PATH, post_forwarded, methods=["POST"], tags=["hub"])
    upstream.install(app)  # GET /hub/upstream/refusals: what the upper hub refused this hub for good


# ---- the lower hub: joining and forwarding ---------------------------------------------------

class UpstreamError(Exception):
    """The upper hub refused to register this hub (a wrong token, an id taken by another key)."""


def default_hub_id(hub: Hub) -> str:
    return f"hub-{hub.key_info()['fingerprint'][:16]}"


def join_upstream(hub: Hub, client: httpx.Client, hub_id: str, name: str, token: str | None) -> None:
    """Register this hub with the upper hub as a member of kind ``hub`` (once)."""
    public = hub.key_info()["public_pem"]
    known = hub_call(client, "GET", f"/hub/platforms/{hub_id}")
    if known.status_code != 404:
        raise_if_unavailable(known)
    if known.status_code == 200:
        found = known.json()
        if found.get("kind") != "hub" or found["signing_key"]["public_pem"].strip() != public.strip():
            raise UpstreamError(f"{hub_id} is registered at the upper hub with another key or kind")
        return
    body = {"id": hub_id, "name": name, "kind": "hub", "public_key_pem": public}
    answer = hub_call(client, "POST", "/hub/platforms", json=body, headers={"Authorization": f"Bearer {token}"} if token else {})
    if answer.status_code != 201:
        raise_if_unavailable(answer)
        raise UpstreamError(f"registering {hub_id} with the upper hub failed: HTTP {answer.status_code} {answer.text[:300]}")


def forwarded_registration(hub: Hub, hub_id: str, row: Any) -> dict[str, Any]:
    key = {"certificate_pem": row.certificate_pem} if row.certificate_pem else {"public_key_pem": row.public_pem}
    prefix = {"ocid_prefix": row.ocid_prefix} if row.ocid_prefix else {}
    registration = {"id": row.id, "name": row.name, "kind": "platform", **key, **prefix, **row.info}
    return {"hub_id": hub_id, "registration": registration,
            "signature": protocol.sign(hub.signing_pair(), signed_part(hub_id, registration))}


def read_position(hub: Hub, row: int = FEED) -> int:
    """The feed cursor (0: nothing yet), or the ``HEADS`` cursor (-1: nothing yet)."""
    with hub.engine.connect() as conn:
        found = conn.execute(sa.select(cursor.c.position).where(cursor.c.id == row)).scalar()
    return int(found) if found is not None else (0 if row == FEED else -1)


def store_position(hub: Hub, position: int, row: int = FEED) -> None:
    with hub.engine.begin() as conn:
        if conn.execute(sa.update(cursor).where(cursor.c.id == row).values(position=position)).rowcount == 0:
            conn.execute(sa.insert(cursor).values(id=row, position=position))


def pending(hub: Hub, after: int, limit: int) -> list[Any]:
    """Feed items after ``after`` with the platform's original signature (of the release
    alone, or of its batch: the batch head and the release's audit path), in feed order."""
    r = tables.releases
    query = stored.stored_query().where(r.c.position > after).order_by(r.c.position).limit(limit)
    with hub.engine.connect() as conn:
        return list(conn.execute(query).all())


@dataclass
class Round:
    created: int = 0
    repeat: int = 0
    position: int = 0
    heads: int = 0  # chain heads forwarded

    @property
    def handled(self) -> int:
        return self.created + self.repeat + self.heads


class Forwarder:
    """Forwards the lower hub's platforms and releases to the upper hub at ``client``."""

    def __init__(self, hub: Hub, client: httpx.Client, hub_id: str, *, name: str | None = None,
                 token: str | None = None, limit: int = LIMIT) -> None:
        self.hub, self.client, self.hub_id, self.limit = hub, client, hub_id, limit
        self.name, self.token = name or f"公共服务平台 / hub {hub_id}", token
        self.joined, self.forwarded, self.posts = False, set[str](), 0
        self.accepted: tuple[int, str] | None = None  # (size, root) of the upper hub's last accepted tree head
        self.signed_at: datetime | None = None  # when the tree head last sent up was signed (the heartbeat)
        self.backoff = Backoff()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def forward_once(self) -> Round:
        """Join (once), forward new registrations; then this hub's tree head, and one batch of the
        feed and of new chain heads, each item with its proof of inclusion under that tree head."""
        if not self.joined:
            join_upstream(self.hub, self.client, self.hub_id, self.name, self.token)
            self.joined = True
        self.forward_registrations()
        items = pending(self.hub, read_position(self.hub), self.limit)
        heads = transparency.signed_heads(self.hub, read_position(self.hub, HEADS), self.limit)
        self.forward_tree_head()  # read after the items: their leaves are in it
        size = self.accepted[0] if self.accepted else 0
        refused: Refused | None = None
        try:
            done = self._settle(items, self._post(items, size)) if items else Round(position=read_position(self.hub))
        except Refused as exc:  # a refused release stops the feed cursor, not the heads going up
            done, refused = Round(position=read_position(self.hub)), exc
        done.heads = self.forward_heads(heads, size) if heads else 0
        if refused is not None:
            raise refused
        return done

    def forward_heads(self, heads: list[Any], size: int) -> int:
        """Chain heads logged since the ``HEADS`` cursor, as their platforms signed them, proven in
        the tree of ``size``; the cursor advances over each head the upper hub logged, already had,
        or refused for good (recorded). A refusal of the whole post (``hub_forked``) moves nothing."""
        answer = hub_call(self.client, "POST", proven.HEADS_PATH, json=proven.heads_post(self.hub, self.hub_id, size, heads))
        for head, result in zip(heads, hub_answer(answer)["results"], strict=True):
            if result["status"] == "refused":
                error = result["error"]
                refusal = upstream.Refusal(STATUS_OF_KIND.get(error["kind"], 422), error["code"], error["message"]["en"])
                upstream.record(self.hub, upstream.CHAIN_HEAD, f"{head.platform_id}#{head.seq}", refusal)
        store_position(self.hub, heads[-1].leaf_index, HEADS)
        return len(heads)

    def forward_tree_head(self) -> bool:
        """This hub's signed tree head, proven consistent with the last one the upper hub accepted."""
        if self.accepted is None:
            found = hub_answer(hub_call(self.client, "GET", f"/hub/lower-hubs/{self.hub_id}"))["tree_head"]
            self.accepted = (found["size"], found["root"]) if found else (0, "")
        sth = transparency.tree_head(self.hub)
        unchanged = (sth.size, sth.root_hex) == self.accepted
        if unchanged and self.signed_at is not None and sth.timestamp - self.signed_at < monitor.HEARTBEAT:
            return False  # nothing new, and the upper hub heard from this hub lately
        answer = hub_call(self.client, "POST", monitor.FORWARD_STH_PATH, json=monitor.tree_head_post(self.hub, self.hub_id, sth, self.accepted[0]))
        if answer.status_code not in (200, 201):
            self.accepted = None  # read the upper hub's view again next round
        hub_answer(answer)
        self.accepted, self.signed_at = (sth.size, sth.root_hex), sth.timestamp
        return not unchanged

    def forward_registrations(self) -> None:
        """Each platform once per process; a registration refused for good is recorded, not retried."""
        p = tables.platforms
        with self.hub.engine.connect() as conn:
            rows = conn.execute(sa.select(p).where(p.c.kind == "platform").order_by(p.c.id)).all()
        for row in rows:
            if row.id not in self.forwarded:
                refusal = upstream.post(self.client, FORWARD_PATH, forwarded_registration(self.hub, self.hub_id, row))
                if refusal is not None:
                    upstream.record(self.hub, upstream.REGISTRATION, row.id, refusal)
                self.forwarded.add(row.id)

    def _post(self, items: list[Any], size: int) -> list[dict[str, Any]]:
        body = proven.releases_post(self.hub, self.hub_id, size, items)
        self.posts += 1
        results: list[dict[str, Any]] = hub_answer(hub_call(self.client, "POST", proven.RELEASES_PATH, json=body))["results"]
        return results

    def _settle(self, items: list[Any], results: list[dict[str, Any]]) -> Round:
        """Advance over the acknowledged prefix; a refusal stops it there (``Refused``)."""
        done = Round(position=read_position(self.hub))
        for item, result in zip(items, results, strict=True):
            if result["status"] not in ("created", "repeat"):
                self._advance(done)
                raise Refused(f"the upper hub refused release {result['release_id']}: {result['error']['code']} at {result['error']['field']}")
            done.created += result["status"] == "created"
            done.repeat += result["status"] == "repeat"
            done.position = item.position
        self._advance(done)
        return done

    def _advance(self, done: Round) -> None:
        if done.handled:
            store_position(self.hub, done.position)

    def run(self, stop: threading.Event, *, idle: float = 1.0, sleep: Callable[[float], Any] | None = None) -> None:
        """Forward until ``stop`` is set: back off after a failure, wait ``idle`` when caught up."""
        wait = sleep or stop.wait
        while not stop.is_set():
            try:
                done = self.forward_once()
            except (Transient, Refused, UpstreamError) as exc:
                log.warning("forwarding to the upper hub failed: %s", exc)
                wait(self.backoff.next_delay())
                continue
            self.backoff.reset()
            if done.handled < self.limit:
                wait(idle)

    def start(self, *, idle: float = 1.0) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, args=(self._stop,), kwargs={"idle": idle}, name="hub-forwarder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

"""The upper hub watches its lower hubs' transparency logs (电子招标投标办法 第45条, RFC 9162 §8.2).

A lower hub of the tree (``hub/tree.py``) sends its signed tree head (STH) with each forwarding
round (``POST /hub/tree-heads:forward``): ``{hub_id, sth, first, consistency, signature}``,
``signature`` the lower hub's over the canonical JSON of ``{"type": TYPE, "hub_id", "sth",
"first", "consistency"}``; ``consistency`` proves the tree ``sth`` extends the tree of ``first``
leaves, which must be the size of the last STH this hub accepted from it (0 at first: the
first STH is taken on trust). The upper hub checks, in this order:

* ``hub_id`` is a member of kind ``hub`` (404, 403 ``not_a_hub``) that is not flagged (409
  ``hub_forked``, or ``hub_flagged`` for a false claim: ``flags.refusal``; ``lower_hub_key``);
* the post's signature and the STH's signature verify with its registered key (401/403
  ``bad_signature``, ``bad_sth``: a forged post flags nobody);
* ``first`` is the size of the last accepted STH (else 409 ``stale_tree_head``: read it again
  from ``GET /hub/lower-hubs/{id}`` and prove from there);
* under a lock per lower hub: not flagged meanwhile (409 ``hub_forked``); the same size and root
  again is a repeat (200; signed later, it refreshes the accepted row: the lower hub's
  heartbeat); otherwise the proof must verify (``verify_consistency``) and the STH's timestamp be
  sane (not ahead of this hub's clock by more than ``SKEW``: 422 ``tree_head_in_future``; not
  before the last accepted one: 409 ``tree_head_older``): then the STH is kept (201,
  ``hub_lower_tree_heads``).

A proof that does not verify, a smaller tree or another root at the same size means the lower
hub signed two histories that cannot both be true: its log forked or was rewritten. The
upper hub keeps the evidence (both STHs, both signed by the lower hub, and the failed proof
with the post's signature) as a ``fork`` flag (``hub/flags.py``, ``hub_lower_flags``), answers
409 ``hub_log_forked``, and refuses until an operator clears the flag (``hub/clearing.py``, ADR
0031) what the lower hub vouches for with its own key: its tree heads, the registrations and the
proven items it forwards (409 ``hub_forked``). Releases and chain heads it forwards carry their
platform's own signature and their proof of inclusion in its log (``hub/proven.py``, ADR 0029; a
signed claim whose proof fails flags the hub too, ``false_claim``); while it is flagged, its
platforms may post them past it (ADR 0015).

Every STH accepted, and the one that proved a fork, is appended to this hub's own log
(``log_tree_head``, entry ``tree_head``) in the judge's transaction: this hub's tree heads commit
to the histories of its lower hubs it has seen (ADR 0029).

``GET /hub/lower-hubs`` is the public monitor view: every lower hub, its state (``ok``,
``forked``, ``false_claim``, ``waiting`` for a first STH), its last accepted STH, the live fork's
evidence, its flags (``live``, and how many ``cleared``), and how
long it has not been heard from (``seconds_since_accepted``, ``stale`` past ``STALE_AFTER``),
and what this hub refused of it (``refusals``, ``proven.refusal_summary``);
``GET /hub/lower-hubs/{id}`` one of them, ``GET /hub/lower-hubs/{id}/tree-heads`` the accepted
STHs in size order (``after``, a page of ``PAGE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse

from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from tenderhub.db.types import JsonType, UtcDateTime
from tenderhub.hub import flags, protocol, registry, tables, transparency
from tenderhub.hub.access import the_hub
from tenderhub.hub.context import Hub
from tenderhub.hub.tlog import SignedTreeHead, entry_for_tree_head, verify_consistency, verify_sth

FORWARD_STH_PATH = "/hub/tree-heads:forward"
SKEW = timedelta(minutes=5)  # how far ahead of this hub's clock a tree head's timestamp may be
HEARTBEAT = timedelta(minutes=10)  # a lower hub re-signs an unchanged tree head at least this often (tree.Forwarder)
STALE_AFTER = 3 * HEARTBEAT  # not heard from for longer: ``stale`` in the monitor view
TYPE = "tenderhub.hub.forwarded-tree-head/1"
PAGE = 100
_HEX64 = re.compile(r"[0-9a-f]{64}")

# ---- tables (on the hub's metadata; migration 0004) -----------------------------------------

tree_heads = sa.Table(  # every STH accepted from a lower hub, consistent with the one before
    "hub_lower_tree_heads",
    tables.metadata,
    sa.Column("hub_id", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("timestamp", UtcDateTime, nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("key_fingerprint", sa.String(64), nullable=False),
    sa.Column("accepted_at", UtcDateTime, nullable=False),
)

forks = sa.Table(  # legacy (revisions 0004–0009): copied into hub_lower_flags by revision 0010, read by nothing; to be dropped
    "hub_lower_forks",
    tables.metadata,
    sa.Column("hub_id", sa.String(64), primary_key=True),
    sa.Column("detected_at", UtcDateTime, nullable=False),
    sa.Column("evidence", JsonType, nullable=False),
)


# ---- the lower hub's key, refused while it is flagged -----------------------------------------

def lower_hub_key(hub: Hub, hub_id: str) -> tuple[str, bytes]:
    """The registered key of the lower hub ``hub_id``; 404 unknown, 403 not a hub, 409 flagged
    (``flags.refusal``: a fork, a false claim, until an operator clears it)."""
    key = registered_key(hub, hub_id)
    with hub.engine.connect() as conn:
        flag = flags.live(conn, hub_id)
    if flag is not None:
        raise flags.refusal(flag)
    return key


def registered_key(hub: Hub, hub_id: str) -> tuple[str, bytes]:
    """The registered key of the lower hub ``hub_id``, flagged or not; 404 unknown, 403 not a hub."""
    p = tables.platforms
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(p.c.suite, p.c.public_pem, p.c.kind).where(p.c.id == hub_id)).first()
    if row is None:
        raise NotFound(f"hub {hub_id} is not registered", message_zh=f"公共服务平台 {hub_id} 未登记", field="/hub_id")
    if row.kind != "hub":
        raise Forbidden(f"{hub_id} is not registered as a hub (kind hub)", message_zh=f"{hub_id} 未登记为下级公共服务平台",
                        field="/hub_id", code="not_a_hub")
    return row.suite, row.public_pem.encode()


# ---- a forwarded tree head ------------------------------------------------------------------

@dataclass(frozen=True)
class TreeHeadPost:
    hub_id: str
    sth: SignedTreeHead
    first: int
    consistency: list[str]
    signature: str
    raw_sth: dict[str, Any]

    def signed(self) -> dict[str, Any]:
        return signed_part(self.hub_id, self.raw_sth, self.first, self.consistency)


def signed_part(hub_id: str, sth: dict[str, Any], first: int, consistency: list[str]) -> dict[str, Any]:
    return {"type": TYPE, "hub_id": hub_id, "sth": sth, "first": first, "consistency": consistency}


def parse(body: Any) -> TreeHeadPost:
    if not isinstance(body, dict):
        raise Invalid("a JSON object {hub_id, sth, first, consistency, signature} is required", message_zh="须为 JSON 对象", field="/")
    hub_id, raw, signature = registry.text(body, "hub_id"), registry.section(body, "sth"), registry.text(body, "signature")
    first, proof = body.get("first"), body.get("consistency")
    if isinstance(first, bool) or not isinstance(first, int) or first < 0:
        raise Invalid("/first: a non-negative integer is required", message_zh="/first：须为非负整数", field="/first")
    if not isinstance(proof, list) or not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in proof):
        raise Invalid("/consistency: a list of hashes (64 lowercase hex digits) is required", message_zh="/consistency：须为哈希列表", field="/consistency")
    return TreeHeadPost(hub_id, parse_sth(raw), first, proof, signature, raw)


def parse_sth(raw: dict[str, Any], field: str = "/sth") -> SignedTreeHead:
    try:
        sth = SignedTreeHead.from_dict(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise Invalid(f"{field}: not a signed tree head ({exc})", message_zh=f"{field}：不是签名树头", field=field) from None
    if sth.size < 0 or not _HEX64.fullmatch(sth.root_hex) or sth.timestamp.utcoffset() is None or sth.as_dict() != raw:
        raise Invalid(f"{field}: exactly {{size, root, timestamp, signature, key_fingerprint}} as GET /hub/log/sth writes them",
                      message_zh=f"{field}：须与 GET /hub/log/sth 的签名树头逐字段一致", field=field)
    return sth


def accept_tree_head(hub: Hub, body: Any) -> tuple[bool, dict[str, Any]]:
    """Check and keep a lower hub's STH: (created, the lower hub's monitor view)."""
    post = parse(body)
    suite, pem = lower_hub_key(hub, post.hub_id)
    if not protocol.verify(suite, pem, post.signed(), post.signature):
        raise Forbidden("the signature does not verify with the lower hub's registered key",
                        message_zh="签名无法用下级公共服务平台登记的公钥验证", field="/signature", code="bad_signature")
    if not verify_sth(post.sth, pem):
        raise Forbidden("the tree head is not signed by the lower hub's registered key",
                        message_zh="树头不是下级公共服务平台登记的公钥所签", field="/sth/signature", code="bad_sth")
    try:
        created = _judge(hub, post)
    except sa.exc.IntegrityError:  # the same hub posted concurrently
        raise Conflict("another tree head of this hub was accepted meanwhile: retry", message_zh="请重试", code="busy") from None
    return created, lower_hub(hub, post.hub_id)


def _judge(hub: Hub, post: TreeHeadPost) -> bool:
    with hub.engine.begin() as conn:
        lock(conn, post.hub_id)
        flagged = flags.live(conn, post.hub_id)
        if flagged is not None:  # by a request judged while this one waited for the lock
            raise flags.refusal(flagged)
        last = last_accepted(conn, post.hub_id)
        size, root = (last.size, last.root) if last is not None else (0, "")
        if post.first != size:
            raise Conflict(f"prove consistency from size {size}, the last tree head accepted from {post.hub_id}",
                           message_zh=f"须从已接受的树头（大小 {size}）起证明一致性", field="/first", code="stale_tree_head")
        if last is not None and (post.sth.size, post.sth.root_hex) == (size, root):
            refresh(conn, post.hub_id, post.sth, last, hub.clock.now())
            return False
        if last is None or verify_consistency(size, post.sth.size, bytes.fromhex(root), post.sth.root, _hashes(post)):
            check_timestamp(post.sth, last, hub.clock.now())
            conn.execute(sa.insert(tree_heads).values(row_of(post.sth, hub.clock.now(), post.hub_id)))
            log_tree_head(conn, post.hub_id, post.sth)
            return True
        log_tree_head(conn, post.hub_id, post.sth)  # the second history goes into this hub's log too: anyone reading it sees both heads
        flags.raise_flag(conn, hub, post.hub_id, flags.FORK, _evidence(last, post))
    raise forked_now(post.hub_id, size, post.sth.size)


def log_tree_head(conn: sa.Connection, hub_id: str, sth: SignedTreeHead) -> int:
    """Append the lower hub's STH to this hub's log, in the judge's transaction (ADR 0029)."""
    entry = entry_for_tree_head(hub_id, sth.size, sth.root_hex, sth.timestamp, sth.key_fingerprint, sth.signature_b64)
    return transparency.merkle_log(conn).append(entry)


def check_timestamp(sth: SignedTreeHead, last: Any, now: datetime) -> None:
    """A tree head is signed at a sane time: not ahead of this hub's clock by more than ``SKEW``,
    not before the last tree head accepted from the same hub."""
    if sth.timestamp > now + SKEW:
        raise Invalid(f"/sth/timestamp: {sth.timestamp.isoformat()} is ahead of this hub's clock ({now.isoformat()}) by more than {SKEW}",
                      message_zh="/sth/timestamp：树头时间晚于本平台当前时间（超出允许的时钟偏差）", field="/sth/timestamp", code="tree_head_in_future")
    if last is not None and sth.timestamp < last.timestamp:
        raise Conflict(f"/sth/timestamp: {sth.timestamp.isoformat()} is before the last tree head accepted ({last.timestamp.isoformat()})",
                       message_zh="/sth/timestamp：树头时间早于已接受的上一个树头", field="/sth/timestamp", code="tree_head_older")


def refresh(conn: sa.Connection, hub_id: str, sth: SignedTreeHead, last: Any, now: datetime) -> None:
    """The same tree signed again later (the lower hub's heartbeat, or the head an operator accepts
    when clearing a fork, ``clearing.py``): keep the newer signature, so ``accepted_at`` says the
    lower hub was heard from even while its log did not grow."""
    if last.timestamp < sth.timestamp <= now + SKEW:
        conn.execute(sa.update(tree_heads).where(tree_heads.c.hub_id == hub_id, tree_heads.c.size == last.size)
                     .values(timestamp=sth.timestamp, signature=sth.signature_b64, accepted_at=now))


def forked_now(hub_id: str, size: int, new_size: int) -> Conflict:
    return Conflict(f"hub {hub_id}'s tree head of size {new_size} is not consistent with the one of size {size} it signed before: "
                    f"its log forked or was rewritten; forwarding from it is refused (evidence: GET /hub/lower-hubs/{hub_id})",
                    message_zh=f"下级公共服务平台 {hub_id} 的树头（大小 {new_size}）与其此前签名的树头（大小 {size}）不一致：日志分叉或被改写，拒绝其继续转发",
                    field="/consistency", code="hub_log_forked")


def lock(conn: sa.Connection, hub_id: str) -> None:
    """One judge (or clearing, ``hub/clearing.py``) per lower hub at a time: the write lock (SQLite) or its registry row (PostgreSQL)."""
    p = tables.platforms
    if conn.dialect.name == "sqlite":
        conn.execute(sa.update(tree_heads).where(sa.false()).values(size=tree_heads.c.size))
    else:
        conn.execute(sa.select(p.c.id).where(p.c.id == hub_id).with_for_update())


def last_accepted(conn: sa.Connection, hub_id: str) -> Any:
    t = tree_heads
    return conn.execute(sa.select(t).where(t.c.hub_id == hub_id).order_by(t.c.size.desc()).limit(1)).first()


def _hashes(post: TreeHeadPost) -> list[bytes]:
    return [bytes.fromhex(h) for h in post.consistency]


def row_of(sth: SignedTreeHead, at: Any, hub_id: str) -> dict[str, Any]:
    return {"hub_id": hub_id, "size": sth.size, "root": sth.root_hex, "timestamp": sth.timestamp,
            "signature": sth.signature_b64, "key_fingerprint": sth.key_fingerprint, "accepted_at": at}


def _evidence(last: Any, post: TreeHeadPost) -> dict[str, Any]:
    """Both heads as the lower hub signed them, and its signed claim that one extends the other."""
    return {"accepted": sth_view(last), "presented": post.raw_sth,
            "claim": {"first": post.first, "consistency": post.consistency, "signature": post.signature, "type": TYPE},
            "check": "verify_consistency(accepted.size, presented.size, accepted.root, presented.root, claim.consistency) is false"}


# ---- the lower hub's side: the message ------------------------------------------------------

def tree_head_post(hub: Hub, hub_id: str, sth: SignedTreeHead, first: int) -> dict[str, Any]:
    """The body of ``POST /hub/tree-heads:forward``: ``sth`` with the proof from size ``first``.
    A log now smaller than ``first`` cannot be proven: its head goes up with no proof, and the
    upper hub sees the rollback."""
    log = transparency.merkle_log(hub.engine)
    proof = [h.hex() for h in log.consistency_proof(first, sth.size)] if first <= sth.size else []
    raw = sth.as_dict()
    return {"hub_id": hub_id, "sth": raw, "first": first, "consistency": proof,
            "signature": protocol.sign(hub.signing_pair(), signed_part(hub_id, raw, first, proof))}


# ---- views ----------------------------------------------------------------------------------

def sth_view(row: Any) -> dict[str, Any]:
    sth = SignedTreeHead(row.size, row.root, row.timestamp, row.signature, row.key_fingerprint)
    return sth.as_dict()


def lower_hubs(hub: Hub, hub_id: str | None = None) -> list[dict[str, Any]]:
    p, t = tables.platforms, tree_heads
    counts = sa.select(t.c.hub_id, sa.func.count().label("accepted"), sa.func.max(t.c.size).label("size")).group_by(t.c.hub_id).subquery()
    query = (sa.select(p.c.id, p.c.name, counts.c.accepted, counts.c.size).outerjoin(counts, counts.c.hub_id == p.c.id)
             .where(p.c.kind == "hub", *([p.c.id == hub_id] if hub_id else [])).order_by(p.c.id))
    from tenderhub.hub.proven import refusal_summary  # proven imports this module

    with hub.engine.connect() as conn:
        rows = conn.execute(query).all()
        heads = {r.id: conn.execute(sa.select(t).where(t.c.hub_id == r.id, t.c.size == r.size)).first() for r in rows if r.size is not None}
        refused = {r.id: refusal_summary(conn, r.id) for r in rows}
        raised = flags.of_hubs(conn, [r.id for r in rows])
    return [{**_hub_view(r, heads.get(r.id), raised[r.id], hub.clock.now()), "refusals": refused[r.id]} for r in rows]


def _hub_view(row: Any, head: Any, raised: list[Any], now: datetime) -> dict[str, Any]:
    """``state``: ``forked`` or ``false_claim`` while such a flag is live (a fork first), else ``ok``
    once a tree head was accepted, else ``waiting``; ``fork`` the live fork's evidence."""
    live = [f for f in raised if f.cleared_at is None]
    fork = next((f for f in live if f.kind == flags.FORK), None)
    state = "forked" if fork else live[0].kind if live else "ok" if head is not None else "waiting"
    return {"id": row.id, "name": row.name, "state": state, "accepted": row.accepted or 0,
            "tree_head": sth_view(head) if head is not None else None,
            "fork": {"detected_at": fork.detected_at.isoformat(), "evidence": fork.evidence} if fork else None,
            "flags": {"live": [flags.view(f) for f in live], "cleared": len(raised) - len(live)}, **_freshness(head, now)}


def _freshness(head: Any, now: datetime) -> dict[str, Any]:
    """How long since the lower hub was last heard from (its last tree head accepted or re-signed)."""
    if head is None:
        return {"last_accepted_at": None, "seconds_since_accepted": None, "tree_head_age_seconds": None, "stale": False}
    since = max(0, int((now - head.accepted_at).total_seconds()))
    return {"last_accepted_at": head.accepted_at.isoformat(), "seconds_since_accepted": since,
            "tree_head_age_seconds": int((now - head.timestamp).total_seconds()), "stale": since > STALE_AFTER.total_seconds()}


def lower_hub(hub: Hub, hub_id: str) -> dict[str, Any]:
    found = lower_hubs(hub, hub_id)
    if not found:
        raise NotFound(f"no lower hub {hub_id}", message_zh=f"没有下级公共服务平台 {hub_id}", field="hub_id")
    return found[0]


def accepted_heads(hub: Hub, hub_id: str, after: int = -1) -> dict[str, Any]:
    lower_hub(hub, hub_id)
    t = tree_heads
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.hub_id == hub_id, t.c.size > after).order_by(t.c.size).limit(PAGE)).all()
    found = [{**sth_view(r), "accepted_at": r.accepted_at.isoformat()} for r in rows]
    return {"hub_id": hub_id, "tree_heads": found, "next": found[-1]["size"] if len(found) == PAGE else None}


# ---- routes ---------------------------------------------------------------------------------

def post_tree_head(request: Request, body: Any = Body(...)) -> JSONResponse:
    """接收下级公共服务平台的签名树头 / A lower hub's signed tree head with its consistency proof: 201 kept, 200 the same again."""
    created, view = accept_tree_head(the_hub(request), body)
    return JSONResponse(view, status_code=201 if created else 200)


def get_lower_hubs(request: Request) -> list[dict[str, Any]]:
    """下级公共服务平台日志监测 / The lower hubs' logs as this hub sees them: state, last tree head, fork evidence."""
    return lower_hubs(the_hub(request))


def get_lower_hub(request: Request, hub_id: str) -> dict[str, Any]:
    return lower_hub(the_hub(request), hub_id)


def get_accepted_heads(request: Request, hub_id: str, after: int = -1) -> dict[str, Any]:
    """已接受的下级树头 / The tree heads accepted from a lower hub, in size order (``after``: a size)."""
    return accepted_heads(the_hub(request), hub_id, after)


def install(app: FastAPI) -> None:
    app.add_api_route(FORWARD_STH_PATH, post_tree_head, methods=["POST"], tags=["hub"])
    app.add_api_route("/hub/lower-hubs", get_lower_hubs, methods=["GET"], tags=["hub"])
    app.add_api_route("/hub/lower-hubs/{hub_id}", get_lower_hub, methods=["GET"], tags=["hub"])
    app.add_api_route("/hub/lower-hubs/{hub_id}/tree-heads", get_accepted_heads, methods=["GET"], tags=["hub"])

"""The transparency log wired into the hub (docs/transparency-log.md, "In the hub").

Hub side: every ingested release is appended as ``entry_for_release`` in the ingest's own
transaction (``append_release``); ``log_chain_head`` appends a platform's signed audit chain
head and indexes it in ``hub_chain_heads`` (so a platform's heads are read without scanning
the log; with the platform's signature, which a lower hub forwards upward: ``signed_heads``);
``tree_head``, ``inclusion``, ``consistency``, ``entries`` serve the log.

Platform side: ``post_chain_head`` sends the platform's current audit head (the relay's
periodic job); ``RemoteLog`` and ``check_with_hub`` check a local chain against what the hub
logged, proving each logged head in the signed tree head with the hub's inclusion proofs;
against an upper hub of the tree, ``lower_hub_of`` names the lower hub that forwarded the
platform's heads and the state of its log.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
import sqlalchemy as sa

from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from tenderhub.crypto import signing
from tenderhub.crypto.keys import KeyPair
from tenderhub.db.engine import sqlite_write_lock
from tenderhub.db.types import UtcDateTime
from tenderhub.hub import protocol, registry, tables
from tenderhub.hub.tlog import (
    MemoryLeafStore,
    MerkleLog,
    SignedTreeHead,
    SqlLeafStore,
    check_chain_heads,
    entry_for_chain_head,
    entry_for_release,
    sign_tree_head,
    verify_sth,
)
from tenderhub.hub.tlog import create_tables as create_log_tables
from tenderhub.hub.tlog.sqlstore import leaves

if TYPE_CHECKING:
    from tenderhub.hub.context import Hub

PAGE = 1000
HEADS_PATH = "/hub/chain-heads"
metadata = sa.MetaData()

chain_heads = sa.Table(  # the index of chain-head leaves: a platform's heads without a log scan
    "hub_chain_heads",
    metadata,
    sa.Column("leaf_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("platform_id", sa.String(64), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("logged_at", UtcDateTime, nullable=False),
    # the platform's signature of {platform_id, seq, hash}, so a lower hub forwards the head as the
    # platform signed it (hub/tree.py); NULL for heads logged before migration 0004
    sa.Column("signature", sa.Text, nullable=True),
    sa.UniqueConstraint("platform_id", "seq", name="uq_hub_chain_heads_platform_seq"),
    sa.Index("ix_hub_chain_heads_platform_leaf", "platform_id", "leaf_index"),
)


def create_tables(engine: sa.Engine) -> None:
    """The log's tables and the chain-head index in the hub's database (idempotent)."""
    create_log_tables(engine)
    metadata.create_all(engine)


def merkle_log(bind: sa.Engine | sa.Connection) -> MerkleLog:
    return MerkleLog(SqlLeafStore(bind))


# ---- hub side: appends ---------------------------------------------------------------------


def append_release(conn: sa.Connection, release: dict[str, Any], digest: str, platform_id: str, at: datetime) -> int:
    """Append the release's entry in the caller's (the ingest's) transaction; its leaf index."""
    entry = entry_for_release(release["ocid"], release["id"], digest, platform_id, at)
    return merkle_log(conn).append(entry)


@dataclass(frozen=True)
class HeadPost:
    platform_id: str
    seq: int
    hash: str
    signature: str

    def signed(self) -> dict[str, Any]:
        return {"platform_id": self.platform_id, "seq": self.seq, "hash": self.hash}


def parse_head(body: Any) -> HeadPost:
    if not isinstance(body, dict):
        raise Invalid("a JSON object {platform_id, seq, hash, signature} is required", message_zh="须为 JSON 对象", field="/")
    for name, kind in (("platform_id", str), ("seq", int), ("hash", str), ("signature", str)):
        if not isinstance(body.get(name), kind) or isinstance(body.get(name), bool):
            raise Invalid(f"/{name}: {kind.__name__} required", message_zh=f"/{name}：缺失或类型错误", field=f"/{name}")
    return HeadPost(body["platform_id"], body["seq"], body["hash"].lower(), body["signature"])


def authenticate(hub: Hub, post: HeadPost, via: str | None = None) -> None:
    """The platform's signature; ``via``: the lower hub forwarding it with proof (``registry.misrouted``)."""
    p = tables.platforms
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(p.c.id, p.c.suite, p.c.public_pem, p.c.kind, p.c.via).where(p.c.id == post.platform_id)).first()
        misrouted = registry.misrouted(conn, [row], via) if row is not None and row.kind == "platform" else {}
    if row is None:
        raise NotFound(f"platform {post.platform_id} is not registered", message_zh=f"交易平台 {post.platform_id} 未登记", field="/platform_id")
    if row.kind != "platform":  # a hub forwards its platforms' heads as they signed them, never its own
        raise Forbidden(f"{post.platform_id} is registered as a {row.kind}: only a trading platform logs chain heads as itself",
                        message_zh=f"{post.platform_id} 登记为 {row.kind}：只有交易平台可以以自身名义登记审计链头",
                        field="/platform_id", code="not_a_platform")
    if not protocol.verify(row.suite, row.public_pem.encode(), post.signed(), post.signature):
        raise Forbidden("the signature does not verify with the platform's registered key",
                        message_zh="签名无法用该平台登记的公钥验证", field="/signature", code="bad_signature")
    if misrouted:
        raise misrouted[post.platform_id]


def log_chain_head(hub: Hub, body: Any, via: str | None = None) -> tuple[bool, dict[str, Any]]:
    """Log a signed head once: (created, signed receipt with the leaf index and the STH after it)."""
    post, at = parse_head(body), hub.clock.now()
    entry = entry_for_chain_head(post.platform_id, post.seq, post.hash, at)  # checks seq and hash
    authenticate(hub, post, via)
    for _attempt in range(5):
        try:
            created, index = _store_head(hub, post, entry, at)
            return created, head_receipt(hub, post, index)
        except sa.exc.IntegrityError:  # the same head posted concurrently: read it again
            continue
    raise Conflict("the hub is busy: retry", message_zh="公共服务平台繁忙，请重试", code="busy")


def _store_head(hub: Hub, post: HeadPost, entry: bytes, at: datetime) -> tuple[bool, int]:
    h = chain_heads
    with hub.engine.connect() as conn, conn.begin():
        sqlite_write_lock(conn, h)
        known = conn.execute(sa.select(h.c.leaf_index, h.c.hash).where(h.c.platform_id == post.platform_id, h.c.seq == post.seq)).first()
        if known is not None:
            return False, _same_head(post, known)
        index = merkle_log(conn).append(entry)
        conn.execute(sa.insert(h).values(leaf_index=index, platform_id=post.platform_id, seq=post.seq,
                                         hash=post.hash, logged_at=at, signature=post.signature))
    return True, index


def _same_head(post: HeadPost, known: Any) -> int:
    if known.hash != post.hash:
        raise Conflict(f"seq {post.seq} of platform {post.platform_id} was logged with hash {known.hash} "
                       f"at index {known.leaf_index}: the chain was rewritten", field="/hash", code="chain_head_conflict",
                       message_zh=f"序号 {post.seq} 已以不同哈希记入日志：审计链被改写")
    return int(known.leaf_index)


def head_receipt(hub: Hub, post: HeadPost, index: int) -> dict[str, Any]:
    sth = tree_head(hub)
    body = {"type": "tenderhub.hub.chain-head-receipt/1", **post.signed(), "leaf_index": index,
            "sth": sth.as_dict(), "audit_path": [h.hex() for h in merkle_log(hub.engine).inclusion_proof(index, sth.size)],
            "hub_key": sth.key_fingerprint}
    return {"receipt": body, "signature": protocol.sign(hub.signing_pair(), body), "suite": hub.signing_pair().suite}


# ---- hub side: reads -----------------------------------------------------------------------


def tree_head(hub: Hub) -> SignedTreeHead:
    pair = hub.signing_pair()
    sign = functools.partial(signing.sign, pair.suite, pair.private_pem)
    return sign_tree_head(merkle_log(hub.engine), sign, hub.key_info()["fingerprint"], at=hub.clock.now())


def inclusion(hub: Hub, index: int, size: int | None) -> dict[str, Any]:
    log = merkle_log(hub.engine)
    size = log.size() if size is None else size
    return {"index": index, "size": size, "audit_path": [h.hex() for h in log.inclusion_proof(index, size)]}


def consistency(hub: Hub, first: int, second: int | None) -> dict[str, Any]:
    log = merkle_log(hub.engine)
    second = log.size() if second is None else second
    return {"first": first, "second": second, "consistency": [h.hex() for h in log.consistency_proof(first, second)]}


def entries(hub: Hub, start: int, end: int | None) -> dict[str, Any]:
    """Entries ``[start, end)``, at most ``PAGE``; ``next`` is where the next page starts."""
    log = merkle_log(hub.engine)
    size = log.size()
    end = min(size if end is None else end, start + PAGE, size)
    if start < 0 or end < start:
        raise Invalid(f"start {start} is not within 0..{size}", message_zh="起始序号超出日志范围", field="start")
    found = [{"index": i, "entry": e.decode("utf-8")} for i, e in log.entries(start, end)]
    return {"size": size, "entries": found, "next": end if end < size else None}


def platform_heads(hub: Hub, platform_id: str, after: int = -1, limit: int = PAGE) -> dict[str, Any]:
    """The heads logged for a platform in log order (the index, joined to the leaves' bytes)."""
    h, limit = chain_heads, max(1, min(limit, PAGE))
    stmt = (sa.select(h.c.leaf_index, h.c.seq, h.c.hash, h.c.logged_at, leaves.c.entry)
            .join(leaves, leaves.c.idx == h.c.leaf_index)
            .where(h.c.platform_id == platform_id, h.c.leaf_index > after).order_by(h.c.leaf_index)
            .limit(limit))
    with hub.engine.connect() as conn:
        if conn.execute(sa.select(tables.platforms.c.id).where(tables.platforms.c.id == platform_id)).first() is None:
            raise NotFound(f"no platform {platform_id}", message_zh=f"没有交易平台 {platform_id}", field="platform_id")
        rows = conn.execute(stmt).all()
    heads = [{"leaf_index": r.leaf_index, "seq": r.seq, "hash": r.hash, "logged_at": r.logged_at.isoformat(),
              "entry": bytes(r.entry).decode("utf-8")} for r in rows]
    return {"platform_id": platform_id, "heads": heads, "next": heads[-1]["leaf_index"] if len(heads) == limit else None}


def signed_heads(hub: Hub, after: int, limit: int) -> list[Any]:
    """Heads logged after leaf ``after`` with the platform's signature, in log order (the
    forwarder of a lower hub, ``hub/tree.py``); appends are serialized, so log order is commit order."""
    h = chain_heads
    query = (sa.select(h.c.leaf_index, h.c.platform_id, h.c.seq, h.c.hash, h.c.signature)
             .where(h.c.leaf_index > after, h.c.signature.is_not(None)).order_by(h.c.leaf_index).limit(limit))
    with hub.engine.connect() as conn:
        return list(conn.execute(query).all())


# ---- platform side -------------------------------------------------------------------------


def head_body(platform_id: str, pair: KeyPair, seq: int, hash_hex: str) -> dict[str, Any]:
    """The body of ``POST /hub/chain-heads``: the head signed like a release (canonical JSON)."""
    signed = {"platform_id": platform_id, "seq": seq, "hash": hash_hex}
    return {**signed, "signature": protocol.sign(pair, signed)}


def post_chain_head(uow: Callable[[], Any], client: httpx.Client, platform_id: str, pair: KeyPair) -> dict[str, Any] | None:
    """Post the platform's current audit head; the hub's receipt (``None``: empty chain)."""
    with uow() as work:
        head = work.audit.head()
        work.rollback()
    if head is None:
        return None
    answer = client.post(HEADS_PATH, json=head_body(platform_id, pair, head[0], head[1]))
    answer.raise_for_status()
    receipt: dict[str, Any] = answer.json()
    return receipt


class RemoteLog(MerkleLog):
    """The hub's log as seen over HTTP, for ``check_chain_heads``: the entries are the heads of
    one platform from the hub's index, the proofs come from the hub; roots come from the STH."""

    def __init__(self, client: httpx.Client, platform_id: str, sth: SignedTreeHead) -> None:
        super().__init__(MemoryLeafStore())
        self.client, self.platform_id, self.sth = client, platform_id, sth

    def size(self) -> int:
        return self.sth.size

    def root(self, size: int | None = None) -> bytes:
        if size not in (None, self.sth.size):
            raise Invalid(f"only the signed size {self.sth.size} is known", field="size")
        return self.sth.root

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        found = _get(self.client, "/hub/log/inclusion", index=index, size=self.sth.size if size is None else size)
        return [bytes.fromhex(h) for h in found["audit_path"]]

    def entries(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        end = self.sth.size if end is None else end
        after = start - 1
        while after is not None:
            page = _get(self.client, f"/hub/platforms/{self.platform_id}/chain-heads", after=after)
            yield from ((h["leaf_index"], h["entry"].encode("utf-8")) for h in page["heads"] if start <= h["leaf_index"] < end)
            after = page["next"]


def fetch_sth(client: httpx.Client, hub_pem: bytes | None = None) -> SignedTreeHead:
    """The hub's STH, verified with ``hub_pem`` (default: the key the hub itself serves)."""
    pem = hub_pem or _get(client, "/hub/key")["public_pem"].encode()
    sth = SignedTreeHead.from_dict(_get(client, "/hub/log/sth"))
    if not verify_sth(sth, pem):
        raise Forbidden("the hub's signed tree head does not verify with the hub key", field="sth", code="bad_sth")
    return sth


def check_with_hub(client: httpx.Client, platform_id: str, heads: list[tuple[int, str]], hub_pem: bytes | None = None) -> tuple[SignedTreeHead, list[str]]:
    """The STH and the problems of ``check_chain_heads`` for the local chain ``heads``."""
    sth = fetch_sth(client, hub_pem)
    return sth, check_chain_heads(RemoteLog(client, platform_id, sth), platform_id, heads, sth=sth)


def lower_hub_of(client: httpx.Client, platform_id: str) -> dict[str, Any] | None:
    """At an upper hub: the lower hub that forwarded the platform (``via``) and the state of
    that hub's log (``hub/monitor.py``); ``None`` for a platform registered here directly."""
    via = _get(client, f"/hub/platforms/{platform_id}").get("via")
    if not via:
        return None
    found = _get(client, f"/hub/lower-hubs/{via}")
    return {"id": via, "state": found["state"], "tree_head": found["tree_head"]}


def _get(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    answer = client.get(path, params=params)
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found

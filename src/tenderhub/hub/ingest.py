"""``ingest(hub, body)``: accept one signed OCDS release from a registered trading platform.

Order of checks: the envelope, the platform (registered?), its signature over the canonical
JSON of the release, the OCDS schema (``exchange.ocds.validate``). Nothing of a refused
release is stored. Idempotent by release id: the same id with the same canonical digest gets
the stored receipt again (``created`` False); other content under a known id is a
``Conflict`` naming ``id``.

**Feed positions follow commit order.** The position is taken from the single ``feed_head``
row as the last statement before commit (``UPDATE … SET last = last + 1``). The row lock is
held to the commit, so a later position can only be committed after every earlier one: a
reader that has seen position *n* never finds a new row below *n* later (the late-commit
skip that ProZorro's feed hides with a 1 s watermark cannot happen). It serializes the tail
of concurrent ingests, which is cheap. On SQLite the database lock serializes writers anyway;
a transaction whose read snapshot went stale (``SQLITE_BUSY_SNAPSHOT``) is retried, taking the
write lock first.

**Transparency log.** A new release's ``entry_for_release`` is appended to the hub's Merkle
log in the same transaction (``transparency.append_release``, before the feed position), so
it is logged exactly once; the receipt carries its ``leaf_index``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from tenderhub.hub import protocol, registry, tables, transparency
from tenderhub.hub.context import Hub
from tenderhub.hub.validation import ReleaseInvalid, check_release

ATTEMPTS = 20


@dataclass(frozen=True)
class Envelope:
    platform_id: str
    release: dict[str, Any]
    signature: str


@dataclass(frozen=True)
class Outcome:
    created: bool
    receipt: dict[str, Any]


def parse(body: Any) -> Envelope:
    if not isinstance(body, dict):
        raise Invalid("a JSON object {platform_id, release, signature} is required", message_zh="须为 JSON 对象", field="/")
    for name, kind in (("platform_id", str), ("release", dict), ("signature", str)):
        if not isinstance(body.get(name), kind):
            raise Invalid(f"/{name}: {kind.__name__} required", message_zh=f"/{name}：缺失或类型错误", field=f"/{name}")
    return Envelope(body["platform_id"], body["release"], body["signature"])


def authenticate(hub: Hub, env: Envelope) -> None:
    found = registry.platform_key(hub, env.platform_id)
    if found is None:
        raise NotFound(f"platform {env.platform_id} is not registered", message_zh=f"交易平台 {env.platform_id} 未登记", field="/platform_id")
    suite, public = found
    if not protocol.verify(suite, public, env.release, env.signature):
        raise Forbidden("the signature does not verify with the platform's registered key",
                        message_zh="签名无法用该平台登记的公钥验证", field="/signature", code="bad_signature")


def ingest(hub: Hub, body: Any) -> Outcome:
    env = parse(body)
    authenticate(hub, env)
    check_release(env.release)
    digest = protocol.digest(env.release)
    for attempt in range(ATTEMPTS):
        try:
            return _store(hub, env, digest, lock_first=attempt > 0)
        except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
            if not _retryable(exc):
                raise
    raise Conflict("the hub is busy: retry", message_zh="公共服务平台繁忙，请重试", code="busy")


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    """A concurrent insert of the same id (re-read and answer), or a stale SQLite snapshot."""
    if isinstance(exc, sa.exc.IntegrityError):
        return True
    return getattr(exc.orig, "sqlite_errorname", None) in ("SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY")


def _store(hub: Hub, env: Envelope, digest: str, *, lock_first: bool) -> Outcome:
    with hub.engine.connect() as conn, conn.begin():
        if lock_first and conn.dialect.name == "sqlite":  # a retry takes the write lock before reading
            conn.execute(sa.update(tables.feed_head).where(tables.feed_head.c.id == 1).values(last=tables.feed_head.c.last))
        known = _known(conn, env.release["id"], digest)
        if known is not None:
            return Outcome(False, known)
        _pause(hub, "started", env)
        at = hub.clock.now()
        conn.execute(sa.insert(tables.releases).values(
            id=env.release["id"], ocid=env.release["ocid"], platform_id=env.platform_id, digest=digest,
            canonical=protocol.canonical(env.release).decode("utf-8"), signature=env.signature,
            date=env.release["date"], received_at=at))
        _pause(hub, "written", env)
        leaf = transparency.append_release(conn, env.release, digest, env.platform_id, at)  # same transaction
        position = _next_position(conn)
        conn.execute(sa.insert(tables.feed).values(position=position, release_id=env.release["id"],
                                                   ocid=env.release["ocid"], platform_id=env.platform_id))
        receipt = _receipt(hub, env, digest, position, at.isoformat(), leaf)
        conn.execute(sa.insert(tables.receipts).values(release_id=env.release["id"], body=receipt["receipt"],
                                                       signature=receipt["signature"]))
    return Outcome(True, receipt)


def _pause(hub: Hub, stage: str, env: Envelope) -> None:
    if hub.pause is not None:
        hub.pause(stage, env.release)


def _known(conn: sa.Connection, release_id: str, digest: str) -> dict[str, Any] | None:
    r, rc = tables.releases, tables.receipts
    row = conn.execute(sa.select(r.c.digest, rc.c.body, rc.c.signature).join(rc, rc.c.release_id == r.c.id)
                       .where(r.c.id == release_id)).first()
    if row is None:
        return None
    if row.digest != digest:
        raise Conflict(f"release {release_id} was already received with other content: a release is immutable, "
                       "publish a new release with a new id", message_zh=f"发布 {release_id} 已以不同内容接收：发布不可修改，请以新 id 发布",
                       field="id", code="release_id_reused")
    return {"receipt": row.body, "signature": row.signature, "suite": "intl"}


def _next_position(conn: sa.Connection) -> int:
    head = tables.feed_head
    conn.execute(sa.update(head).where(head.c.id == 1).values(last=head.c.last + 1))
    return int(conn.execute(sa.select(head.c.last).where(head.c.id == 1)).scalar_one())


def _receipt(hub: Hub, env: Envelope, digest: str, position: int, at: str, leaf: int) -> dict[str, Any]:
    body = {"type": "tenderhub.hub.receipt/1", "release_id": env.release["id"], "ocid": env.release["ocid"],
            "platform_id": env.platform_id, "digest": f"sha256:{digest}", "position": position, "received_at": at,
            "leaf_index": leaf, "hub_key": hub.key_info()["fingerprint"]}
    return {"receipt": body, "signature": protocol.sign(hub.signing_pair(), body), "suite": "intl"}


__all__ = ["Envelope", "Outcome", "ReleaseInvalid", "ingest", "parse"]

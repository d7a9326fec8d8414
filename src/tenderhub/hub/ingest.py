"""``ingest(hub, body)``: accept one signed OCDS release from a registered trading platform.

Order of checks: the envelope, the platform (registered?), its signature over the canonical
JSON of the release, the OCDS schema (``exchange.ocds.validate``), then that the contracting
process is not another platform's (``refuse_foreign``: the first release of an ocid decides,
409 ``foreign_ocid``). Nothing of a refused
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

**Derived data** is not computed here: the portal indexer (``portal/indexer.py``) follows the
feed and derives the announcements of each release after its commit, exactly once.

Many releases at once: ``batch.ingest_many`` (``POST /hub/releases:batch``), one transaction
per batch and one outcome per release; it reuses the pieces below.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from tenderhub.hub import protocol, registry, tables, transparency
from tenderhub.hub.context import Hub
from tenderhub.hub.validation import ReleaseInvalid, check_release

ATTEMPTS = 20
CHUNK = 500  # ids per IN (…) when looking up known releases


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


def authenticate(hub: Hub, env: Envelope, data: bytes | None = None) -> None:
    """The platform is registered and signed ``data`` (the release's canonical JSON)."""
    found = registry.platform_key(hub, env.platform_id)
    if found is None:
        raise unknown_platform(env.platform_id)
    suite, public = found
    if not protocol.verify_bytes(suite, public, protocol.canonical(env.release) if data is None else data, env.signature):
        raise bad_signature()


def unknown_platform(platform_id: str) -> NotFound:
    return NotFound(f"platform {platform_id} is not registered", message_zh=f"交易平台 {platform_id} 未登记", field="/platform_id")


def bad_signature() -> Forbidden:
    return Forbidden("the signature does not verify with the platform's registered key",
                     message_zh="签名无法用该平台登记的公钥验证", field="/signature", code="bad_signature")


def canonical_of(env: Envelope) -> bytes:
    """The release's canonical JSON; ``Invalid`` for what JSON cannot hold (NaN, an infinity)."""
    try:
        return protocol.canonical(env.release)
    except (ValueError, TypeError) as error:
        raise Invalid(f"/release: not JSON ({error})", message_zh="/release：不是合法的 JSON 值", field="/release") from None


def ingest(hub: Hub, body: Any) -> Outcome:
    env = parse(body)
    data = canonical_of(env)
    authenticate(hub, env, data)
    check_release(env.release)
    digest = hashlib.sha256(data).hexdigest()
    for attempt in range(ATTEMPTS):
        try:
            return _store(hub, env, data, digest, lock_first=attempt > 0)
        except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
            if not retryable(exc):
                raise
    raise busy()


def busy() -> Conflict:
    return Conflict("the hub is busy: retry", message_zh="公共服务平台繁忙，请重试", code="busy")


def retryable(exc: sa.exc.DBAPIError) -> bool:
    """A concurrent insert of the same id (re-read and answer), a stale SQLite snapshot, or a
    PostgreSQL deadlock or serialization failure (the transaction is simply run again)."""
    if isinstance(exc, sa.exc.IntegrityError):
        return True
    if getattr(exc.orig, "sqlstate", None) in ("40P01", "40001"):
        return True
    return getattr(exc.orig, "sqlite_errorname", None) in ("SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY")


def _store(hub: Hub, env: Envelope, data: bytes, digest: str, *, lock_first: bool) -> Outcome:
    with hub.engine.connect() as conn, conn.begin():
        if lock_first:
            write_lock(conn)
        known = _known(conn, env.release["id"], digest)
        if known is not None:
            return Outcome(False, known)
        refuse_foreign(ocid_owners(conn, [env.release["ocid"]]), env)
        pause(hub, "started", env.release)
        at = hub.clock.now()
        conn.execute(sa.insert(tables.releases).values(release_row(env, data, digest, at)))
        pause(hub, "written", env.release)
        leaf = transparency.append_release(conn, env.release, digest, env.platform_id, at)  # same transaction
        position = next_positions(conn, 1)[0]
        conn.execute(sa.insert(tables.feed).values(feed_row(env, position)))
        receipt = signed_receipt(hub, receipt_body(hub, env, digest, position, at.isoformat(), leaf))
        conn.execute(sa.insert(tables.receipts).values(receipt_row(env.release["id"], receipt)))
    return Outcome(True, receipt)


def write_lock(conn: sa.Connection) -> None:
    """SQLite: take the write lock before reading (a retry after a stale snapshot, a batch)."""
    if conn.dialect.name == "sqlite":
        conn.execute(sa.update(tables.feed_head).where(tables.feed_head.c.id == 1).values(last=tables.feed_head.c.last))


def release_row(env: Envelope, data: bytes, digest: str, at: datetime) -> dict[str, Any]:
    return {"id": env.release["id"], "ocid": env.release["ocid"], "platform_id": env.platform_id, "digest": digest,
            "canonical": data.decode("utf-8"), "signature": env.signature, "date": env.release["date"], "received_at": at}


def feed_row(env: Envelope, position: int) -> dict[str, Any]:
    return {"position": position, "release_id": env.release["id"], "ocid": env.release["ocid"], "platform_id": env.platform_id}


def receipt_row(release_id: str, receipt: dict[str, Any]) -> dict[str, Any]:
    return {"release_id": release_id, "body": receipt["receipt"], "signature": receipt["signature"]}


def pause(hub: Hub, stage: str, release: dict[str, Any]) -> None:
    if hub.pause is not None:
        hub.pause(stage, release)


def _known(conn: sa.Connection, release_id: str, digest: str) -> dict[str, Any] | None:
    row = known_rows(conn, [release_id]).get(release_id)
    if row is None:
        return None
    if row[0] != digest:
        raise reused(release_id)
    return row[1]


def known_rows(conn: sa.Connection, release_ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Stored (digest, receipt) by release id, for the ids given (read in chunks)."""
    r, rc = tables.releases, tables.receipts
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for start in range(0, len(release_ids), CHUNK):
        query = (sa.select(r.c.id, r.c.digest, rc.c.body, rc.c.signature).join(rc, rc.c.release_id == r.c.id)
                 .where(r.c.id.in_(release_ids[start:start + CHUNK])))
        for row in conn.execute(query):
            found[row.id] = (row.digest, {"receipt": row.body, "signature": row.signature, "suite": "intl"})
    return found


def ocid_owners(conn: sa.Connection, ocids: list[str]) -> dict[str, str]:
    """The platform of each contracting process already stored (the one that sent its first release)."""
    r, found = tables.releases, {}
    for start in range(0, len(ocids), CHUNK):
        query = sa.select(r.c.ocid, r.c.platform_id).where(r.c.ocid.in_(ocids[start:start + CHUNK])).distinct()
        found.update({row.ocid: row.platform_id for row in conn.execute(query)})
    return found


def refuse_foreign(owners: dict[str, str], env: Envelope) -> None:
    """A platform publishes only its own contracting processes: an ocid another platform
    started is refused (no forged stage of another platform's tender reaches the portal)."""
    owner = owners.get(env.release["ocid"])
    if owner is not None and owner != env.platform_id:
        raise Conflict(f"ocid {env.release['ocid']} is a contracting process of platform {owner}: a platform publishes only its own",
                        message_zh=f"ocid {env.release['ocid']} 是交易平台 {owner} 的交易项目：平台只能发布本平台的项目",
                        field="/release/ocid", code="foreign_ocid")


def reused(release_id: str) -> Conflict:
    return Conflict(f"release {release_id} was already received with other content: a release is immutable, "
                    "publish a new release with a new id", message_zh=f"发布 {release_id} 已以不同内容接收：发布不可修改，请以新 id 发布",
                    field="id", code="release_id_reused")


def next_positions(conn: sa.Connection, count: int) -> range:
    """``count`` feed positions from the one counter row, whose lock is held to the commit."""
    head = tables.feed_head
    conn.execute(sa.update(head).where(head.c.id == 1).values(last=head.c.last + count))
    last = int(conn.execute(sa.select(head.c.last).where(head.c.id == 1)).scalar_one())
    return range(last - count + 1, last + 1)


def receipt_body(hub: Hub, env: Envelope, digest: str, position: int, at: str, leaf: int, key: str | None = None) -> dict[str, Any]:
    return {"type": "tenderhub.hub.receipt/1", "release_id": env.release["id"], "ocid": env.release["ocid"],
            "platform_id": env.platform_id, "digest": f"sha256:{digest}", "position": position, "received_at": at,
            "leaf_index": leaf, "hub_key": key or hub.key_info()["fingerprint"]}


def signed_receipt(hub: Hub, body: dict[str, Any]) -> dict[str, Any]:
    return {"receipt": body, "signature": protocol.sign(hub.signing_pair(), body), "suite": "intl"}


__all__ = ["Envelope", "Outcome", "ReleaseInvalid", "authenticate", "ingest", "parse"]

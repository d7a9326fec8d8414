"""``ingest(hub, body)``: accept one signed OCDS release from a registered trading platform.

Order of checks: the envelope, the platform (registered?), its signature over the canonical
JSON of the release (or the batch signature and audit path that cover it, ``batchsig.py``),
the OCDS schema (``exchange.ocds.validate``), then that the contracting process is the
platform's (``claim``: an ocid under another platform's registered ``ocid_prefix`` is
refused, 409 ``foreign_ocid``, and a platform with a prefix publishes only under it, 409
``ocid_prefix``; otherwise the first release of an ocid claims it in ``hub_ocids``, whose
primary key makes the claim race-free). Nothing of a refused release is stored. Idempotent
by (ocid, release id), OCDS's identity of a release: the same with the same canonical digest
gets the stored receipt again (``created`` False); other content under a known (ocid, id) is
a ``Conflict`` naming ``id``. Another platform's release with the same id under its own ocid
is another release (ADR 0013).

**Feed positions follow commit order.** The position (the release row's key) is taken from
the single ``feed_head`` row before the rows are written (``UPDATE … SET last = last + 1``). The row lock is
held to the commit, so a later position can only be committed after every earlier one: a
reader that has seen position *n* never finds a new row below *n* later (the late-commit
skip that ProZorro's feed hides with a 1 s watermark cannot happen). It serializes the tail
of concurrent ingests, which is cheap. On SQLite the database lock serializes writers anyway;
a transaction whose read snapshot went stale (``SQLITE_BUSY_SNAPSHOT``) is retried, taking the
write lock first.

**Transparency log.** A new release's ``entry_for_release`` is appended to the hub's Merkle
log in the same transaction (after the feed position), so it is logged exactly once; the
receipt carries its ``leaf_index``.

**Derived data** is not computed here: the portal indexer (``portal/indexer.py``) follows the
feed and derives the announcements of each release after its commit, exactly once.

One release is a batch of one: ``ingest`` runs ``batch.ingest_many``'s checks and its
transaction (``stored.py``) and raises the refusal. This module holds the envelope, the
errors and the ownership rules they share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tenderhub.core.shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from tenderhub.hub import protocol, registry
from tenderhub.hub.batchsig import Proof, parse_proof
from tenderhub.hub.context import Hub
from tenderhub.hub.validation import ReleaseInvalid

ATTEMPTS = 20
CHUNK = 500  # ids per IN (…) when looking up known releases


@dataclass(frozen=True)
class Envelope:
    platform_id: str
    release: dict[str, Any]
    signature: str | None  # the platform's signature of this release alone, or
    proof: Proof | None = None  # its place in a batch the platform signed (ADR 0013)

    @property
    def key(self) -> tuple[str, str]:
        """The release's identity: (ocid, id)."""
        return str(self.release.get("ocid")), str(self.release.get("id"))


@dataclass(frozen=True)
class Outcome:
    created: bool
    receipt: dict[str, Any]


def parse(body: Any, *, covered: bool = False) -> Envelope:
    """``{platform_id, release, signature}`` or ``{platform_id, release, batch: proof}``;
    ``covered``: an item of a batch-signed request (the request's ``batch`` signs it)."""
    if not isinstance(body, dict):
        raise Invalid("a JSON object {platform_id, release, signature} is required", message_zh="须为 JSON 对象", field="/")
    for name, kind in (("platform_id", str), ("release", dict)):
        if not isinstance(body.get(name), kind):
            raise Invalid(f"/{name}: {kind.__name__} required", message_zh=f"/{name}：缺失或类型错误", field=f"/{name}")
    if covered:
        if "signature" in body or "batch" in body:
            raise Invalid("/signature: an item of a batch-signed request carries no signature of its own",
                          message_zh="/signature：批量签名请求的条目不另带签名", field="/signature")
        return Envelope(body["platform_id"], body["release"], None)
    if "batch" in body and "signature" not in body:
        return Envelope(body["platform_id"], body["release"], None, parse_proof(body["batch"], "/batch"))
    if not isinstance(body.get("signature"), str):
        raise Invalid("/signature: str required (or /batch: the release's proof in a signed batch)",
                      message_zh="/signature：缺失或类型错误", field="/signature")
    return Envelope(body["platform_id"], body["release"], body["signature"])


def ingest(hub: Hub, body: Any) -> Outcome:
    """One signed release; the refusal raised as it is (``ReleaseInvalid`` for the schema)."""
    from tenderhub.hub import batch

    item = batch.judge(hub, [body], single=True)[0]
    if item.exc is not None:
        raise item.exc
    assert item.receipt is not None
    return Outcome(item.status == "created", item.receipt)


def authenticate(hub: Hub, env: Envelope, data: bytes | None = None) -> None:
    """The platform is registered and signed ``data`` (default: the canonical JSON of
    ``env.release``) alone; used for the platform's other signed messages too (``subjects``)."""
    found = registry.platform_key(hub, env.platform_id)
    if found is None:
        raise unknown_platform(env.platform_id)
    signed = protocol.canonical(env.release) if data is None else data
    if env.signature is None or not protocol.verify_bytes(found[0], found[1], signed, env.signature):
        raise bad_signature()


def unknown_platform(platform_id: str) -> NotFound:
    return NotFound(f"platform {platform_id} is not registered", message_zh=f"交易平台 {platform_id} 未登记", field="/platform_id")


def bad_signature(field: str = "/signature") -> Forbidden:
    return Forbidden("the signature does not verify with the platform's registered key",
                     message_zh="签名无法用该平台登记的公钥验证", field=field, code="bad_signature")


def not_in_batch() -> Forbidden:
    return Forbidden("the release is not proven in the signed batch (its digest, index and path do not give the signed root)",
                     message_zh="发布不在签名批次中（摘要、序号与路径算不出所签的根）", field="/batch/path", code="bad_signature")


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


def pause(hub: Hub, stage: str, release: dict[str, Any]) -> None:
    if hub.pause is not None:
        hub.pause(stage, release)


def foreign(ocid: str, owner: str) -> Conflict:
    """A platform publishes only its own contracting processes (no forged stage of another
    platform's tender reaches the portal)."""
    return Conflict(f"ocid {ocid} is a contracting process of platform {owner}: a platform publishes only its own",
                    message_zh=f"ocid {ocid} 是交易平台 {owner} 的交易项目：平台只能发布本平台的项目",
                    field="/release/ocid", code="foreign_ocid")


def outside_prefix(ocid: str, prefix: str) -> Conflict:
    return Conflict(f"ocid {ocid} is not under the platform's registered ocid prefix {prefix}",
                    message_zh=f"ocid {ocid} 不在本平台登记的 ocid 前缀 {prefix} 之下", field="/release/ocid", code="ocid_prefix")


def prefix_refusal(prefixes: dict[str, str], env: Envelope) -> DomainError | None:
    """The registered prefixes (prefix → platform) decide an ocid under one of them."""
    ocid = str(env.release["ocid"])
    owner = next((platform for prefix, platform in prefixes.items() if ocid.startswith(prefix)), None)
    if owner is not None and owner != env.platform_id:
        return foreign(ocid, owner)
    mine = next((prefix for prefix, platform in prefixes.items() if platform == env.platform_id), None)
    if mine is not None and owner is None:
        return outside_prefix(ocid, mine)
    return None


def owner_refusal(owners: dict[str, str], env: Envelope) -> DomainError | None:
    owner = owners.get(str(env.release["ocid"]))
    return foreign(str(env.release["ocid"]), owner) if owner is not None and owner != env.platform_id else None


def reused(release_id: str) -> Conflict:
    return Conflict(f"release {release_id} was already received with other content: a release is immutable, "
                    "publish a new release with a new id", message_zh=f"发布 {release_id} 已以不同内容接收：发布不可修改，请以新 id 发布",
                    field="id", code="release_id_reused")


def receipt_body(env: Envelope, digest: str, position: int, at: str, leaf: int, key: str) -> dict[str, Any]:
    return {"type": "tenderhub.hub.receipt/1", "release_id": env.release["id"], "ocid": env.release["ocid"],
            "platform_id": env.platform_id, "digest": f"sha256:{digest}", "position": position, "received_at": at,
            "leaf_index": leaf, "hub_key": key}


__all__ = ["Envelope", "Outcome", "ReleaseInvalid", "authenticate", "ingest", "parse"]

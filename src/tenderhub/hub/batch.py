"""``ingest_many(hub, bodies)``: up to ``MAX_BATCH`` signed releases, one outcome each.

Each item is judged **on its own**, with the checks of ``ingest`` (envelope, platform,
signature, OCDS schema, ownership of the ocid, idempotency by (ocid, release id)):
``created`` (stored now, new receipt), ``repeat`` (already stored with the same digest, or the
same release earlier in this batch: the stored receipt) or ``refused`` (``error`` with kind,
code, the JSON pointer into the batch body ``/releases/{i}/…`` and the message in Chinese and
English; ``problems`` for a schema refusal). A refused release stores nothing of itself and
does not stop the others.

**Signatures** (ADR 0013, ``batchsig.py``). An item is signed alone (``signature``), or
carries its proof in a batch its platform signed (``batch``: size, index, root, path,
signature; e.g. forwarded by a lower hub), or the whole request is **batch-signed**:
``signed_batch`` ``{platform_id, size, root, signature}`` covers every item, in order. The hub
recomputes the root from the items' digests and checks one signature; if any item is not a
well-formed envelope, the root cannot be checked and every item is refused (``/batch``). Each
stored release keeps its index and audit path, so it stays verifiable alone.

**Receipts**: one hub signature per receipt (``receipts="release"``, the default for
requests signed item by item, as old clients expect) or one signature over the Merkle root of
the batch's new receipts (``receipts="batch"``, the default for a batch-signed request).

Every release the batch stores is written in **one transaction** (``stored.py``): one row per
release (release, platform signature or batch reference, feed position, receipt), the
transparency-log leaves (one ``append_many``), the feed positions (one update of
``feed_head``, its lock held to the commit, so positions stay in commit order, ADR 0008). A
database failure rolls the whole transaction back and the call raises: nothing of the batch
is stored, and the same batch can be sent again. The whole batch
is received at one instant (one ``received_at``). The portal's announcements are derived
afterwards by the indexer that follows the feed (``portal/indexer.py``).

Signatures are checked and receipts signed in a small thread pool (``stored.in_parallel``),
keys loaded once (``protocol``), the schema checked by one compiled validator.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from tenderhub.core.shared.errors import DomainError, Invalid
from tenderhub.hub import batchsig, ingest, protocol, registry, tables
from tenderhub.hub.context import Hub
from tenderhub.hub.stored import New, Result, in_parallel, store
from tenderhub.hub.validation import ReleaseInvalid, check_release

MAX_BATCH = protocol.MAX_BATCH
RECEIPT_FORMS = ("release", "batch")


@dataclass
class Item:
    index: int
    env: ingest.Envelope | None = None
    data: bytes = b""
    digest: str = ""
    status: str = "pending"
    receipt: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    exc: DomainError | None = field(default=None, repr=False)
    twin: int | None = None  # the earlier item of this batch with the same (ocid, release id)
    key: tuple[str, bytes] | None = field(default=None, repr=False)

    @property
    def release_id(self) -> str | None:
        rid = self.env.release.get("id") if self.env else None
        return rid if isinstance(rid, str) else None

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    def refuse(self, error: DomainError, problems: list[dict[str, str]] | None = None, *, whole: bool = False) -> None:
        """``whole``: the request's batch signature failed (the field points into ``/batch``)."""
        self.status, self.exc = "refused", error
        self.error = error.as_dict() if whole else refusal(self.index, error, problems)

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "release_id": self.release_id, "status": self.status}
        out.update({"receipt": self.receipt} if self.error is None else {"error": self.error})
        return out


def refusal(index: int, error: DomainError, problems: list[dict[str, str]] | None) -> dict[str, Any]:
    """The error as a dict, its field a JSON pointer into the batch body."""
    out = error.as_dict()
    out["field"] = at(index, error.field)
    if problems is not None:
        out["problems"] = [{"path": at(index, p["path"]), "message": p["message"]} for p in problems]
    return out


def at(index: int, pointer: str | None) -> str:
    inner = pointer or ""
    inner = inner if inner.startswith("/") or not inner else f"/release/{inner}"
    return f"/releases/{index}{inner if inner != '/' else ''}"


def check_batch(bodies: Any) -> list[Any]:
    if not isinstance(bodies, list) or not 1 <= len(bodies) <= MAX_BATCH:
        raise Invalid(f"/releases: a list of 1 to {MAX_BATCH} signed releases is required",
                      message_zh=f"/releases：须为 1 到 {MAX_BATCH} 个签名发布的列表", field="/releases")
    return bodies


def receipt_form(value: Any, signed_batch: Any) -> str:
    if value is None:
        return "batch" if signed_batch is not None else "release"
    if value not in RECEIPT_FORMS:
        raise Invalid("/receipts: release (one hub signature each) or batch (one for the batch)",
                      message_zh="/receipts：须为 release 或 batch", field="/receipts")
    return str(value)


def ingest_many(hub: Hub, bodies: Sequence[Any], *, signed_batch: Any = None, receipts: str | None = None) -> list[dict[str, Any]]:
    """Per item ``{index, release_id, status, receipt | error}``, in the order given."""
    return [it.view() for it in judge(hub, bodies, signed_batch=signed_batch, receipts=receipts)]


def judge(hub: Hub, bodies: Sequence[Any], *, signed_batch: Any = None, receipts: str | None = None, single: bool = False,
          via: str | None = None) -> list[Item]:
    """``via``: the lower hub that forwards them with proofs (``proven.py``); ``registry.misrouted``."""
    form = receipt_form(receipts, signed_batch)
    items = [_parse(i, body, covered=signed_batch is not None) for i, body in enumerate(check_batch(list(bodies)))]
    _find_keys(hub, [it for it in items if it.pending], via)
    _check_proofs(items)
    if signed_batch is not None:
        _check_signed_batch(hub, items, signed_batch)
    in_parallel(_check_signature, [it for it in items if it.pending and it.env and it.env.signature is not None])
    for it in items:
        _check_schema(it)  # in this thread: the validator holds the GIL, a pool would only add switching
    todo = _pair_twins(items)
    new = [New(it.index, _env(it), it.data, it.digest) for it in todo]
    _apply(items, store(hub, new, receipts=form, lock_first=not single) if new else {})
    _settle_twins(items)
    return items


def _parse(index: int, body: Any, *, covered: bool) -> Item:
    item = Item(index)
    try:
        item.env = ingest.parse(body, covered=covered)
        item.data = canonical_of(item.env)
        item.digest = hashlib.sha256(item.data).hexdigest()
    except Invalid as error:
        item.refuse(error)
    return item


def canonical_of(env: ingest.Envelope) -> bytes:
    """The release's canonical JSON; ``Invalid`` for what JSON cannot hold (NaN, an infinity)."""
    try:
        return protocol.canonical(env.release)
    except (ValueError, TypeError) as error:
        raise Invalid(f"/release: not JSON ({error})", message_zh="/release：不是合法的 JSON 值", field="/release") from None


def _find_keys(hub: Hub, items: list[Item], via: str | None) -> None:
    """Every platform's key in one query; an unknown platform refuses its items, and so does
    one whose items may not come this way (``registry.misrouted``, ADR 0029)."""
    p = tables.platforms
    wanted = sorted({it.env.platform_id for it in items if it.env})
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(p.c.id, p.c.suite, p.c.public_pem, p.c.via).where(p.c.id.in_(wanted), p.c.kind == "platform")).all() if wanted else []
        misrouted = registry.misrouted(conn, rows, via) if rows else {}
    found = {row.id: (row.suite, row.public_pem.encode()) for row in rows}
    for it in items:
        it.key = found.get(_env(it).platform_id)
        if it.key is None:
            it.refuse(ingest.unknown_platform(_env(it).platform_id))
        elif _env(it).platform_id in misrouted:
            it.refuse(misrouted[_env(it).platform_id])


def _check_proofs(items: list[Item]) -> None:
    """Items that carry their own batch proof: the path gives the root, and the platform
    signed that root (one check per batch head)."""
    heads: dict[tuple[str, int, str, str], bool] = {}
    for it in items:
        env = it.env
        if not it.pending or env is None or env.proof is None or it.key is None:
            continue
        proof = env.proof
        if not proof.proves(bytes.fromhex(it.digest)):
            it.refuse(ingest.not_in_batch())
            continue
        head = (env.platform_id, proof.size, proof.root, proof.signature)
        if head not in heads:
            heads[head] = protocol.verify(it.key[0], it.key[1], batchsig.platform_head(*head[:3]), proof.signature)
        if not heads[head]:
            it.refuse(ingest.bad_signature("/batch/signature"))


def _check_signed_batch(hub: Hub, items: list[Item], body: Any) -> None:
    """A batch-signed request: the root of every item's digest, signed once by its platform."""
    try:
        platform_id, size, root, signature = _batch_head(body, len(items))
        if any(it.env is None for it in items):
            raise Invalid("/batch: every item of a batch-signed request must be a release envelope, or the root cannot be checked",
                          message_zh="/batch：批量签名请求的每个条目都须为发布信封，否则无法核对根", field="/batch")
        leaves = b"".join(bytes.fromhex(it.digest) for it in items)  # stored once for the batch, no path per item (ADR 0021)
        computed = batchsig.root_of(batchsig.digests_of(leaves))
        key = _platform_key(hub, platform_id)
        if computed.hex() != root or not protocol.verify(key[0], key[1], batchsig.platform_head(platform_id, size, root), signature):
            raise ingest.bad_signature("/batch/signature")
    except DomainError as error:
        for it in items:
            if it.pending:
                it.refuse(error, whole=True)
        return
    for it in items:
        if it.pending and _env(it).platform_id != platform_id:
            it.refuse(Invalid(f"/platform_id: the batch is signed by {platform_id}", message_zh=f"/platform_id：批次由 {platform_id} 签名", field="/platform_id"))
        elif it.pending:
            env = _env(it)  # (a new envelope by hand: ``dataclasses.replace`` costs more than the rest of the check)
            it.env = ingest.Envelope(env.platform_id, env.release, env.signature, batchsig.Proof(size, it.index, root, (), signature, leaves))


def _batch_head(body: Any, count: int) -> tuple[str, int, str, str]:
    size, root, signature = batchsig.parse_head(body, "/batch")
    platform_id = body.get("platform_id")
    if not isinstance(platform_id, str):
        raise Invalid("/batch/platform_id: str required", message_zh="/batch/platform_id：缺失或类型错误", field="/batch/platform_id")
    if size != count:
        raise Invalid(f"/batch/size: the batch signs {size} releases, the request holds {count}",
                      message_zh=f"/batch/size：批次签名 {size} 个发布，请求含 {count} 个", field="/batch/size")
    return platform_id, size, root, signature


def _platform_key(hub: Hub, platform_id: str) -> tuple[str, bytes]:
    p = tables.platforms
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(p.c.suite, p.c.public_pem).where(p.c.id == platform_id, p.c.kind == "platform")).first()
    if row is None:
        raise ingest.unknown_platform(platform_id)
    return row.suite, row.public_pem.encode()


def _check_signature(item: Item) -> None:
    """The item's own signature (runs in the pool: ``cryptography`` releases the GIL)."""
    env = item.env
    if (item.pending and env is not None and env.signature is not None and item.key is not None
            and not protocol.verify_bytes(item.key[0], item.key[1], item.data, env.signature)):
        item.refuse(ingest.bad_signature())


def _check_schema(item: Item) -> None:
    if item.pending and item.env is not None:
        try:
            check_release(item.env.release)
        except ReleaseInvalid as error:
            item.refuse(error, error.problems)


def _pair_twins(items: list[Item]) -> list[Item]:
    """The items to store: the first of each (ocid, id); a later one with the same is its
    twin (same digest: a repeat; other content: refused like a reused id)."""
    first: dict[tuple[str, str], Item] = {}
    todo = []
    for it in items:
        if not it.pending:
            continue
        key = _env(it).key
        if key in first:
            it.twin = first[key].index
            if first[key].digest != it.digest:
                it.refuse(ingest.reused(key[1]))
            continue
        first[key] = it
        todo.append(it)
    return todo


def _env(item: Item) -> ingest.Envelope:
    assert item.env is not None
    return item.env


def _apply(items: list[Item], results: dict[int, Result]) -> None:
    for it in items:
        if it.index in results:
            status, receipt, error = results[it.index]
            if error is not None:
                it.refuse(error)
            else:
                it.status, it.receipt = status, receipt


def _settle_twins(items: list[Item]) -> None:
    for it in items:
        if it.twin is not None and it.pending:
            first = items[it.twin]
            if first.error is not None:
                it.status, it.exc, it.error = "refused", first.exc, {**first.error, "field": at(it.index, "/release/id")}
            else:
                it.status, it.receipt = "repeat", first.receipt


# ---- HTTP: POST /hub/releases:batch ----------------------------------------------------------

BATCH_PATH = protocol.BATCH_PATH


async def post_batch(request: Request) -> Response:
    """批量接收签名的 OCDS 发布 / Ingest up to 1000 signed releases (signed one by one, or as a batch): 200 with one outcome per item."""
    body = read_json(await request.body())
    if not isinstance(body, dict):
        raise Invalid("a JSON object {releases: [...]} is required", message_zh="须为 JSON 对象 {releases: [...]}", field="/")
    releases, signed = check_batch(body.get("releases")), body.get("batch")
    results = await run_in_threadpool(lambda: ingest_many(request.app.state.hub, releases, signed_batch=signed, receipts=body.get("receipts")))
    counts = {status: sum(r["status"] == status for r in results) for status in ("created", "repeat", "refused")}
    return Response(orjson.dumps({"results": results, **counts}), media_type="application/json")


def read_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:  # integers beyond 64 bits: the standard library reads them; NaN stays refused
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"the body is not JSON: {exc}", message_zh="请求体不是合法的 JSON", field="/") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def install(app: FastAPI) -> None:
    app.add_api_route(BATCH_PATH, post_batch, methods=["POST"], tags=["hub"])

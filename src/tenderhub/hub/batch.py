"""``ingest_many(hub, bodies)``: up to ``MAX_BATCH`` signed releases, one outcome each.

Each item is judged **on its own**, with the checks of ``ingest`` (envelope, platform,
signature, OCDS schema, idempotency by release id): ``created`` (stored now, new receipt),
``repeat`` (already stored with the same digest, or the same release earlier in this batch:
the stored receipt) or ``refused`` (``error`` with kind, code, the JSON pointer into the batch
body ``/releases/{i}/…`` and the message in Chinese and English; ``problems`` for a schema
refusal). A refused release stores nothing of itself and does not stop the others.

Every release the batch stores is written in **one transaction**: release rows, transparency-log leaves (one ``append_many``), feed positions
(one update of ``feed_head`` after the leaves, its lock held to the commit, so positions stay
in commit order, ADR 0008) and receipts. A database failure rolls the whole transaction back
and the call raises: nothing of the batch is stored, and the same batch can be sent again.
The whole batch is received at one instant (one ``received_at``). The portal's
announcements are derived afterwards by the indexer that follows the feed (``portal/indexer.py``).

Signatures are checked and receipts signed in a small thread pool (``cryptography`` releases
the GIL while it computes), keys loaded once (``protocol``), the schema checked by one
compiled validator.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from tenderhub.core.shared.errors import DomainError, Invalid
from tenderhub.hub import ingest, protocol, tables
from tenderhub.hub.context import Hub
from tenderhub.hub.tlog import MerkleLog, SqlLeafStore, entry_for_release
from tenderhub.hub.validation import ReleaseInvalid, check_release

MAX_BATCH = protocol.MAX_BATCH
INLINE = 16  # fewer items than this are checked in the calling thread
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Item:
    index: int
    env: ingest.Envelope | None = None
    data: bytes = b""
    digest: str = ""
    status: str = "pending"
    receipt: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    twin: int | None = None  # the earlier item of this batch with the same release id
    key: tuple[str, bytes] | None = field(default=None, repr=False)

    @property
    def release_id(self) -> str | None:
        rid = self.env.release.get("id") if self.env else None
        return rid if isinstance(rid, str) else None

    def refuse(self, error: DomainError, problems: list[dict[str, str]] | None = None) -> None:
        self.status, self.error = "refused", refusal(self.index, error, problems)

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


def ingest_many(hub: Hub, bodies: Sequence[Any]) -> list[dict[str, Any]]:
    """Per item ``{index, release_id, status, receipt | error}``, in the order given."""
    items = [_parse(i, body) for i, body in enumerate(check_batch(list(bodies)))]
    _find_keys(hub, [it for it in items if it.status == "pending"])
    in_parallel(_check, [it for it in items if it.status == "pending"])
    todo = _pair_twins(items)
    _apply(items, _store_retrying(hub, todo))
    _settle_twins(items)
    return [it.view() for it in items]


def _parse(index: int, body: Any) -> Item:
    item = Item(index)
    try:
        item.env = ingest.parse(body)
        item.data = ingest.canonical_of(item.env)
    except Invalid as error:
        item.refuse(error)
    return item


def _find_keys(hub: Hub, items: list[Item]) -> None:
    """Every platform's key in one query; an unknown platform refuses its items."""
    p = tables.platforms
    wanted = sorted({it.env.platform_id for it in items if it.env})
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(p.c.id, p.c.suite, p.c.public_pem).where(p.c.id.in_(wanted), p.c.kind == "platform")).all() if wanted else []
    found = {row.id: (row.suite, row.public_pem.encode()) for row in rows}
    for it in items:
        assert it.env is not None
        it.key = found.get(it.env.platform_id)
        if it.key is None:
            it.refuse(ingest.unknown_platform(it.env.platform_id))


def _check(item: Item) -> None:
    """Signature, then schema, then the digest (runs in the pool)."""
    if item.status != "pending" or item.env is None or item.key is None:
        return
    if not protocol.verify_bytes(item.key[0], item.key[1], item.data, item.env.signature):
        item.refuse(ingest.bad_signature())
        return
    try:
        check_release(item.env.release)
    except ReleaseInvalid as error:
        item.refuse(error, error.problems)
        return
    item.digest = hashlib.sha256(item.data).hexdigest()


def _pair_twins(items: list[Item]) -> list[Item]:
    """The items to store: the first of each release id; a later one with the same id is its
    twin (same digest: a repeat; other content: refused like a reused id)."""
    first: dict[str, Item] = {}
    todo = []
    for it in items:
        if it.status != "pending":
            continue
        rid = it.release_id or ""
        if rid in first:
            it.twin = first[rid].index
            if first[rid].digest != it.digest:
                it.refuse(ingest.reused(rid))
            continue
        first[rid] = it
        todo.append(it)
    return todo


Result = tuple[str, dict[str, Any] | None, DomainError | None]


def _store_retrying(hub: Hub, todo: list[Item]) -> dict[int, Result]:
    """A concurrent insert of the same id or a stale SQLite snapshot: the whole transaction again."""
    for _attempt in range(ingest.ATTEMPTS):
        try:
            return _store(hub, todo)
        except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
            if not ingest.retryable(exc):
                raise
    raise ingest.busy()


def _store(hub: Hub, todo: list[Item]) -> dict[int, Result]:
    if not todo:
        return {}
    with hub.engine.connect() as conn, conn.begin():
        ingest.write_lock(conn)  # SQLite: the write lock before reading what is known
        known = ingest.known_rows(conn, [it.release_id or "" for it in todo])
        results: dict[int, Result] = {}
        new = []
        for it in todo:
            stored = known.get(it.release_id or "")
            if stored is None:
                new.append(it)
            elif stored[0] == it.digest:
                results[it.index] = ("repeat", stored[1], None)
            else:
                results[it.index] = ("refused", None, ingest.reused(it.release_id or ""))
        new = _own_processes(conn, new, results)
        if new:
            results.update(_insert(hub, conn, new))
    return results


def _own_processes(conn: sa.Connection, new: list[Item], results: dict[int, Result]) -> list[Item]:
    """The new items whose ocid is unknown or their platform's (the first item of a new ocid decides)."""
    owners = ingest.ocid_owners(conn, sorted({_env(it).release["ocid"] for it in new}))
    kept = []
    for it in new:
        env = _env(it)
        try:
            ingest.refuse_foreign(owners, env)
        except DomainError as error:
            results[it.index] = ("refused", None, error)
            continue
        owners.setdefault(env.release["ocid"], env.platform_id)
        kept.append(it)
    return kept


def _insert(hub: Hub, conn: sa.Connection, new: list[Item]) -> dict[int, Result]:
    envs = [_env(it) for it in new]
    for env in envs:
        ingest.pause(hub, "started", env.release)
    when = hub.clock.now()
    rows = [ingest.release_row(env, it.data, it.digest, when) for env, it in zip(envs, new, strict=True)]
    conn.execute(sa.insert(tables.releases), sorted(rows, key=lambda row: row["id"]))  # one lock order: no deadlock
    for env in envs:
        ingest.pause(hub, "written", env.release)
    entries = [entry_for_release(e.release["ocid"], e.release["id"], it.digest, e.platform_id, when) for e, it in zip(envs, new, strict=True)]
    leaves = MerkleLog(SqlLeafStore(conn)).append_many(entries)  # same transaction
    positions = ingest.next_positions(conn, len(new))
    conn.execute(sa.insert(tables.feed), [ingest.feed_row(env, pos) for env, pos in zip(envs, positions, strict=True)])
    key, stamp = hub.key_info()["fingerprint"], when.isoformat()
    bodies = [ingest.receipt_body(hub, env, it.digest, pos, stamp, leaf, key) for env, it, pos, leaf in zip(envs, new, positions, leaves, strict=True)]
    receipts = sign_receipts(hub, bodies)
    conn.execute(sa.insert(tables.receipts), [ingest.receipt_row(b["release_id"], r) for b, r in zip(bodies, receipts, strict=True)])
    return {it.index: ("created", r, None) for it, r in zip(new, receipts, strict=True)}


def _env(item: Item) -> ingest.Envelope:
    assert item.env is not None
    return item.env


def sign_receipts(hub: Hub, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pair = hub.signing_pair()
    signatures = in_parallel(lambda body: protocol.sign_bytes(pair, protocol.canonical(body)), bodies)
    return [{"receipt": body, "signature": sig, "suite": pair.suite} for body, sig in zip(bodies, signatures, strict=True)]


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
        if it.twin is not None and it.status == "pending":
            first = items[it.twin]
            if first.error is not None:
                it.status, it.error = "refused", {**first.error, "field": at(it.index, "/release/id")}
            else:
                it.status, it.receipt = "repeat", first.receipt


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="hub-crypto")


def in_parallel(work: Callable[[T], R], values: list[T]) -> list[R]:
    """``[work(v) for v in values]`` spread over the pool in one chunk per worker."""
    if len(values) < INLINE:
        return [work(v) for v in values]
    workers = _pool()._max_workers
    chunks = [values[i::workers] for i in range(workers)]
    done = list(_pool().map(lambda chunk: [work(v) for v in chunk], chunks))
    out: list[R] = [None] * len(values)  # type: ignore[list-item]
    for i, chunk in enumerate(done):
        out[i::workers] = chunk
    return out


# ---- HTTP: POST /hub/releases:batch ----------------------------------------------------------

BATCH_PATH = protocol.BATCH_PATH


async def post_batch(request: Request) -> Response:
    """批量接收签名的 OCDS 发布 / Ingest up to 1000 signed releases: 200 with one outcome per item."""
    body = read_json(await request.body())
    if not isinstance(body, dict):
        raise Invalid("a JSON object {releases: [...]} is required", message_zh="须为 JSON 对象 {releases: [...]}", field="/")
    results = await run_in_threadpool(ingest_many, request.app.state.hub, check_batch(body.get("releases")))
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

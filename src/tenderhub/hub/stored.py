"""The hub's release rows: storing judged releases in one transaction, and reading them back.

``store(hub, new, receipts=…)`` takes releases whose signature and schema were checked
(``batch.py``) and stores them in **one transaction** (run again after a stale SQLite
snapshot, a concurrent insert of the same (ocid, id) or a PostgreSQL deadlock):

1. **claims** their ocids (``claim``): registered prefixes decide first; an unclaimed ocid is
   inserted into ``hub_ocids`` with ``ON CONFLICT DO NOTHING`` and the owners read back, so of
   two first releases racing for one ocid exactly one platform owns it (the primary key
   decides, not a read before the insert: the second waits for the first's commit). Another
   platform's ocid refuses the item (``foreign_ocid``).
2. the stored (ocid, id)s: ``repeat`` with the stored receipt, or ``release_id_reused``;
3. for the new ones, the feed positions (``feed_head``, lock held to the commit, ADR 0008),
   the log leaves (``SqlLeafStore``: its end reserved under its lock, the leaves hashed while
   PostgreSQL stores the release rows, then written; ADR 0033), the receipts (one hub signature each, or one
   for all: ``receipts="batch"``, ADR 0013) and **one row per release** holding the release,
   its platform signature or batch reference and path, its position and its receipt.

Lock order: ocid claims (sorted), then ``feed_head``, then the log's lock; a transaction
holding ``feed_head`` has claimed all it needs, so none waits for another in a cycle.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tenderhub.core.shared.errors import DomainError
from tenderhub.hub import batchsig, ingest, protocol, tables
from tenderhub.hub.context import Hub
from tenderhub.hub.ingest import Envelope
from tenderhub.hub.tlog import SqlLeafStore, entries_for_releases
from tenderhub.hub.tlog.sqlstore import Staged, bulk_insert, stage, utf8_copy

INLINE = 16  # fewer items than this are signed in the calling thread
T = TypeVar("T")
R = TypeVar("R")
Result = tuple[str, dict[str, Any] | None, DomainError | None]  # (created | repeat | refused, receipt, error)


@dataclass(frozen=True)
class New:
    index: int
    env: Envelope
    data: bytes  # canonical JSON
    digest: str  # hex SHA-256 of data


def store(hub: Hub, new: list[New], *, receipts: str = "release", lock_first: bool = True) -> dict[int, Result]:
    for attempt in range(ingest.ATTEMPTS):
        try:
            return _store(hub, new, receipts, lock_first or attempt > 0)
        except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
            if not ingest.retryable(exc):
                raise
    raise ingest.busy()


# ---- ownership ---------------------------------------------------------------------------------

def claim(conn: sa.Connection, new: Sequence[New]) -> tuple[dict[int, DomainError], set[str]]:
    """Claim the items' ocids (one ``INSERT … ON CONFLICT DO NOTHING RETURNING``, in sorted
    order: one lock order); the items whose ocid is another platform's (or outside their own
    prefix) by index, and the ocids claimed now (no release of them is stored yet)."""
    prefixes = registered_prefixes(conn)
    refused = {n.index: e for n in new if (e := ingest.prefix_refusal(prefixes, n.env)) is not None} if prefixes else {}
    first: dict[str, str] = {}
    for n in new:
        if n.index not in refused:
            first.setdefault(str(n.env.release["ocid"]), n.env.platform_id)
    fresh = claim_rows(conn, [{"ocid": o, "platform_id": first[o]} for o in sorted(first)])
    owners = {o: first[o] for o in fresh} | ocid_owners(conn, sorted(set(first) - fresh))
    refused.update({n.index: e for n in new if n.index not in refused and (e := ingest.owner_refusal(owners, n.env)) is not None})
    return refused, fresh


def claim_rows(conn: sa.Connection, rows: list[dict[str, Any]]) -> set[str]:
    """The ocids of ``rows`` inserted now (the others were claimed before, perhaps by another
    platform, perhaps by a transaction this one waited for)."""
    if not rows:
        return set()
    if conn.dialect.driver == "psycopg":  # one statement of two arrays: no per-row parameters
        found = conn.exec_driver_sql(CLAIM_PG, ([r["ocid"] for r in rows], [r["platform_id"] for r in rows]))
        return {row[0] for row in found}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(tables.ocids).on_conflict_do_nothing().returning(tables.ocids.c.ocid)
    return set(conn.execute(statement, rows).scalars().all())


CLAIM_PG = ("INSERT INTO hub_ocids (ocid, platform_id) SELECT o, p FROM unnest(%s::varchar[], %s::varchar[]) AS t(o, p) "
            "ORDER BY o ON CONFLICT DO NOTHING RETURNING ocid")  # sorted: one lock order for every claimer


def registered_prefixes(conn: sa.Connection) -> dict[str, str]:
    p = tables.platforms
    return {row.ocid_prefix: row.id for row in conn.execute(sa.select(p.c.id, p.c.ocid_prefix).where(p.c.ocid_prefix.is_not(None)))}


def ocid_owners(conn: sa.Connection, ocids: list[str]) -> dict[str, str]:
    o, found = tables.ocids, {}
    if conn.dialect.driver == "psycopg" and ocids:  # one query of one array
        return dict(conn.exec_driver_sql("SELECT ocid, platform_id FROM hub_ocids WHERE ocid = ANY(%s::varchar[])", (ocids,)).all())
    for start in range(0, len(ocids), ingest.CHUNK):
        found.update({row.ocid: row.platform_id for row in conn.execute(sa.select(o).where(o.c.ocid.in_(ocids[start:start + ingest.CHUNK])))})
    return found


# ---- the ingest transaction ---------------------------------------------------------------------

def write_lock(conn: sa.Connection) -> None:
    """SQLite: take the write lock before reading (a retry after a stale snapshot, a batch)."""
    if conn.dialect.name == "sqlite":
        conn.execute(sa.update(tables.feed_head).where(tables.feed_head.c.id == 1).values(last=tables.feed_head.c.last))


def _store(hub: Hub, todo: list[New], receipts: str, lock_first: bool) -> dict[int, Result]:
    with hub.engine.connect() as conn, conn.begin():
        if lock_first:
            write_lock(conn)
        for stage in ("started", "written"):
            for n in todo:
                ingest.pause(hub, stage, n.env.release)
        refused, fresh = claim(conn, todo)
        results: dict[int, Result] = {i: ("refused", None, e) for i, e in refused.items()}
        todo = [n for n in todo if n.index not in results]
        known = known_rows(conn, [n.env.key for n in todo if n.env.key[0] not in fresh])  # a new ocid has no release yet
        for n in todo:
            if n.env.key in known:
                digest, receipt = known[n.env.key]
                results[n.index] = ("repeat", receipt, None) if digest == n.digest else ("refused", None, ingest.reused(n.env.key[1]))
        new = [n for n in todo if n.index not in results]
        if new:
            results.update(_insert(hub, conn, new, receipts))
    return results


def next_positions(conn: sa.Connection, count: int) -> range:
    """``count`` feed positions from the one counter row, whose lock is held to the commit."""
    head = tables.feed_head
    conn.execute(sa.update(head).where(head.c.id == 1).values(last=head.c.last + count))
    last = int(conn.execute(sa.select(head.c.last).where(head.c.id == 1)).scalar_one())
    return range(last - count + 1, last + 1)


def _insert(hub: Hub, conn: sa.Connection, new: list[New], receipts: str) -> dict[int, Result]:
    when = hub.clock.now()
    positions = next_positions(conn, len(new))
    log = SqlLeafStore(conn)
    reserved = log.reserve()  # the log's lock and end (same transaction): leaf i of the batch is start + i
    leaves = range(reserved.start, reserved.start + len(new))
    key, stamp = hub.key_info()["fingerprint"], when.isoformat()
    bodies = [ingest.receipt_body(n.env, n.digest, pos, stamp, leaf, key) for n, pos, leaf in zip(new, positions, leaves, strict=True)]
    texts = [protocol.canonical(body) for body in bodies]
    signed = _sign_one_by_one(hub, texts) if receipts == "release" else _sign_together(hub, conn, key, texts)
    batches = _platform_batches(conn, new)
    stamp_db = driver_time(conn, when)
    raw = utf8_copy(conn)  # the canonical JSON and the receipt sent as their bytes (ADR 0033)
    rows = (_row(n, pos, stamp_db, text, receipt, batches, raw) for n, pos, text, receipt in zip(new, positions, texts, signed, strict=True))  # sent as built

    def meanwhile() -> tuple[Staged, dict[int, Result]]:  # while PostgreSQL stores the rows (the COPY's server side)
        entries = entries_for_releases([(n.env.release["ocid"], n.env.release["id"], n.digest, n.env.platform_id) for n in new], when)
        answers: dict[int, Result] = {n.index: ("created", _receipt(body, one), None) for n, body, one in zip(new, bodies, signed, strict=True)}
        return stage(reserved, entries), answers

    done = bulk_insert(conn, tables.releases, COLUMNS, rows, meanwhile=meanwhile, as_bytes=("canonical", "receipt") if raw else ())
    assert done is not None
    log.write(done[0])  # the leaves the receipts name, in the same transaction
    return done[1]


def driver_time(conn: sa.Connection, at: datetime) -> datetime | str:
    """A UTC time as the driver stores it for ``UtcDateTime`` (SQLite: SQLAlchemy's text form)."""
    if conn.dialect.name != "sqlite":
        return at.astimezone(UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sign_one_by_one(hub: Hub, texts: list[bytes]) -> list[dict[str, Any]]:
    pair = hub.signing_pair()
    return [{"receipt_signature": s} for s in in_parallel(lambda text: protocol.sign_bytes(pair, text), texts)]


def _sign_together(hub: Hub, conn: sa.Connection, key: str, texts: list[bytes]) -> list[dict[str, Any]]:
    """One hub signature over the Merkle root of the receipts; each keeps its index and path."""
    digests = [hashlib.sha256(text).digest() for text in texts]
    levels = [[node.hex() for node in level] for level in batchsig.tree_levels(digests)]  # each node written once
    root = levels[-1][0]
    signature = protocol.sign(hub.signing_pair(), batchsig.receipt_head(key, len(texts), root))
    row = {"hub_key": key, "size": len(texts), "root": root, "signature": signature, "leaves": b"".join(digests)}
    batch_id = conn.execute(sa.insert(tables.receipt_batches).values(row).returning(tables.receipt_batches.c.id)).scalar_one()
    head = {"size": len(texts), "root": root, "signature": signature, "levels": levels}  # the answer's paths: ``_receipt``
    return [{"receipt_batch": batch_id, "receipt_index": i, "batch": head}  # no path in the row: computed on read from ``leaves`` (ADR 0021)
            for i in range(len(texts))]


def _platform_batches(conn: sa.Connection, new: list[New]) -> dict[tuple[str, str], int]:
    """The id of each platform batch the new releases belong to (stored once each)."""
    heads: dict[tuple[str, str], batchsig.Proof] = {}
    for n in new:
        proof = n.env.proof
        if proof is not None and (heads.get((n.env.platform_id, proof.root)) is None or proof.leaves is not None):
            heads[(n.env.platform_id, proof.root)] = proof  # the one with the batch's leaves, if any
    if not heads:
        return {}
    pb = tables.platform_batches
    values = [{"platform_id": p, "size": proof.size, "root": root, "signature": proof.signature, "leaves": proof.leaves}
              for (p, root), proof in sorted(heads.items())]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(pb)
    # a batch first seen through one forwarded release has no leaves yet: the whole batch adds them
    conn.execute(statement.on_conflict_do_update(index_elements=[pb.c.platform_id, pb.c.root],
                                                 set_={"leaves": sa.func.coalesce(pb.c.leaves, statement.excluded.leaves)}), values)
    rows = conn.execute(sa.select(pb.c.id, pb.c.platform_id, pb.c.root).where(pb.c.root.in_(sorted({root for _, root in heads}))))
    return {(row.platform_id, row.root): row.id for row in rows}


COLUMNS = ("position", "id", "ocid", "platform_id", "digest", "canonical", "signature", "date", "batch_id", "batch_index",
           "batch_path", "received_at", "receipt", "receipt_signature", "receipt_batch", "receipt_index", "receipt_path")


def _row(n: New, position: int, when: Any, receipt_text: bytes, receipt: dict[str, Any], batches: dict[tuple[str, str], int],
         raw: bool) -> tuple[Any, ...]:
    """The values of ``COLUMNS`` (``raw``: the canonical JSON and the receipt as their UTF-8 bytes, ``utf8_copy``)."""
    env, proof = n.env, n.env.proof
    return (position, env.release["id"], env.release["ocid"], env.platform_id, n.digest, n.data if raw else n.data.decode("utf-8"), env.signature,
            env.release["date"], batches[(env.platform_id, proof.root)] if proof else None, proof.index if proof else None,
            batchsig.path_bytes(proof.path) if proof and proof.leaves is None else None, when, receipt_text if raw else receipt_text.decode("utf-8"),
            receipt.get("receipt_signature"),
            receipt.get("receipt_batch"), receipt.get("receipt_index"), receipt.get("receipt_path"))


def _receipt(body: dict[str, Any], signed: dict[str, Any]) -> dict[str, Any]:
    if "batch" in signed:
        head, index = signed["batch"], signed["receipt_index"]
        path = batchsig.audit_path(head["levels"], index)
        return {"receipt": body, "suite": "intl", "batch": {"size": head["size"], "index": index, "root": head["root"], "path": path, "signature": head["signature"]}}
    return {"receipt": body, "signature": signed["receipt_signature"], "suite": "intl"}


# ---- reading rows back ---------------------------------------------------------------------------

def stored_query() -> sa.Select[Any]:
    """Release rows with their platform batch and receipt batch (when they have one)."""
    r, pb, rb = tables.releases, tables.platform_batches, tables.receipt_batches
    return (sa.select(r, pb.c.size.label("batch_size"), pb.c.root.label("batch_root"), pb.c.signature.label("batch_signature"),
                      pb.c.leaves.label("batch_leaves"), rb.c.size.label("receipt_size"), rb.c.root.label("receipt_root"),
                      rb.c.signature.label("receipt_batch_signature"), rb.c.leaves.label("receipt_leaves"))
            .select_from(r.outerjoin(pb, pb.c.id == r.c.batch_id).outerjoin(rb, rb.c.id == r.c.receipt_batch)))


def receipt_of(row: Any) -> dict[str, Any]:
    """The hub's receipt as it was issued: signed alone, or with its place in a receipt batch."""
    body = load_json(row.receipt)
    if row.receipt_signature is not None:
        return {"receipt": body, "signature": row.receipt_signature, "suite": "intl"}
    path = [h.hex() for h in stored_path(row.receipt_path, row.receipt_leaves, row.receipt_index)]
    return {"receipt": body, "suite": "intl", "batch": {"size": row.receipt_size, "index": row.receipt_index, "root": row.receipt_root,
                                                        "path": path, "signature": row.receipt_batch_signature}}


def envelope_of(row: Any) -> dict[str, Any]:
    """The release as its platform signed it: ``signature``, or ``batch`` (a proof that verifies alone)."""
    out: dict[str, Any] = {"platform_id": row.platform_id, "release": load_json(row.canonical)}
    if row.signature is not None:
        return out | {"signature": row.signature}
    path = [h.hex() for h in stored_path(row.batch_path, row.batch_leaves, row.batch_index)]
    return out | {"batch": {"size": row.batch_size, "index": row.batch_index, "root": row.batch_root, "path": path, "signature": row.batch_signature}}


def stored_path(path: bytes | None, leaves: bytes | None, index: int) -> list[bytes] | tuple[bytes, ...]:
    """A row's audit path: its own (forwarded alone, or stored before revision 0006), else
    computed from its batch's stored digests (ADR 0021)."""
    if path is not None or leaves is None:
        return batchsig.path_of_bytes(path or b"")
    return batchsig.paths_of(bytes(leaves))[index]


def load_json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # integers beyond 64 bits: the standard library reads them
        return json.loads(text)


def known_rows(conn: sa.Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    """Stored (digest, receipt) by (ocid, id), for the keys given (read in chunks; the
    receipts, with their batches, only of the positions found)."""
    r, wanted, positions = tables.releases, set(keys), []
    ids = sorted({rid for _, rid in wanted})
    for start in range(0, len(ids), ingest.CHUNK):
        rows = conn.execute(sa.select(r.c.position, r.c.ocid, r.c.id).where(r.c.id.in_(ids[start:start + ingest.CHUNK])))
        positions += [row.position for row in rows if (row.ocid, row.id) in wanted]
    found = {}
    for start in range(0, len(positions), ingest.CHUNK):
        for row in conn.execute(stored_query().where(r.c.position.in_(positions[start:start + ingest.CHUNK]))):
            found[(row.ocid, row.id)] = (row.digest, receipt_of(row))
    return found


# ---- the crypto pool ---------------------------------------------------------------------------

@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="hub-crypto")


def in_parallel(work: Callable[[T], R], values: list[T]) -> list[R]:
    """``[work(v) for v in values]`` spread over the pool in one chunk per worker
    (``cryptography`` releases the GIL while it computes)."""
    if len(values) < INLINE:
        return [work(v) for v in values]
    workers = _pool()._max_workers
    chunks = [values[i::workers] for i in range(workers)]
    done = list(_pool().map(lambda chunk: [work(v) for v in chunk], chunks))
    out: list[R] = [None] * len(values)  # type: ignore[list-item]
    for i, chunk in enumerate(done):
        out[i::workers] = chunk
    return out

"""What a lower hub forwards, proven to be in its own log (ADR 0029; 电子招标投标办法 第45条).

A lower hub forwards its platforms' releases and audit chain heads as the platforms signed
them, and now also **with the proof that it logged them**: each item carries ``log``
``{leaf_index, entry, audit_path}``, its leaf in the lower hub's log and the RFC 9162 inclusion
proof in the tree of ``size`` leaves, a tree head the upper hub already accepted from that hub
(``hub/monitor.py``: the forwarder sends its tree head first in each round). The lower hub signs
the claim ``{"type": TYPE, "hub_id", "size", "items": [{leaf_index, entry, audit_path, item}]}``, ``item``
the SHA-256 of the forwarded item's canonical JSON (without ``log``): the claim binds the items.

| route | body |
| --- | --- |
| ``POST /hub/releases:forward`` | ``{hub_id, size, releases: [envelope + log], signature}`` → the batch answer |
| ``POST /hub/chain-heads:forward`` | ``{hub_id, size, heads: [{platform_id, seq, hash, signature, log}], signature}`` → ``{results}`` |

The upper hub checks, in order: the hub (a registered member of kind ``hub``, not forked: 404,
403 ``not_a_hub``, 409 ``hub_forked``), the claim's signature (401 ``bad_signature``), that it
accepted a tree head of ``size`` from that hub (409 ``unknown_tree_head``: send the tree head
first); then per item: its ``entry`` is the canonical entry of **this** item (a release: its
ocid, id, platform and the digest of its canonical JSON; a head: platform, seq, hash) and the
proof puts it at ``leaf_index`` under the accepted root. An item that fails is refused
(``not_in_lower_log``, 422) and, since the lower hub signed the claim and the tree head, the
refusal is **recorded with the evidence** (``hub_lower_unproven``): both signed by the lower
hub, re-checkable by anyone, and shown at ``GET /hub/lower-hubs/{id}/unproven``; such a signed
false claim **flags the lower hub** like a fork (``hub/flags.py``, ADR 0031) until an operator
clears it (``hub/clearing.py``). Items that pass go through the ordinary checks (``batch.judge`` / ``transparency.log_chain_head``) with ``via``:
a lower hub forwards only the platforms registered through it, and those platforms' items come
to this hub only this way while the hub is in good standing (``registry.misrouted``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from tenderhub.core.shared.errors import Conflict, DomainError, Forbidden, Invalid
from tenderhub.db.types import JsonType, UtcDateTime
from tenderhub.hub import batch, flags, monitor, protocol, registry, stored, tables, transparency
from tenderhub.hub.access import the_hub
from tenderhub.hub.context import Hub
from tenderhub.hub.tlog import leaf_hash, parse_entry, verify_inclusion
from tenderhub.hub.tlog.sqlstore import leaves
from tenderhub.web.common.errors import STATUS_OF_KIND

RELEASES_PATH = "/hub/releases:forward"
HEADS_PATH = "/hub/chain-heads:forward"
TYPE = "tenderhub.hub.forwarded-items/1"
RELEASE, CHAIN_HEAD = "release", "chain_head"
PAGE = 100
_HEX64 = re.compile(r"[0-9a-f]{64}")

unproven = sa.Table(  # a lower hub's signed claim that failed: the evidence, kept for anyone to check
    "hub_lower_unproven",
    tables.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("hub_id", sa.String(64), nullable=False, index=True),
    sa.Column("what", sa.String(32), nullable=False),  # release | chain_head
    sa.Column("subjects", JsonType, nullable=False),  # the items refused: release ids, or "<platform id>#<seq>"
    sa.Column("detected_at", UtcDateTime, nullable=False),
    sa.Column("evidence", JsonType, nullable=False),
)


refusals = sa.Table(  # what this hub refused of a lower hub's signed forwards, item by item (the upper side of hub_upstream_refusals)
    "hub_lower_refusals",
    tables.metadata,
    sa.Column("hub_id", sa.String(64), primary_key=True),
    sa.Column("what", sa.String(32), primary_key=True),  # registration | release | chain_head
    sa.Column("subject", sa.String(300), primary_key=True),  # the platform id, the release id, or "<platform id>#<seq>"
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("code", sa.String(64), nullable=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("first_refused_at", UtcDateTime, nullable=False),
    sa.Column("refused_at", UtcDateTime, nullable=False),
    sa.Column("times", sa.Integer, nullable=False),
)


@dataclass(frozen=True)
class Claim:
    hub_id: str
    size: int
    kind: str
    items: list[dict[str, Any]]  # the forwarded items, each with its ``log``
    signature: str

    def signed(self) -> dict[str, Any]:
        return signed_part(self.hub_id, self.size, [item["log"] for item in self.items], [bare(item) for item in self.items])


def bare(item: dict[str, Any]) -> dict[str, Any]:
    """The forwarded item without its ``log``: the envelope, or the head, as its platform signed it."""
    return {k: v for k, v in item.items() if k != "log"}


def signed_part(hub_id: str, size: int, logs: list[dict[str, Any]], items: list[dict[str, Any]]) -> dict[str, Any]:
    """What the lower hub signs: each leaf with its proof and the SHA-256 of the item's canonical
    JSON (``item``), so the claim binds the items themselves and nobody else can swap one in."""
    digests = [hashlib.sha256(protocol.canonical(item)).hexdigest() for item in items]
    return {"type": TYPE, "hub_id": hub_id, "size": size, "items": [{**log, "item": d} for log, d in zip(logs, digests, strict=True)]}


# ---- the upper hub: checking a claim -------------------------------------------------------

def parse(body: Any, kind: str) -> Claim:
    name = "releases" if kind == RELEASE else "heads"
    if not isinstance(body, dict):
        raise Invalid(f"a JSON object {{hub_id, size, {name}, signature}} is required", message_zh="须为 JSON 对象", field="/")
    hub_id, signature, size, items = registry.text(body, "hub_id"), registry.text(body, "signature"), body.get("size"), body.get(name)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise Invalid("/size: a positive integer (the size of a tree head accepted from this hub) is required",
                      message_zh="/size：须为正整数（已接受的树头大小）", field="/size")
    if not isinstance(items, list) or not 1 <= len(items) <= protocol.MAX_BATCH:
        raise Invalid(f"/{name}: a list of 1 to {protocol.MAX_BATCH} items is required", message_zh=f"/{name}：须为 1 到 {protocol.MAX_BATCH} 项的列表", field=f"/{name}")
    for n, item in enumerate(items):
        _check_log(item, f"/{name}/{n}/log")
    return Claim(hub_id, size, kind, items, signature)


def _check_log(item: Any, path: str) -> None:
    log = item.get("log") if isinstance(item, dict) else None
    index, entry, proof = (log.get(k) for k in ("leaf_index", "entry", "audit_path")) if isinstance(log, dict) else (None, None, None)
    if (isinstance(index, bool) or not isinstance(index, int) or index < 0 or not isinstance(entry, str)
            or not isinstance(proof, list) or not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in proof)):
        raise Invalid(f"{path}: {{leaf_index, entry, audit_path}} is required (a leaf of the lower hub's log and its inclusion proof)",
                      message_zh=f"{path}：须含 leaf_index、entry、audit_path（下级平台日志中的叶子及其包含证明）", field=path)


def check(hub: Hub, claim: Claim) -> dict[int, DomainError]:
    """The claim's hub, signature and tree head (raising), then each item: the refusals by index,
    those not proven in the lower hub's log recorded with the evidence."""
    suite, pem = monitor.lower_hub_key(hub, claim.hub_id)
    try:
        signed = claim.signed()
    except (ValueError, TypeError) as exc:  # what canonical JSON cannot hold (NaN, an infinity)
        raise Invalid(f"an item is not JSON ({exc})", message_zh="某项不是合法的 JSON 值", field="/") from None
    if not protocol.verify(suite, pem, signed, claim.signature):
        raise Forbidden("the signature does not verify with the lower hub's registered key",
                        message_zh="签名无法用下级公共服务平台登记的公钥验证", field="/signature", code="bad_signature")
    head = accepted_head(hub, claim.hub_id, claim.size)
    refused = {n: error for n, item in enumerate(claim.items) if (error := _unproven(claim, n, item, bytes.fromhex(head.root))) is not None}
    if refused:
        record(hub, claim, head, sorted(refused))
    return refused


def accepted_head(hub: Hub, hub_id: str, size: int) -> Any:
    t = monitor.tree_heads
    with hub.engine.connect() as conn:
        head = conn.execute(sa.select(t).where(t.c.hub_id == hub_id, t.c.size == size)).first()
    if head is None:
        raise Conflict(f"no tree head of size {size} was accepted from hub {hub_id}: send it first (POST {monitor.FORWARD_STH_PATH})",
                       message_zh=f"未接受过下级公共服务平台 {hub_id} 大小为 {size} 的树头：须先转发该树头", field="/size", code="unknown_tree_head")
    return head


def _unproven(claim: Claim, n: int, item: dict[str, Any], root: bytes) -> DomainError | None:
    log = item["log"]
    entry = log["entry"].encode("utf-8")
    path = [bytes.fromhex(h) for h in log["audit_path"]]
    if _matches(claim.kind, item, entry) and verify_inclusion(leaf_hash(entry), log["leaf_index"], claim.size, path, root):
        return None
    return Invalid(f"this item is not proven in hub {claim.hub_id}'s log: its entry is not the item's, or the audit path does not lead "
                   f"from leaf {log['leaf_index']} to the root of the tree head of size {claim.size}; the refusal is recorded "
                   f"(GET /hub/lower-hubs/{claim.hub_id}/unproven) and the hub flagged (GET /hub/lower-hubs/{claim.hub_id}/flags)",
                   field="/log", code="not_in_lower_log",
                   message_zh=f"该项未能证明已记入下级公共服务平台 {claim.hub_id} 的日志（条目不符或包含证明不成立）；拒收已公开记录，该平台已被标记")


def _matches(kind: str, item: dict[str, Any], entry: bytes) -> bool:
    try:
        fields = parse_entry(entry)
        if kind == RELEASE:
            release = item["release"]
            digest = hashlib.sha256(protocol.canonical(release)).hexdigest()
            return bool(fields.get("kind") == RELEASE and fields.get("ocid") == release["ocid"] and fields.get("release_id") == release["id"]
                        and fields.get("platform") == item["platform_id"] and fields.get("digest") == digest)
        return bool(fields.get("kind") == CHAIN_HEAD and fields.get("platform") == item["platform_id"] and fields.get("seq") == item["seq"]
                    and fields.get("hash") == str(item["hash"]).lower())
    except (DomainError, KeyError, TypeError, ValueError):
        return False


def record(hub: Hub, claim: Claim, head: Any, failed: list[int]) -> None:
    """The evidence: the accepted tree head and the whole signed claim (both signed by the lower hub)."""
    evidence = {"tree_head": monitor.sth_view(head), "claim": {**claim.signed(), "signature": claim.signature}, "failed": failed,
                "items": {str(n): bare(claim.items[n]) for n in failed},
                "check": "the lower hub signed claim (its key, as tree_head); for each index i in failed, items[i] hashes to "
                         "claim.items[i].item, and claim.items[i].entry is not items[i]'s log entry, or "
                         "verify_inclusion(SHA-256(0x00 || entry), leaf_index, size, audit_path, tree_head.root) is false"}
    subjects = [_subject(claim.kind, claim.items[n]) for n in failed]
    with hub.engine.begin() as conn:  # the evidence and the flag it earns (ADR 0031), at once
        kept = conn.execute(sa.insert(unproven).values(hub_id=claim.hub_id, what=claim.kind, subjects=subjects,
                                                       detected_at=hub.clock.now(), evidence=evidence)).inserted_primary_key[0]  # type: ignore[index]
        flags.raise_flag(conn, hub, claim.hub_id, flags.FALSE_CLAIM, {
            "unproven": kept, "what": claim.kind, "size": claim.size, "subjects": subjects, "claim": protocol.digest(evidence["claim"]),
            "check": f"GET /hub/lower-hubs/{claim.hub_id}/unproven, record {kept}: claim is the SHA-256 of its evidence.claim (canonical JSON)"})


def record_refused(hub: Hub, hub_id: str, what: str, found: list[tuple[str, DomainError]]) -> None:
    """Keep each refusal of an item a lower hub forwarded under its own signature (the latest
    answer, the first time, how many times)."""
    now, r = hub.clock.now(), refusals
    with hub.engine.begin() as conn:
        for subject, error in found:
            values = {"status": STATUS_OF_KIND.get(error.kind, 422), "code": error.code, "message": error.message_en[:2000], "refused_at": now}
            where = sa.and_(r.c.hub_id == hub_id, r.c.what == what, r.c.subject == subject[:300])
            if conn.execute(sa.update(r).where(where).values(**values, times=r.c.times + 1)).rowcount == 0:
                conn.execute(sa.insert(r).values(hub_id=hub_id, what=what, subject=subject[:300], first_refused_at=now, times=1, **values))


def refusal_summary(conn: sa.Connection, hub_id: str) -> dict[str, Any]:
    """For the monitor view: how many items of each kind this hub refused from the lower hub, the
    last time, and how many claims failed their proof."""
    r, u = refusals, unproven
    rows = conn.execute(sa.select(r.c.what, sa.func.count(), sa.func.max(r.c.refused_at)).where(r.c.hub_id == hub_id).group_by(r.c.what)).all()
    claims = conn.execute(sa.select(sa.func.count()).where(u.c.hub_id == hub_id)).scalar_one()
    last = max((row[2] for row in rows), default=None)
    return {"count": sum(row[1] for row in rows), "by_what": {row[0]: row[1] for row in rows},
            "last_refused_at": last.isoformat() if last is not None else None, "unproven_claims": claims}


def refusals_of(hub: Hub, hub_id: str) -> dict[str, Any]:
    monitor.lower_hub(hub, hub_id)
    r = refusals
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(r).where(r.c.hub_id == hub_id).order_by(r.c.first_refused_at, r.c.what, r.c.subject)).all()
    return {"hub_id": hub_id, "refusals": [{"what": x.what, "subject": x.subject, "status": x.status, "code": x.code, "message": x.message,
                                            "first_refused_at": x.first_refused_at.isoformat(), "refused_at": x.refused_at.isoformat(),
                                            "times": x.times} for x in rows]}


def _subject(kind: str, item: dict[str, Any]) -> str:
    if kind == RELEASE:
        release = item.get("release")
        return str(release.get("id")) if isinstance(release, dict) else "?"
    return f"{item.get('platform_id')}#{item.get('seq')}"


# ---- the lower hub: the claims it sends ----------------------------------------------------

def logs(hub: Hub, indices: list[int], size: int) -> list[dict[str, Any]]:
    """``{leaf_index, entry, audit_path}`` of each leaf in the tree of ``size`` (the hashes read at once)."""
    with hub.engine.connect() as conn:
        entries = {row.idx: bytes(row.entry).decode("utf-8") for row in conn.execute(sa.select(leaves.c.idx, leaves.c.entry).where(leaves.c.idx.in_(indices)))}
    proofs = transparency.merkle_log(hub.engine).inclusion_proofs(indices, size)
    return [{"leaf_index": i, "entry": entries[i], "audit_path": [h.hex() for h in proof]} for i, proof in zip(indices, proofs, strict=True)]


def releases_post(hub: Hub, hub_id: str, size: int, rows: list[Any]) -> dict[str, Any]:
    """The body of ``POST /hub/releases:forward``: the stored releases (``stored.stored_query`` rows)
    as their platforms signed them, each with its leaf (the receipt's ``leaf_index``) and proof."""
    found = logs(hub, [int(orjson.loads(row.receipt)["leaf_index"]) for row in rows], size)
    items = [stored.envelope_of(row) for row in rows]
    return {"hub_id": hub_id, "size": size, "releases": [{**item, "log": log} for item, log in zip(items, found, strict=True)],
            "signature": protocol.sign(hub.signing_pair(), signed_part(hub_id, size, found, items))}


def heads_post(hub: Hub, hub_id: str, size: int, heads: list[Any]) -> dict[str, Any]:
    """The body of ``POST /hub/chain-heads:forward``: ``transparency.signed_heads`` rows with their proofs."""
    found = logs(hub, [int(h.leaf_index) for h in heads], size)
    items = [{"platform_id": h.platform_id, "seq": h.seq, "hash": h.hash, "signature": h.signature} for h in heads]
    return {"hub_id": hub_id, "size": size, "heads": [{**item, "log": log} for item, log in zip(items, found, strict=True)],
            "signature": protocol.sign(hub.signing_pair(), signed_part(hub_id, size, found, items))}


# ---- the upper hub: the routes -------------------------------------------------------------

def forward_releases(hub: Hub, body: Any) -> list[dict[str, Any]]:
    """The batch answer for the items, in order: refused when not proven, else judged by ``batch``."""
    claim = parse(body, RELEASE)
    refused = check(hub, claim)
    todo = [n for n in range(len(claim.items)) if n not in refused]
    envelopes = [bare(claim.items[n]) for n in todo]
    judged = batch.judge(hub, envelopes, via=claim.hub_id) if envelopes else []
    results: dict[int, dict[str, Any]] = {n: _renumber(it.view(), n) for n, it in zip(todo, judged, strict=True)}
    for n, error in refused.items():
        results[n] = {"index": n, "release_id": _subject(RELEASE, claim.items[n]), "status": "refused", "error": batch.refusal(n, error, None)}
    found = [(_subject(RELEASE, claim.items[n]), it.exc) for n, it in zip(todo, judged, strict=True) if it.exc is not None and not it.pending]
    refused_now = sorted(found + [(_subject(RELEASE, claim.items[n]), e) for n, e in refused.items()], key=lambda pair: pair[0])
    if refused_now:
        record_refused(hub, claim.hub_id, RELEASE, refused_now)
    return [results[n] for n in range(len(claim.items))]


def _renumber(view: dict[str, Any], n: int) -> dict[str, Any]:
    """A result of the sub-batch, its index and error pointers moved to the item's place in the post."""
    error = view.get("error")
    if error is not None:
        j = f"/releases/{view['index']}"
        error = {**error, "field": f"/releases/{n}" + (error.get("field") or "").removeprefix(j)}
        if "problems" in error:
            error["problems"] = [{**p, "path": f"/releases/{n}" + p["path"].removeprefix(j)} for p in error["problems"]]
    return {**view, "index": n, **({"error": error} if error is not None else {})}


def forward_heads(hub: Hub, body: Any) -> list[dict[str, Any]]:
    claim = parse(body, CHAIN_HEAD)
    refused = check(hub, claim)
    results, found = [], []
    for n, item in enumerate(claim.items):
        head = bare(item)
        try:
            if n in refused:
                raise refused[n]
            created, receipt = transparency.log_chain_head(hub, head, via=claim.hub_id)
            results.append({"index": n, "status": "created" if created else "repeat", "receipt": receipt})
        except DomainError as error:
            results.append({"index": n, "status": "refused", "error": {**error.as_dict(), "field": f"/heads/{n}{error.field or ''}"}})
            found.append((_subject(CHAIN_HEAD, item), error))
    if found:
        record_refused(hub, claim.hub_id, CHAIN_HEAD, found)
    return results


async def post_releases(request: Request) -> Response:
    """下级公共服务平台转发的发布（附其日志包含证明） / Releases forwarded by a lower hub, each proven in its log."""
    body = batch.read_json(await request.body())
    results = await run_in_threadpool(lambda: forward_releases(the_hub(request), body))
    counts = {status: sum(r["status"] == status for r in results) for status in ("created", "repeat", "refused")}
    return Response(orjson.dumps({"results": results, **counts}), media_type="application/json")


async def post_heads(request: Request) -> Response:
    """下级公共服务平台转发的审计链头（附其日志包含证明） / Chain heads forwarded by a lower hub, each proven in its log."""
    body = batch.read_json(await request.body())
    results = await run_in_threadpool(lambda: forward_heads(the_hub(request), body))
    return Response(orjson.dumps({"results": results}), media_type="application/json")


def unproven_of(hub: Hub, hub_id: str, after: int = 0) -> dict[str, Any]:
    monitor.lower_hub(hub, hub_id)
    u = unproven
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(u).where(u.c.hub_id == hub_id, u.c.id > after).order_by(u.c.id).limit(PAGE)).all()
    found = [{"id": r.id, "what": r.what, "subjects": r.subjects, "detected_at": r.detected_at.isoformat(), "evidence": r.evidence} for r in rows]
    return {"hub_id": hub_id, "unproven": found, "next": found[-1]["id"] if len(found) == PAGE else None}


def get_refusals(request: Request, hub_id: str) -> dict[str, Any]:
    """本平台拒收的下级平台转发 / What this hub refused of a lower hub's forwards, item by item, and why."""
    return refusals_of(the_hub(request), hub_id)


def get_unproven(request: Request, hub_id: str, after: int = 0) -> dict[str, Any]:
    """下级平台转发但未能证明已入其日志的内容 / What a lower hub forwarded but could not prove in its log, with the evidence."""
    return unproven_of(the_hub(request), hub_id, after)


def install(app: FastAPI) -> None:
    app.add_api_route(RELEASES_PATH, post_releases, methods=["POST"], tags=["hub"])
    app.add_api_route(HEADS_PATH, post_heads, methods=["POST"], tags=["hub"])
    app.add_api_route("/hub/lower-hubs/{hub_id}/unproven", get_unproven, methods=["GET"], tags=["hub"])
    app.add_api_route("/hub/lower-hubs/{hub_id}/refusals", get_refusals, methods=["GET"], tags=["hub"])

"""An operator clears a lower hub's flag after an investigation (ADR 0031; 电子招标投标办法 第45条).

``POST /hub/lower-hubs/{hub_id}/flags/{flag_id}:clear`` (hub administrator token) with
``{reason, operator, tree_head?, consistency?}``:

* ``reason`` (1 to ``MAX_REASON`` characters) and ``operator`` (who acts, 1 to ``MAX_OPERATOR``):
  the administrator token authenticates, the name says which person answers for the decision;
* for a ``fork``, ``tree_head``: the lower hub's tree head accepted as its true one going forward,
  as ``GET /hub/log/sth`` of the lower hub writes it, and ``consistency``: the proof (the lower
  hub's ``GET /hub/log/consistency?first=N``) that it extends the **last tree head this hub
  accepted** from it (size ``N``), which must stay consistent: every item the lower hub forwarded
  was proven under that history and this hub's log holds it. The head must be signed by the
  lower hub's registered key, be no older than the head that proved the fork, and pass the
  timestamp checks of any tree head (``monitor.check_timestamp``). It is kept as an accepted head
  (and logged) like a forwarded one; the lower hub's next head is judged against it. A lower hub
  whose log can no longer extend that history (its log lost) cannot be cleared: it joins again
  under a new id, and this hub's log keeps both histories;
* for a ``false_claim``, no tree head: the accepted history was never in question.

Checked under the lower hub's lock (``monitor.lock``) in one transaction: a refusal changes
nothing. The flag row keeps its evidence and gains ``cleared_at`` and ``clearance`` (``by``
``hub-admin``, ``operator``, ``address`` the client's, ``reason``, the tree head and proof, the
clearing's leaf); this hub's log gets a ``flag_cleared`` entry (hub, flag, time, reason,
operator, the tree head's size and root). ``GET /hub/lower-hubs/{hub_id}/flags`` lists every flag,
live and cleared, with the evidence (the address to the administrator only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import Body, FastAPI, Header, Request

from tenderhub.core.shared.errors import Forbidden, Invalid
from tenderhub.hub import flags, monitor, transparency
from tenderhub.hub.access import require_admin, the_hub
from tenderhub.hub.context import Hub
from tenderhub.hub.tlog import SignedTreeHead, entry_for_clearing, verify_consistency, verify_sth

MAX_REASON, MAX_OPERATOR = 2000, 200
CLEAR_PATH = "/hub/lower-hubs/{hub_id}/flags/{flag_id}:clear"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Clearing:
    reason: str
    operator: str
    sth: SignedTreeHead | None
    raw_sth: dict[str, Any] | None
    consistency: list[str]


def parse(body: Any) -> Clearing:
    if not isinstance(body, dict):
        raise Invalid("a JSON object {reason, operator, tree_head?, consistency?} is required", message_zh="须为 JSON 对象", field="/")
    reason, operator = _bounded(body, "reason", MAX_REASON), _bounded(body, "operator", MAX_OPERATOR)
    raw, proof = body.get("tree_head"), body.get("consistency", [])
    if raw is not None and not isinstance(raw, dict):
        raise Invalid("/tree_head: a signed tree head object is required", message_zh="/tree_head：须为签名树头对象", field="/tree_head")
    if not isinstance(proof, list) or not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in proof):
        raise Invalid("/consistency: a list of hashes (64 lowercase hex digits) is required", message_zh="/consistency：须为哈希列表", field="/consistency")
    sth = monitor.parse_sth(raw, "/tree_head") if raw is not None else None
    return Clearing(reason, operator, sth, raw, proof)


def _bounded(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise Invalid(f"/{name}: a non-empty text of at most {limit} characters is required",
                      message_zh=f"/{name}：须为不超过 {limit} 个字符的非空文本", field=f"/{name}")
    return value.strip()


def clear(hub: Hub, hub_id: str, flag_id: int, body: Any, address: str) -> dict[str, Any]:
    """Clear flag ``flag_id`` of lower hub ``hub_id``: the flag's view, cleared."""
    asked = parse(body)
    _suite, pem = monitor.registered_key(hub, hub_id)
    if asked.sth is not None and not verify_sth(asked.sth, pem):
        raise Invalid("/tree_head: not signed by the lower hub's registered key", message_zh="/tree_head：不是下级公共服务平台登记的公钥所签",
                      field="/tree_head/signature", code="bad_sth")
    with hub.engine.begin() as conn:
        monitor.lock(conn, hub_id)
        flag = flags.one(conn, hub_id, flag_id)
        flags.must_be_live(flag)  # before the tree head is judged
        head = _going_forward(conn, hub, hub_id, flag, asked)
        now = hub.clock.now()
        leaf = transparency.merkle_log(conn).append(entry_for_clearing(hub_id, flag_id, now, asked.reason, asked.operator, head))
        flags.clear(conn, flag, now, _record(asked, address, leaf))
        return flags.view(flags.one(conn, hub_id, flag_id), admin=True)


def _record(asked: Clearing, address: str, leaf: int) -> dict[str, Any]:
    """The audit record of the clearing, kept on the flag."""
    return {"by": "hub-admin", "operator": asked.operator, "address": address, "reason": asked.reason,
            "tree_head": asked.raw_sth, "consistency": asked.consistency if asked.sth else None, "leaf_index": leaf}


def _going_forward(conn: sa.Connection, hub: Hub, hub_id: str, flag: Any, asked: Clearing) -> tuple[int, str] | None:
    """A fork's clearing keeps the operator's tree head as accepted; (its size, root), or ``None``."""
    if flag.kind != flags.FORK:
        if asked.sth is not None:
            raise Invalid("/tree_head: only a fork's clearing takes a tree head (a false claim leaves the accepted history as it was)",
                          message_zh="/tree_head：仅解除分叉标记时提供树头", field="/tree_head", code="tree_head_not_taken")
        return None
    if asked.sth is None:
        raise Invalid("/tree_head: clearing a fork needs the lower hub's signed tree head accepted going forward",
                      message_zh="/tree_head：解除分叉标记须提供今后采信的下级平台签名树头", field="/tree_head")
    last = monitor.last_accepted(conn, hub_id)
    _check_extends(asked.sth, asked.consistency, last, _presented_at(flag), hub.clock.now())
    if (asked.sth.size, asked.sth.root_hex) == (last.size, last.root):
        monitor.refresh(conn, hub_id, asked.sth, last, hub.clock.now())
    else:
        conn.execute(sa.insert(monitor.tree_heads).values(monitor.row_of(asked.sth, hub.clock.now(), hub_id)))
        monitor.log_tree_head(conn, hub_id, asked.sth)
    return asked.sth.size, asked.sth.root_hex


def _check_extends(sth: SignedTreeHead, consistency: list[str], last: Any, presented_at: datetime, now: datetime) -> None:
    if sth.timestamp < presented_at:
        raise Invalid(f"/tree_head/timestamp: {sth.timestamp.isoformat()} is before the tree head that proved the fork "
                      f"({presented_at.isoformat()}): the head accepted going forward is signed after it",
                      message_zh="/tree_head/timestamp：树头时间早于证明分叉的树头", field="/tree_head/timestamp", code="tree_head_before_fork")
    same = (sth.size, sth.root_hex) == (last.size, last.root)
    hashes = [bytes.fromhex(h) for h in consistency]
    if not same and not verify_consistency(last.size, sth.size, bytes.fromhex(last.root), sth.root, hashes):
        raise Invalid(f"/consistency: does not prove that the tree head (size {sth.size}) extends the last one accepted from the lower hub "
                      f"(size {last.size}), which must stay consistent: get the proof from its GET /hub/log/consistency?first={last.size}",
                      message_zh=f"/consistency：不能证明该树头延续此前已接受的树头（大小 {last.size}）", field="/consistency", code="not_consistent")
    monitor.check_timestamp(sth, last, now)


def _presented_at(flag: Any) -> datetime:
    return monitor.parse_sth(flag.evidence["presented"], "/evidence/presented").timestamp


# ---- the routes ----------------------------------------------------------------------------

def post_clear(request: Request, hub_id: str, flag_id: int, body: Any = Body(...), authorization: str | None = Header(None)) -> dict[str, Any]:
    """解除下级公共服务平台的标记 / Clear a lower hub's flag after an investigation (hub administrator token; reason required)."""
    require_admin(request, authorization)
    return clear(the_hub(request), hub_id, flag_id, body, request.client.host if request.client else "")


def get_flags(request: Request, hub_id: str, authorization: str | None = Header(None)) -> dict[str, Any]:
    """下级公共服务平台的标记及证据 / Every flag of a lower hub, live and cleared, with the evidence and the clearing."""
    hub = the_hub(request)
    monitor.lower_hub(hub, hub_id)
    with hub.engine.connect() as conn:
        rows = flags.of_hubs(conn, [hub_id])[hub_id]
    return {"hub_id": hub_id, "flags": [flags.view(r, admin=_is_admin(request, authorization)) for r in rows]}


def _is_admin(request: Request, authorization: str | None) -> bool:
    try:
        require_admin(request, authorization)
    except Forbidden:  # the public view
        return False
    return True


def install(app: FastAPI) -> None:
    app.add_api_route(CLEAR_PATH, post_clear, methods=["POST"], tags=["hub"])
    app.add_api_route("/hub/lower-hubs/{hub_id}/flags", get_flags, methods=["GET"], tags=["hub"])

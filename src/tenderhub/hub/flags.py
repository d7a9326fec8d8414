"""A lower hub flagged for misbehaviour, with the evidence (电子招标投标办法 第45条; ADR 0015,
ADR 0029, ADR 0031).

A flag is raised only on what the lower hub **signed**, so no third party can cause one:

* ``fork``: two tree heads it signed that its own signed consistency proof does not connect
  (``hub/monitor.py``); the evidence holds both heads and the claim;
* ``false_claim``: a claim it signed that forwarded items are in its log, whose entry or
  inclusion proof does not hold under a tree head this hub accepted from it (``hub/proven.py``);
  the evidence names the kept claim (``hub_lower_unproven``) and its digest.

While a flag is live (``cleared_at`` null) the upper hub refuses what the lower hub vouches for
with its key: its tree heads, forwarded registrations and proven forwards (409 ``hub_forked``
for a fork, ``hub_flagged`` for a false claim, naming the flag and where its evidence is); its
platforms may post their own signed items past it (``registry.misrouted``). Each flag is
appended to this hub's log as a ``flag`` entry (its id, kind, time and the SHA-256 of its
evidence). An operator clears a flag after an investigation (``hub/clearing.py``): the row
stays with its evidence, and the clearing is recorded on it and in the log. Rows are never
deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from tenderhub.core.shared.errors import Conflict, NotFound
from tenderhub.db.types import JsonType, UtcDateTime
from tenderhub.hub import protocol, tables, transparency
from tenderhub.hub.context import Hub
from tenderhub.hub.tlog import entry_for_flag

FORK, FALSE_CLAIM = "fork", "false_claim"

flags = sa.Table(  # every flag raised on a lower hub, live or cleared: the evidence, kept for anyone to check
    "hub_lower_flags",
    tables.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("hub_id", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),  # fork | false_claim
    sa.Column("detected_at", UtcDateTime, nullable=False),
    sa.Column("evidence", JsonType, nullable=False),
    sa.Column("leaf_index", sa.BigInteger, nullable=True),  # the ``flag`` entry in this hub's log (null: copied from hub_lower_forks)
    sa.Column("cleared_at", UtcDateTime, nullable=True),
    sa.Column("clearance", JsonType, nullable=True),  # who, from where, why, the tree head accepted going forward
)


def live(conn: sa.Connection, hub_id: str) -> Any:
    """The first flag of ``hub_id`` not cleared, or ``None``."""
    f = flags
    return conn.execute(sa.select(f).where(f.c.hub_id == hub_id, f.c.cleared_at.is_(None)).order_by(f.c.id).limit(1)).first()


def flagged(conn: sa.Connection, hub_ids: Iterable[str]) -> set[str]:
    """Those of ``hub_ids`` with a live flag."""
    ids, f = sorted(set(hub_ids)), flags
    if not ids:
        return set()
    return set(conn.execute(sa.select(f.c.hub_id).where(f.c.hub_id.in_(ids), f.c.cleared_at.is_(None))).scalars())


def raise_flag(conn: sa.Connection, hub: Hub, hub_id: str, kind: str, evidence: dict[str, Any]) -> int:
    """Flag ``hub_id`` in the caller's transaction and append the ``flag`` entry to this hub's log."""
    now = hub.clock.now()
    flag_id = int(conn.execute(sa.insert(flags).values(hub_id=hub_id, kind=kind, detected_at=now, evidence=evidence)).inserted_primary_key[0])  # type: ignore[index]
    index = transparency.merkle_log(conn).append(entry_for_flag(hub_id, flag_id, kind, now, protocol.digest(evidence)))
    conn.execute(sa.update(flags).where(flags.c.id == flag_id).values(leaf_index=index))
    return flag_id


def refusal(row: Any) -> Conflict:
    """Why a flagged hub's post is refused, naming the flag and its evidence."""
    at, where = row.detected_at.isoformat(), f"GET /hub/lower-hubs/{row.hub_id}/flags"
    if row.kind == FORK:
        return Conflict(f"hub {row.hub_id} signed two inconsistent logs (flag {row.id}, {at}): nothing it vouches for is accepted "
                        f"until an operator clears the flag (电子招标投标办法 第45条); evidence at {where}",
                        message_zh=f"下级公共服务平台 {row.hub_id} 的日志已分叉或被改写（标记 {row.id}），依《电子招标投标办法》第45条，"
                                   f"在运维人员解除标记前不再接受其转发；证据见 {where}",
                        field="/hub_id", code="hub_forked")
    return Conflict(f"hub {row.hub_id} signed a false claim of inclusion (flag {row.id}, {at}): nothing it vouches for is accepted "
                    f"until an operator clears the flag (电子招标投标办法 第45条); evidence at {where}",
                    message_zh=f"下级公共服务平台 {row.hub_id} 签名声称转发内容已入其日志但证明不成立（标记 {row.id}），依《电子招标投标办法》第45条，"
                               f"在运维人员解除标记前不再接受其转发；证据见 {where}",
                    field="/hub_id", code="hub_flagged")


def must_be_live(flag: Any) -> None:
    """A flag's one transition is live → cleared: 409 ``already_cleared`` for a cleared one."""
    if flag.cleared_at is not None:
        raise Conflict(f"flag {flag.id} of hub {flag.hub_id} was cleared at {flag.cleared_at.isoformat()}", field="flag_id", code="already_cleared",
                       message_zh=f"下级公共服务平台 {flag.hub_id} 的标记 {flag.id} 已解除")


def clear(conn: sa.Connection, flag: Any, at: Any, clearance: dict[str, Any]) -> None:
    """The one guarded setter of a flag's state (live → cleared), in the caller's transaction."""
    must_be_live(flag)
    conn.execute(sa.update(flags).where(flags.c.id == flag.id, flags.c.cleared_at.is_(None)).values(cleared_at=at, clearance=clearance))


def one(conn: sa.Connection, hub_id: str, flag_id: int) -> Any:
    row = conn.execute(sa.select(flags).where(flags.c.id == flag_id, flags.c.hub_id == hub_id)).first()
    if row is None:
        raise NotFound(f"hub {hub_id} has no flag {flag_id}", message_zh=f"下级公共服务平台 {hub_id} 没有标记 {flag_id}", field="flag_id")
    return row


def view(row: Any, *, admin: bool = False) -> dict[str, Any]:
    """A flag; the clearing's address (an operator's) only to the administrator."""
    clearance = row.clearance
    if clearance is not None and not admin:
        clearance = {k: v for k, v in clearance.items() if k != "address"}
    return {"id": row.id, "kind": row.kind, "detected_at": row.detected_at.isoformat(), "evidence": row.evidence,
            "leaf_index": row.leaf_index, "cleared_at": row.cleared_at.isoformat() if row.cleared_at else None, "clearance": clearance}


def of_hubs(conn: sa.Connection, hub_ids: list[str]) -> dict[str, list[Any]]:
    """Every flag of each of ``hub_ids``, oldest first (the monitor view)."""
    found: dict[str, list[Any]] = {h: [] for h in hub_ids}
    if hub_ids:
        for row in conn.execute(sa.select(flags).where(flags.c.hub_id.in_(hub_ids)).order_by(flags.c.id)):
            found[row.hub_id].append(row)
    return found

"""The audit log: an append-only hash chain of domain events (STYLE rule 9).

``hash = sha256(canonical JSON of the row's fields + prev_hash)``; the first row's
``prev_hash`` is ``GENESIS``. Appends must be serialized: ``lock_chain()`` takes a
transaction-scoped advisory lock on PostgreSQL and the database write lock on SQLite, and
only then is the chain's tail read. ``verify_chain()`` returns the first broken ``seq``.
Deleting the *last* rows cannot be seen from inside the chain: anchor ``head()`` elsewhere.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenderhub.core.shared.events import DomainEvent
from tenderhub.db import tables
from tenderhub.db.context import ActorContext
from tenderhub.db.serializer import to_json_value

GENESIS = "0" * 64
CHAIN_LOCK_KEY = 0x7E4D_A0D1  # pg_advisory_xact_lock key of the audit chain
HASHED = ("id", "tag", "target", "actor", "role", "at", "ip", "device", "reason", "data")


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    id: str
    tag: str
    target: str
    actor: str
    role: str
    at: datetime
    ip: str
    device: str
    reason: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


def row_hash(fields: dict[str, Any], prev_hash: str) -> str:
    body = {name: fields[name] for name in HASHED}
    body["at"] = fields["at"].astimezone(UTC).isoformat(timespec="microseconds")
    body["data"] = _canonical_numbers(fields["data"])
    body["prev_hash"] = prev_hash
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical_numbers(value: Any) -> Any:
    """Integral floats hash as ints (JSONB gives ``1e20`` back as an integer)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _canonical_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical_numbers(v) for v in value]
    return value


# Built once (building and keying a statement costs more than running it on SQLite).
_t = tables.audit_events
LOCK_PG = sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK_KEY))
LOCK_SQLITE = sa.update(_t).where(sa.false()).values(seq=_t.c.seq)  # a no-op write takes SQLite's single write lock
HEAD = sa.select(_t.c.seq, _t.c.hash).order_by(_t.c.seq.desc()).limit(1)
APPEND = sa.insert(_t).returning(_t.c.seq, sort_by_parameter_order=True)


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._last: tuple[int, str] | None = None  # the head this transaction appended

    def lock_chain(self) -> None:
        """Serialize chain appends until the transaction ends."""
        self._last = None
        postgresql = self._session.get_bind().dialect.name == "postgresql"
        self._session.execute(LOCK_PG if postgresql else LOCK_SQLITE)

    def append(self, event: DomainEvent, actor: ActorContext | None) -> AuditRecord:
        """Append one event; call ``lock_chain()`` first in the same transaction."""
        return self.append_many([event], actor)[0]

    def append_many(self, events: builtins.list[DomainEvent], actor: ActorContext | None,
                    others: Mapping[str, ActorContext] | None = None) -> builtins.list[AuditRecord]:
        """Append events in order, chained, in one ``INSERT … RETURNING`` (call ``lock_chain()``
        first in the same transaction). ``others``: the context of an event whose ``by`` is
        another actor's id (a unit of work that records several people's requests at once)."""
        if not events:
            return []
        prev = self._last or self.head()  # under the chain lock: our own last row is the head
        prev_hash = prev[1] if prev else GENESIS
        rows = []
        for event in events:
            fields = self._fields(event, others.get(event.by, actor) if others else actor)
            fields.update(prev_hash=prev_hash, hash=row_hash(fields, prev_hash))
            rows.append(fields)
            prev_hash = fields["hash"]
        seqs = self._session.execute(APPEND, rows).scalars().all()
        self._last = (seqs[-1], rows[-1]["hash"])
        return [AuditRecord(seq=seq, **fields) for seq, fields in zip(seqs, rows, strict=True)]

    @staticmethod
    def _fields(event: DomainEvent, actor: ActorContext | None) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "tag": event.tag,
            "target": event.target,
            "actor": actor.actor_id if actor else event.by,
            "role": actor.role if actor else "",
            "at": event.at.astimezone(UTC),
            "ip": actor.ip if actor else "",
            "device": actor.device if actor else "",
            "reason": event.reason,
            "data": to_json_value(dict(event.data), "$.data"),
        }

    def head(self) -> tuple[int, str] | None:
        """(seq, hash) of the chain's last row."""
        row = self._session.execute(HEAD).first()
        return None if row is None else (row.seq, row.hash)

    def list(
        self,
        *,
        target: str | None = None,
        tag: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[AuditRecord]:
        t = tables.audit_events
        where = [c == v for c, v in ((t.c.target, target), (t.c.tag, tag)) if v is not None]
        stmt = sa.select(t).where(*where).order_by(t.c.seq).limit(limit).offset(offset)
        return [AuditRecord(**row._mapping) for row in self._session.execute(stmt)]

    def verify_chain(self) -> int | None:
        """The ``seq`` of the first row whose link or hash is wrong, or ``None`` if intact."""
        t = tables.audit_events
        expected_prev = GENESIS
        rows = self._session.execute(
            sa.select(t).order_by(t.c.seq).execution_options(yield_per=500)
        )
        for row in rows:
            fields = dict(row._mapping)
            if fields["prev_hash"] != expected_prev or fields["hash"] != row_hash(
                fields, expected_prev
            ):
                return int(fields["seq"])
            expected_prev = fields["hash"]
        return None

"""The outbox: side effects leave through rows written in the use case's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenderhub.db import tables


@dataclass(frozen=True)
class OutboxMessage:
    seq: int
    id: str
    topic: str
    key: str
    payload: dict[str, Any]
    created_at: datetime
    sent_at: datetime | None
    attempts: int


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def put(self, *, id: str, topic: str, key: str, payload: dict[str, Any], at: datetime) -> None:
        self.put_many([{"id": id, "topic": topic, "key": key, "payload": payload, "at": at}])

    def put_many(self, messages: list[dict[str, Any]]) -> None:
        """Messages (``id``, ``topic``, ``key``, ``payload``, ``at``) in one statement, in order."""
        if not messages:
            return
        rows = [{"id": m["id"], "topic": m["topic"], "key": m["key"], "payload": m["payload"],
                 "created_at": m["at"], "attempts": 0} for m in messages]
        self._session.execute(sa.insert(tables.outbox), rows)

    def pending(self, limit: int = 100) -> list[OutboxMessage]:
        """Unsent messages, oldest first; on PostgreSQL rows locked by another relay are skipped."""
        t = tables.outbox
        stmt = (
            sa.select(t)
            .where(t.c.sent_at.is_(None))
            .order_by(t.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [OutboxMessage(**row._mapping) for row in self._session.execute(stmt)]

    def mark_sent(self, id: str, *, at: datetime) -> None:
        t = tables.outbox
        self._session.execute(
            sa.update(t).where(t.c.id == id).values(sent_at=at, attempts=t.c.attempts + 1)
        )

    def mark_failed(self, id: str) -> None:
        t = tables.outbox
        self._session.execute(sa.update(t).where(t.c.id == id).values(attempts=t.c.attempts + 1))

    def all(self) -> list[OutboxMessage]:
        t = tables.outbox
        return [
            OutboxMessage(**row._mapping)
            for row in self._session.execute(sa.select(t).order_by(t.c.seq))
        ]

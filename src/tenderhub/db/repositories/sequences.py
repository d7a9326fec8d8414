"""Named counters for human codes (e.g. ``tender:2025`` -> 1, 2, 3 ...), atomic per call."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tenderhub.db import tables
from tenderhub.db.errors import translated


class SequenceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def next(self, name: str) -> int:
        """The next value of ``name`` (1 for a new name): one upsert, so concurrent callers
        never get the same value; the row stays locked until the unit of work ends."""
        t = tables.sequences
        insert = (
            postgresql.insert
            if self._session.get_bind().dialect.name == "postgresql"
            else sqlite.insert
        )
        stmt = (
            insert(t)
            .values(name=name, value=1)
            .on_conflict_do_update(index_elements=[t.c.name], set_={"value": t.c.value + 1})
            .returning(t.c.value)
        )
        with translated():
            return int(self._session.execute(stmt).scalar_one())

    def peek(self, name: str) -> int:
        """The last value handed out (0 if none)."""
        t = tables.sequences
        value = self._session.execute(
            sa.select(t.c.value).where(t.c.name == name)
        ).scalar_one_or_none()
        return int(value or 0)

    def forget(self, low: str, high: str) -> int:
        """Delete the names in ``[low, high)`` (expired one-time names such as sign-in nonces,
        whose names sort by their issue time); the number deleted."""
        t = tables.sequences
        stmt = sa.delete(t).where(t.c.name >= low, t.c.name < high)
        return int(self._session.execute(stmt).rowcount)  # type: ignore[attr-defined]

"""Official holiday notices per year (国务院办公厅节假日安排), one document per year."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenderhub.db import tables
from tenderhub.db.serializer import from_doc, to_doc

N = TypeVar("N")


class CalendarRepository(Generic[N]):
    """Stores any dataclass notice; ``put`` replaces the year's notice. Notices put here are
    tracked so their ``pull_events()`` (if any) reach the audit log on commit."""

    def __init__(self, session: Session, cls: type[N] | None) -> None:
        self._session = session
        self._cls = cls
        self._put: list[N] = []

    def put(self, year: int, notice: N, *, by: str, at: datetime) -> None:
        t = tables.calendar_notices
        values: dict[str, Any] = {"doc": to_doc(notice), "loaded_at": at, "loaded_by": by}
        updated = self._session.execute(sa.update(t).where(t.c.year == year).values(**values))
        if not updated.rowcount:  # type: ignore[attr-defined]
            self._session.execute(sa.insert(t).values(year=year, **values))
        self._put.append(notice)

    def get(self, year: int) -> N | None:
        t = tables.calendar_notices
        doc = self._session.execute(sa.select(t.c.doc).where(t.c.year == year)).scalar_one_or_none()
        if doc is None:
            return None
        if self._cls is None:
            raise RuntimeError(
                "no class configured for calendar notices: pass AggregateClasses(calendar=...)"
            )
        return from_doc(self._cls, doc)

    def years(self) -> list[int]:
        t = tables.calendar_notices
        return list(self._session.execute(sa.select(t.c.year).order_by(t.c.year)).scalars())

    def tracked(self) -> list[N]:
        return list(self._put)

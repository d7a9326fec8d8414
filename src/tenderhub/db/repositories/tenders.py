"""Tenders (the procedure root: lots, bids, committee ... live inside the document)."""

from __future__ import annotations

import builtins
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa

from tenderhub.core.shared.errors import NotFound
from tenderhub.db import tables
from tenderhub.db.repositories.base import DocumentRepository, plain

T = TypeVar("T")


class TenderRepository(DocumentRepository[T]):
    """Works with any dataclass having id, code, regime, status, title and tenderer_id;
    ``created_at``/``updated_at`` are taken from the aggregate when it has them, else the clock."""

    table = tables.tenders
    noun = "tender"
    indexed = ("code", "regime", "status", "title", "tenderer_id")

    def get_by_code(self, code: str) -> T:
        found = self._one(self.table.c.code == code)
        if found is None:
            raise NotFound(
                f"tender {code} not found", message_zh=f"未找到项目 {code}", field="code"
            )
        return found

    def get_for_update(self, id: str) -> T:
        """Load a tender to change it, holding its write lock until the transaction ends, so
        concurrent changes of one tender wait for each other instead of failing on a stale
        version (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite: the database write lock)."""
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(sa.select(self.table.c.id).where(self.table.c.id == id).with_for_update())
        else:  # a write statement that matches nothing takes SQLite's single write lock
            self._session.execute(sa.update(self.table).where(sa.false()).values(version=self.table.c.version))
        return self.get(id)

    def list(
        self, status: str | Enum | None = None, *, limit: int = 50, offset: int = 0
    ) -> builtins.list[T]:
        where = [] if status is None else [self.table.c.status == plain(status)]
        return self._many(*where, order_by=self.table.c.code, limit=limit, offset=offset)

    def _stamps(self, obj: T, *, insert: bool) -> dict[str, Any]:
        now = self._clock.now()
        updated = _aware_or(getattr(obj, "updated_at", None), now)
        if not insert:
            return {"updated_at": updated}
        return {
            "created_at": _aware_or(getattr(obj, "created_at", None), now),
            "updated_at": updated,
        }


def _aware_or(value: object, default: datetime) -> datetime:
    return value if isinstance(value, datetime) else default

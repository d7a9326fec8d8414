"""Market subjects (tenderers, bidders, agencies), unique by USCC (统一社会信用代码)."""

from __future__ import annotations

import builtins
from enum import Enum
from typing import TypeVar

from tenderhub.core.shared.errors import NotFound
from tenderhub.db import tables
from tenderhub.db.repositories.base import DocumentRepository, plain

T = TypeVar("T")


class SubjectRepository(DocumentRepository[T]):
    """Any dataclass with id, uscc, name and kind."""

    table = tables.subjects
    noun = "subject"
    indexed = ("uscc", "name", "kind")

    def get_by_uscc(self, uscc: str) -> T:
        found = self._one(self.table.c.uscc == uscc)
        if found is None:
            raise NotFound(
                f"subject with USCC {uscc} not found",
                message_zh=f"未找到统一社会信用代码 {uscc}",
                field="uscc",
            )
        return found

    def list(
        self, kind: str | Enum | None = None, *, limit: int = 50, offset: int = 0
    ) -> builtins.list[T]:
        where = [] if kind is None else [self.table.c.kind == plain(kind)]
        return self._many(*where, order_by=self.table.c.name, limit=limit, offset=offset)

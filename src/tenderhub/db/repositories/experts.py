"""The expert pool (评标专家库): one document per expert, queried by region."""

from __future__ import annotations

import builtins
from typing import TypeVar

from tenderhub.db import tables
from tenderhub.db.repositories.base import DocumentRepository

T = TypeVar("T")


class ExpertRepository(DocumentRepository[T]):
    """Any dataclass with id, name and region."""

    table = tables.experts
    noun = "expert"
    indexed = ("name", "region")

    def list(
        self, region: str | None = None, *, limit: int = 1000, offset: int = 0
    ) -> builtins.list[T]:
        where = [] if region is None else [self.table.c.region == region]
        return self._many(*where, order_by=self.table.c.id, limit=limit, offset=offset)

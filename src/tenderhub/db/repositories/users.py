"""Users (people acting for a subject, or staff with no subject)."""

from __future__ import annotations

import builtins
from typing import TypeVar

from tenderhub.db import tables
from tenderhub.db.repositories.base import DocumentRepository

T = TypeVar("T")


class UserRepository(DocumentRepository[T]):
    """Any dataclass with id, name, role and subject_id (``str | None``)."""

    table = tables.users
    noun = "user"
    indexed = ("name", "role", "subject_id")

    def list_for_subject(
        self, subject_id: str, *, limit: int = 100, offset: int = 0
    ) -> builtins.list[T]:
        return self._many(
            self.table.c.subject_id == subject_id,
            order_by=self.table.c.name,
            limit=limit,
            offset=offset,
        )

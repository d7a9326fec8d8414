"""Users (people acting for a subject, or staff with no subject)."""

from __future__ import annotations

import builtins
from typing import TypeVar

import sqlalchemy as sa

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

    def holding_token(self, token_hash: str) -> T | None:
        """The user holding a valid (known, not revoked) API token with this hash: one query."""
        t = tables.api_tokens
        held = sa.select(t.c.user_id).where(t.c.token_hash == token_hash, t.c.revoked_at.is_(None))
        return self._one(self.table.c.id.in_(held))

"""Users (people acting for a subject, or staff with no subject)."""

from __future__ import annotations

import builtins
from typing import Any, TypeVar

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

    def identity_for_token(self, token_hash: str) -> sa.Row[Any] | None:
        """Who holds a valid (known, not revoked) API token with this hash, as plain columns:
        the user's ``id``, ``name``, ``role`` and its subject's ``subject_id``, ``uscc``,
        ``subject_name``, ``subject_doc`` (NULL without a subject). One prepared query, no
        document decoded: every authenticated request runs it."""
        return self._session.execute(IDENTITY, {"token_hash": token_hash}).first()

    def holding_token(self, token_hash: str) -> T | None:
        """The user holding a valid (known, not revoked) API token with this hash: one query."""
        t = tables.api_tokens
        held = sa.select(t.c.user_id).where(t.c.token_hash == token_hash, t.c.revoked_at.is_(None))
        return self._one(self.table.c.id.in_(held))


def _identity() -> sa.Select[Any]:
    u, t, s = tables.users, tables.api_tokens, tables.subjects
    return (sa.select(u.c.id, u.c.name, u.c.role, s.c.id.label("subject_id"), s.c.uscc, s.c.name.label("subject_name"),
                      s.c.doc.label("subject_doc"))
            .select_from(t.join(u, u.c.id == t.c.user_id).outerjoin(s, s.c.id == u.c.subject_id))
            .where(t.c.token_hash == sa.bindparam("token_hash"), t.c.revoked_at.is_(None)))


IDENTITY = _identity()

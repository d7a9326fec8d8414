"""API tokens: only the SHA-256 of a token is stored; the raw token is shown once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenderhub.db import tables
from tenderhub.db.errors import savepoint
from tenderhub.db.repositories.users import UserRepository

U = TypeVar("U")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiToken:
    token_hash: str
    user_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


class TokenRepository(Generic[U]):
    def __init__(self, session: Session, users: UserRepository[U]) -> None:
        self._session = session
        self._users = users

    def issue(self, user_id: str, *, label: str, at: datetime) -> str:
        """A new random token for ``user_id``; returns the raw token (not kept anywhere)."""
        raw = secrets.token_urlsafe(32)
        self.add(raw, user_id=user_id, label=label, at=at)
        return raw

    def add(self, raw: str, *, user_id: str, label: str, at: datetime) -> None:
        """Register a known raw token (seed data, scenarios)."""
        values: dict[str, Any] = {
            "token_hash": hash_token(raw),
            "user_id": user_id,
            "label": label,
            "created_at": at,
        }
        with savepoint(self._session):
            self._session.execute(sa.insert(tables.api_tokens).values(**values))

    def user_for_token(self, raw: str) -> U | None:
        """The user holding a valid (known, not revoked) token, else ``None``."""
        return self._users.holding_token(hash_token(raw))

    def identity_for(self, raw: str) -> Any:
        """Who holds a valid token, as plain columns (``UserRepository.identity_for_token``), else ``None``."""
        return self._users.identity_for_token(hash_token(raw))

    def revoke(self, raw: str, *, at: datetime) -> bool:
        t = tables.api_tokens
        stmt = (
            sa.update(t)
            .where(t.c.token_hash == hash_token(raw), t.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(self._session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def for_user(self, user_id: str) -> list[ApiToken]:
        t = tables.api_tokens
        rows = self._session.execute(
            sa.select(t).where(t.c.user_id == user_id).order_by(t.c.created_at)
        )
        return [ApiToken(**row._mapping) for row in rows]

"""Database errors translated into the domain's ``Conflict`` (retry or refuse, never a 500)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenderhub.core.shared.errors import Conflict

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock (PostgreSQL)


@contextmanager
def translated() -> Iterator[None]:
    """Turn integrity, lock and serialization errors into ``Conflict``."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        raise Conflict(
            f"the write breaks a uniqueness or reference constraint: {exc.orig}",
            message_zh="写入违反唯一性或引用约束",
            code="db_constraint",
        ) from exc
    except sa.exc.OperationalError as exc:
        raise _lock_conflict(exc) or exc from exc


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """Like ``translated`` inside a savepoint: after a refused write the unit of work goes on
    (PostgreSQL would otherwise abort the whole transaction)."""
    with translated(), session.begin_nested():
        yield


def _lock_conflict(exc: sa.exc.OperationalError) -> Conflict | None:
    name = getattr(exc.orig, "sqlite_errorname", None)
    state = getattr(exc.orig, "sqlstate", None)
    if name == "SQLITE_BUSY_SNAPSHOT":
        message = "the database changed since this unit of work read it; retry"
    elif name in {"SQLITE_BUSY", "SQLITE_LOCKED"}:
        message = "the database stayed locked by another writer; retry"
    elif state in RETRYABLE_SQLSTATES:
        message = f"concurrent transactions collided ({state}); retry"
    else:
        return None
    return Conflict(message, message_zh="并发写入冲突，请重试", code="db_busy")

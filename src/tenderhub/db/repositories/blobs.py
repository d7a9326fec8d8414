"""What the platform knows about each stored blob (``tenderhub.blobs``): digest, size, kind
(``bid_package``, ``tender_document`` …), owner (a subject or user id) and when it was
recorded. The bytes live in the blob store; this table is what ``tenderhub audit verify``
checks the store against (a file that is missing or damaged is named by its digest)."""

from __future__ import annotations

import builtins
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tenderhub.core.shared.errors import Conflict, NotFound
from tenderhub.db import tables
from tenderhub.db.errors import savepoint


@dataclass(frozen=True)
class BlobRecord:
    digest: str
    size: int
    created_at: datetime
    kind: str
    owner: str


class BlobRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, digest: str, size: int, *, kind: str, owner: str, at: datetime) -> BlobRecord:
        """Record a stored blob; the same content again returns the first record (content is
        shared), a different size for the same digest is a ``Conflict``."""
        values = {"digest": digest, "size": size, "created_at": at, "kind": kind, "owner": owner}
        if self._insert_new(values):
            return BlobRecord(**values)  # type: ignore[arg-type]
        existing = self.get(digest)
        if existing.size != size:
            raise Conflict(
                f"blob {digest} is recorded with {existing.size} bytes, not {size}",
                message_zh=f"文件 {digest} 的记录大小为 {existing.size} 字节，而非 {size}",
                code="blob_size_conflict",
            )
        return existing

    def _insert_new(self, values: dict[str, object]) -> bool:
        """Insert the row unless its digest is recorded: one statement on SQLite and PostgreSQL
        (``ON CONFLICT DO NOTHING``); whether it was inserted."""
        dialect = self._session.get_bind().dialect.name
        if dialect in ("sqlite", "postgresql"):
            return self._session.execute(_inserting_new(dialect), values).first() is not None  # (rowcount is -1 on psycopg)
        if self.find(str(values["digest"])) is not None:
            return False
        with savepoint(self._session):
            self._session.execute(sa.insert(tables.blobs).values(**values))
        return True

    def find(self, digest: str) -> BlobRecord | None:
        t = tables.blobs
        row = self._session.execute(sa.select(t).where(t.c.digest == digest)).first()
        return None if row is None else BlobRecord(**row._mapping)

    def get(self, digest: str) -> BlobRecord:
        found = self.find(digest)
        if found is None:
            raise NotFound(f"blob {digest} not found", message_zh=f"未找到文件 {digest}", field="digest")
        return found

    def list(
        self,
        *,
        kind: str | None = None,
        owner: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> builtins.list[BlobRecord]:
        """Records in digest order; page with ``after=<last digest of the previous page>``."""
        t = tables.blobs
        where = [c == v for c, v in ((t.c.kind, kind), (t.c.owner, owner)) if v is not None]
        if after is not None:
            where.append(t.c.digest > after)
        stmt = sa.select(t).where(*where).order_by(t.c.digest).limit(limit)
        return [BlobRecord(**row._mapping) for row in self._session.execute(stmt)]

    def count(self) -> int:
        return int(self._session.execute(sa.select(sa.func.count()).select_from(tables.blobs)).scalar_one())


@functools.cache
def _inserting_new(dialect: str) -> Any:
    """``INSERT … ON CONFLICT (digest) DO NOTHING RETURNING digest``, built once per dialect."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    t = tables.blobs
    return insert(t).on_conflict_do_nothing(index_elements=["digest"]).returning(t.c.digest)

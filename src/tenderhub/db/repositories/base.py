"""``DocumentRepository``: an aggregate as a JSON ``doc`` + indexed columns + ``version``.

The repository keeps an identity map of what it loaded or added. ``add`` inserts at once
(version 1) inside the unit of work's transaction; ``flush`` (called by ``UnitOfWork.commit``)
writes back every tracked aggregate whose document changed, guarded by
``UPDATE ... WHERE id = ? AND version = ?`` (0 rows -> ``Conflict``).
Indexed columns are read from the aggregate's attributes of the same name (enums by value).
"""

from __future__ import annotations

import builtins
import functools
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Generic, NoReturn, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenderhub.core.shared.clock import Clock, SystemClock
from tenderhub.core.shared.errors import Conflict, NotFound
from tenderhub.db.errors import savepoint, translated
from tenderhub.db.serializer import JsonDoc, from_doc, to_doc

T = TypeVar("T")


@dataclass
class _Entry:
    obj: Any
    version: int
    snapshot: JsonDoc
    fresh: bool  # inserted by this unit of work: written back without a version bump


class DocumentRepository(Generic[T]):
    table: ClassVar[sa.Table]
    noun: ClassVar[str]
    indexed: ClassVar[tuple[str, ...]]

    def __init__(
        self, session: Session, cls: type[T] | None, *, clock: Clock | None = None
    ) -> None:
        self._session = session
        self._cls = cls
        self._clock = clock or SystemClock()
        self._seen: dict[str, _Entry] = {}
        self._written: builtins.list[tuple[_Entry, JsonDoc, int]] = []

    def add(self, obj: T) -> None:
        key = _id_of(obj)
        if key in self._seen:
            raise Conflict(
                f"{self.noun} {key} is already in this unit of work", code=f"{self.noun}_exists"
            )
        doc = self._document(obj)
        with savepoint(self._session):
            self._session.execute(
                sa.insert(self.table).values(
                    id=key,
                    version=1,
                    doc=doc,
                    **self._columns(obj),
                    **self._stamps(obj, insert=True),
                )
            )
            self._inserted(key, obj)
        self._seen[key] = _Entry(obj, 1, doc, fresh=True)

    def get(self, id: str) -> T:
        found = self.find(id)
        if found is None:
            raise NotFound(
                f"{self.noun} {id} not found", message_zh=f"未找到 {self.noun} {id}", field="id"
            )
        return found

    def find(self, id: str) -> T | None:
        if id in self._seen:
            return self._seen[id].obj  # type: ignore[no-any-return]
        return self._by_id(id)

    def version_of(self, obj: T) -> int:
        """The stored version this unit of work holds for ``obj`` (for ETag / If-Match)."""
        return self._seen[_id_of(obj)].version

    def tracked(self) -> builtins.list[T]:
        return [entry.obj for entry in self._seen.values()]

    def flush(self) -> None:
        """Write back changed aggregates; ``Conflict`` if someone else wrote one first."""
        for key in sorted(self._seen):  # fixed order: no lock-order deadlocks between writers
            entry = self._seen[key]
            doc = to_doc(entry.obj)
            if doc != entry.snapshot:
                self._written.append((entry, doc, self._write_back(key, entry, doc)))

    def committed(self) -> None:
        for entry, doc, version in self._written:
            entry.snapshot, entry.version, entry.fresh = doc, version, False
        self._written.clear()

    def _write_back(self, key: str, entry: _Entry, doc: JsonDoc) -> int:
        new_version = entry.version if entry.fresh else entry.version + 1
        stmt = (
            sa.update(self.table)
            .where(self.table.c.id == key, self.table.c.version == entry.version)
            .values(
                version=new_version,
                doc=doc,
                **self._columns(entry.obj),
                **self._stamps(entry.obj, insert=False),
            )
        )
        with translated():
            result = self._session.execute(stmt)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            self._stale(key, entry.version)
        return new_version

    def _stale(self, key: str, version: int) -> NoReturn:
        raise Conflict(
            f"{self.noun} {key} was changed by someone else since version {version}; reload and retry",
            message_zh=f"{self.noun} {key} 已被他人修改（版本 {version}），请刷新后重试",
            code="stale_version",
        )

    def _columns(self, obj: T) -> dict[str, Any]:
        return {name: plain(getattr(obj, name)) for name in self.indexed}

    def _stamps(self, obj: T, *, insert: bool) -> dict[str, Any]:
        return {}

    def _one(self, where: sa.ColumnElement[bool]) -> T | None:
        row = self._session.execute(sa.select(self.table).where(where)).first()
        return None if row is None else self._track(row)

    def _by_id(self, id: str) -> T | None:
        """``_one`` by primary key with a statement built once per table (building and keying
        a statement costs more than running it on SQLite)."""
        row = self._session.execute(by_id(self.table), {"id": id}).first()
        return None if row is None else self._track(row)

    def _many(
        self, *where: sa.ColumnElement[bool], order_by: Any, limit: int, offset: int
    ) -> builtins.list[T]:
        stmt = sa.select(self.table).where(*where).order_by(order_by).limit(limit).offset(offset)
        return [self._track(row) for row in self._session.execute(stmt)]

    def _track(self, row: sa.Row[Any]) -> T:
        if row.id in self._seen:
            return self._seen[row.id].obj  # type: ignore[no-any-return]
        obj = from_doc(self._aggregate_class(), row.doc)
        # The stored document is the snapshot: it is what to_doc(obj) gives back unchanged.
        self._seen[row.id] = _Entry(obj, row.version, dict(row.doc), fresh=False)
        self._loaded(row.id, obj)
        return obj

    def _document(self, obj: T) -> JsonDoc:
        """The document stored in ``doc`` (a subclass may keep parts of it elsewhere)."""
        return to_doc(obj)

    def _inserted(self, key: str, obj: T) -> None:
        """Hook: the aggregate's row was just inserted (write what lives beside it)."""

    def _loaded(self, key: str, obj: T) -> None:
        """Hook: the aggregate was just decoded from its row (fill what lives beside it)."""

    def _aggregate_class(self) -> type[T]:
        if self._cls is None:
            raise RuntimeError(
                f"no class configured for {self.noun}: pass it in AggregateClasses(...) to the UnitOfWork"
            )
        return self._cls


@functools.cache
def by_id(table: sa.Table) -> sa.Select[Any]:
    return sa.select(table).where(table.c.id == sa.bindparam("id"))


def plain(value: Any) -> Any:
    """An attribute as a column value (enums by value)."""
    return value.value if isinstance(value, Enum) else value


def _id_of(obj: object) -> str:
    key = getattr(obj, "id", None)
    if not isinstance(key, str) or not key:
        raise ValueError(f"{type(obj).__name__} needs a non-empty str id")
    return key

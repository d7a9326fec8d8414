"""Tenders (the procedure root: lots, committee ... live inside the document; the lots' bids
and registrations live in ``tender_bids`` / ``tender_registrations`` rows, ADR 0010).

``get``/``find``/``get_for_update`` take an optional filter (``bidder_id``, ``bid_id``): then
each ``lot.bids`` and ``lot.registrations`` is a ``PartialList`` holding only that bidder's
(that bid; no registration), and only they are written back. Without a filter everything is
loaded, as plain lists. A change to any of them raises the tender's version when the tender
was loaded without its lock (optimistic: the version covers its bids and registrations);
loaded with ``get_for_update`` the lock already orders the change against every other writer
of the tender, so only the bid rows are written (ADR 0014).
"""

from __future__ import annotations

import builtins
import functools
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenderhub.core.shared.clock import Clock
from tenderhub.core.shared.errors import NotFound
from tenderhub.db import tables
from tenderhub.db.errors import translated
from tenderhub.db.repositories.base import DocumentRepository, plain
from tenderhub.db.repositories.lot_rows import WHOLE, BidSelection, LotRows, Op, item_class
from tenderhub.db.serializer import JsonDoc, to_doc

T = TypeVar("T")
Changes = builtins.list[tuple[LotRows, builtins.list[Op]]]
CHILDREN = (("bids", tables.tender_bids), ("registrations", tables.tender_registrations))


class TenderRepository(DocumentRepository[T]):
    """Works with any dataclass having id, code, regime, status, title and tenderer_id;
    ``created_at``/``updated_at`` are taken from the aggregate when it has them, else the clock."""

    table = tables.tenders
    noun = "tender"
    indexed = ("code", "regime", "status", "title", "tenderer_id")

    def __init__(self, session: Session, cls: type[T] | None, *, clock: Clock | None = None) -> None:
        super().__init__(session, cls, clock=clock)
        self._rows = [] if cls is None else [
            LotRows(session, item, table, name) for name, table in CHILDREN
            if (item := item_class(cls, name)) is not None]  # type: ignore[arg-type]
        self._selection = WHOLE
        self._new_rows: Changes = []
        self._locked: set[str] = set()  # first read under its lock (get_for_update), held to the commit

    def get(self, id: str, *, bidder_id: str | None = None, bid_id: str | None = None) -> T:
        """The tender; with ``bidder_id``/``bid_id`` its lots hold only those bids (``PartialList``)."""
        self._selection = BidSelection(bidder_id, bid_id)
        try:
            return super().get(id)
        finally:
            self._selection = WHOLE

    def _track(self, row: sa.Row[Any]) -> T:
        if row.id in self._seen:  # loaded before (perhaps in part): widen as asked
            return self.find(row.id)  # type: ignore[return-value]
        return super()._track(row)

    def find(self, id: str) -> T | None:
        if id in self._seen:
            obj: T = self._seen[id].obj
            for rows in self._rows:
                rows.ensure(id, obj, self._selection)
            return obj
        return self._by_id(id)

    def get_by_code(self, code: str) -> T:
        found = self._one(self.table.c.code == code)
        if found is None:
            raise NotFound(
                f"tender {code} not found", message_zh=f"未找到项目 {code}", field="code"
            )
        return found

    def get_for_update(self, id: str, *, bidder_id: str | None = None, bid_id: str | None = None) -> T:
        """Load a tender to change it, holding its write lock until the transaction ends, so
        concurrent changes of one tender wait for each other instead of failing on a stale
        version (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite: the database write lock)."""
        if id not in self._locked:  # held already (read under it in this transaction): not again
            dialect = self._session.get_bind().dialect.name
            self._session.execute(_locking(self.table, dialect), {"id": id} if dialect == "postgresql" else {})
            if id not in self._seen:  # read under the lock (not an earlier, unlocked read of it)
                self._locked.add(id)
        return self.get(id, bidder_id=bidder_id, bid_id=bid_id)

    def list(
        self, status: str | Enum | None = None, *, limit: int = 50, offset: int = 0
    ) -> builtins.list[T]:
        where = [] if status is None else [self.table.c.status == plain(status)]
        return self._many(*where, order_by=self.table.c.code, limit=limit, offset=offset)

    def flush(self) -> None:
        """Write back changed tenders and bids; a changed bid raises its tender's version unless
        the tender's lock is held (then the lock orders it: ADR 0014)."""
        for key in sorted(self._seen):  # fixed order: no lock-order deadlocks between writers
            entry = self._seen[key]
            doc, changes = self._split(key, entry.obj)
            if doc != entry.snapshot:
                self._written.append((entry, doc, self._write_back(key, entry, doc)))
            elif changes and key not in self._locked:  # only bids changed, optimistically: the version covers them
                self._written.append((entry, doc, self._bump(key, entry)))
            for rows, ops in changes:
                rows.write(ops)

    def _bump(self, key: str, entry: Any) -> int:
        """``_write_back`` without rewriting the unchanged document."""
        new_version = entry.version if entry.fresh else entry.version + 1
        stmt = (sa.update(self.table).where(self.table.c.id == key, self.table.c.version == entry.version)
                .values(version=new_version, **self._stamps(entry.obj, insert=False)))
        with translated():
            result = self._session.execute(stmt)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            self._stale(key, entry.version)
        return new_version

    def committed(self) -> None:
        super().committed()
        for rows in self._rows:
            rows.committed()
        self._locked.clear()  # the commit released the locks: a later change in this unit of work bumps again

    def _split(self, key: str, obj: T) -> tuple[JsonDoc, Changes]:
        """The tender's document without its lots' bids and registrations, and the rows of
        those to write (one ``to_doc`` gives both)."""
        doc, changes = to_doc(obj), []
        lots = getattr(obj, "lots", [])
        for rows in self._rows:
            pairs = [(lot, lot_doc.pop(rows.attribute)) for lot, lot_doc in zip(lots, doc["lots"], strict=True)]
            ops = rows.changes(key, pairs)
            changes += [(rows, ops)] if ops else []
        return doc, changes

    def _document(self, obj: T) -> JsonDoc:
        doc, self._new_rows = self._split(_id(obj), obj)
        return doc

    def _inserted(self, key: str, obj: T) -> None:
        for rows, ops in self._new_rows:
            rows.write(ops)
        for rows in self._rows:
            rows.track_new(obj)

    def _loaded(self, key: str, obj: T) -> None:
        for rows in self._rows:
            rows.fill(key, obj, self._selection)

    def _stamps(self, obj: T, *, insert: bool) -> dict[str, Any]:
        now = self._clock.now()
        updated = _aware_or(getattr(obj, "updated_at", None), now)
        if not insert:
            return {"updated_at": updated}
        return {
            "created_at": _aware_or(getattr(obj, "created_at", None), now),
            "updated_at": updated,
        }


def _id(obj: object) -> str:
    return str(getattr(obj, "id", ""))


def _aware_or(value: object, default: datetime) -> datetime:
    return value if isinstance(value, datetime) else default


@functools.cache
def _locking(table: sa.Table, dialect: str) -> sa.Executable:
    """PostgreSQL: the tender row's lock; SQLite: a write statement that matches nothing takes
    the database's single write lock."""
    if dialect == "postgresql":
        return sa.select(table.c.id).where(table.c.id == sa.bindparam("id")).with_for_update()
    return sa.update(table).where(sa.false()).values(version=table.c.version)

"""The bids (and registrations) of each tender's lots as rows of ``tender_bids``
(``tender_registrations``), not in its document (ADR 0010).

A ``LotRows`` belongs to one ``TenderRepository`` (one unit of work) and one lot attribute.
``fill`` puts a tender's rows into ``lot.<attribute>``: all of them (a plain list, the
default), or only those a use case asked for (a ``PartialList``: a bidder's own, or one bid).
``changes`` compares the items now in the lots with what was loaded and yields the rows to
insert, update or delete (a partial list never deletes); ``write`` runs them under a per-row
version check.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, get_args, get_origin

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenderhub.core.bids.model import PartialBidList, PartialList
from tenderhub.core.shared.errors import Conflict
from tenderhub.db import tables
from tenderhub.db.errors import translated
from tenderhub.db.serializer import JsonDoc, from_doc


@dataclass(frozen=True)
class BidSelection:
    """Which bids a use case loads: all (no filter), a bidder's own, or one bid id."""

    bidder_id: str | None = None
    bid_id: str | None = None

    @property
    def whole(self) -> bool:
        return self.bidder_id is None and self.bid_id is None

    def params(self, tender_id: str) -> dict[str, str]:
        """The values of ``_selecting``'s statement for this selection."""
        found = {"tender_id": tender_id}
        if self.bidder_id is not None:
            found["bidder_id"] = self.bidder_id
        if self.bid_id is not None:
            found["bid_id"] = self.bid_id
        return found


@functools.cache
def _selecting(table: sa.Table, bidder: bool, bid: bool) -> sa.Select[Any]:
    """A tender's rows (only a bidder's, only one bid: a registration has no bid id), built once
    per shape (building and keying a statement costs more than running it on SQLite)."""
    t = table
    where = [t.c.tender_id == sa.bindparam("tender_id")]
    if bidder:
        where.append(t.c.bidder_id == sa.bindparam("bidder_id"))
    if bid:
        where.append(t.c.id == sa.bindparam("bid_id") if table is tables.tender_bids else sa.false())
    return sa.select(t.c.id, t.c.lot_id, t.c.seq, t.c.version, t.c.doc).where(*where).order_by(t.c.seq)


@functools.cache
def _counting(table: sa.Table) -> sa.Select[Any]:
    t = table
    return sa.select(t.c.lot_id, sa.func.count()).where(t.c.tender_id == sa.bindparam("tender_id")).group_by(t.c.lot_id)


WHOLE = BidSelection()


@dataclass
class _Stored:
    tender_id: str
    lot_id: str
    seq: int
    version: int
    doc: JsonDoc


@dataclass
class Op:
    kind: str  # insert | update | delete
    bid_id: str
    row: _Stored


@functools.cache
def item_class(tender_cls: Any, attribute: str) -> type[Any] | None:
    """The dataclass behind ``Tender.lots[*].<attribute>``; None when the aggregate has none."""
    lot_cls = _item_class(tender_cls, "lots")
    return None if lot_cls is None else _item_class(lot_cls, attribute)


def _item_class(cls: Any, name: str) -> type[Any] | None:
    if not dataclasses.is_dataclass(cls):
        return None
    hint = typing.get_type_hints(cls).get(name)
    args = get_args(hint)
    if get_origin(hint) is not list or len(args) != 1 or not dataclasses.is_dataclass(args[0]):
        return None
    item: type[Any] = args[0]  # type: ignore[assignment]
    return item


class LotRows:
    def __init__(self, session: Session, cls: type[Any], table: sa.Table, attribute: str) -> None:
        self._session, self._cls, self.table, self.attribute = session, cls, table, attribute
        self._stored: dict[str, _Stored] = {}
        self._objects: dict[str, Any] = {}
        self._partial: dict[str, BidSelection] = {}  # tender id -> the selection it was loaded with
        self._widened: dict[str, set[BidSelection]] = {}  # tender id -> other bidders' selections added since
        self._pending: list[Op] = []

    def fill(self, tender_id: str, tender: Any, selection: BidSelection) -> None:
        by_lot = self._load(tender_id, selection)
        if selection.whole:
            for lot in tender.lots:
                setattr(lot, self.attribute, by_lot.get(lot.id, []))
            return
        counts = functools.cache(lambda: self._counts(tender_id))  # only when a new item needs a number
        for lot in tender.lots:
            setattr(lot, self.attribute, PartialList(by_lot.get(lot.id, []), stored=functools.partial(_count_of, counts, lot.id)))
        self._partial[tender_id] = selection

    def ensure(self, tender_id: str, tender: Any, selection: BidSelection) -> None:
        """A tender loaded again in the same unit of work: widen a partial list if needed
        (another bidder's own: just theirs, still partial; anything else: everything)."""
        loaded = self._partial.get(tender_id)
        if loaded is None or loaded == selection or selection in self._widened.get(tender_id, ()):
            return
        if _bidders_only(loaded) and _bidders_only(selection):
            self._add_bidder(tender_id, tender, selection)
            return
        by_lot = self._load(tender_id, WHOLE)
        for lot in tender.lots:
            added = [item for item in getattr(lot, self.attribute) if item.id not in self._stored]
            setattr(lot, self.attribute, [*by_lot.get(lot.id, []), *added])
        del self._partial[tender_id]
        self._widened.pop(tender_id, None)

    def _add_bidder(self, tender_id: str, tender: Any, selection: BidSelection) -> None:
        """Another bidder's rows into the partial lists: stored items go before the ones added
        since loading (``_seq`` numbers an added item by its place after the loaded ones)."""
        by_lot = self._load(tender_id, selection)
        for lot in tender.lots:
            items, more = getattr(lot, self.attribute), by_lot.get(lot.id, [])
            if more:
                items[items.loaded:items.loaded] = more
                items.loaded += len(more)
        self._widened.setdefault(tender_id, set()).add(selection)

    def _load(self, tender_id: str, selection: BidSelection) -> dict[str, list[Any]]:
        stmt = _selecting(self.table, selection.bidder_id is not None, selection.bid_id is not None)
        by_lot: dict[str, list[Any]] = {}
        for row in self._session.execute(stmt, selection.params(tender_id)):
            by_lot.setdefault(row.lot_id, []).append(self._object(tender_id, row))
        return by_lot

    def _object(self, tender_id: str, row: Any) -> Any:
        if row.id not in self._objects:
            self._objects[row.id] = from_doc(self._cls, row.doc)
            self._stored[row.id] = _Stored(tender_id, row.lot_id, row.seq, row.version, dict(row.doc))
        return self._objects[row.id]

    def _counts(self, tender_id: str) -> dict[str, int]:
        return {lot_id: int(n) for lot_id, n in self._session.execute(_counting(self.table), {"tender_id": tender_id})}

    def changes(self, tender_id: str, lots: Iterable[tuple[Any, list[JsonDoc]]]) -> list[Op]:
        """The rows to write for the bids now in ``lots`` (each lot with its bids' documents)."""
        partial, ops, present = tender_id in self._partial, [], set()
        for lot, docs in lots:
            for index, (bid, doc) in enumerate(zip(getattr(lot, self.attribute), docs, strict=True)):
                present.add(bid.id)
                ops.extend(self._change(tender_id, lot, index, bid, doc, partial))
        if not partial:
            ops.extend(Op("delete", key, old) for key, old in self._stored.items()
                       if old.tender_id == tender_id and key not in present)
        return ops

    def _change(self, tender_id: str, lot: Any, index: int, bid: Any, doc: JsonDoc, partial: bool) -> list[Op]:
        bid_id, old = bid.id, self._stored.get(bid.id)
        seq = self._seq(lot, index, old) if partial else index
        row = _Stored(tender_id, lot.id, seq, 1 if old is None else old.version, doc)
        if old is None:
            self._objects.setdefault(bid_id, bid)
            return [Op("insert", bid_id, row)]
        if (old.doc, old.seq, old.lot_id) != (doc, seq, lot.id):
            return [Op("update", bid_id, row)]
        return []

    def _seq(self, lot: Any, index: int, old: _Stored | None) -> int:
        if old is not None:
            return old.seq
        items = getattr(lot, self.attribute)
        if not isinstance(items, PartialList):
            raise PartialBidList(f"lot {lot.id}: a partially loaded list of {self.attribute} was replaced; new ones cannot be numbered")
        return items.stored + index - items.loaded

    def write(self, ops: list[Op]) -> None:
        for op in ops:
            with translated():
                getattr(self, f"_{op.kind}")(op)
            self._pending.append(op)

    def _insert(self, op: Op) -> None:
        self._session.execute(_inserting(self.table), {"id": op.bid_id, **self._columns(op.row), "version": 1, "doc": op.row.doc})

    def _update(self, op: Op) -> None:
        t = self.table
        stmt = sa.update(t).where(t.c.id == op.bid_id, t.c.version == op.row.version).values(
            **self._columns(op.row), version=op.row.version + 1, doc=op.row.doc)
        self._check(self._session.execute(stmt), op)
        op.row = dataclasses.replace(op.row, version=op.row.version + 1)

    def _delete(self, op: Op) -> None:
        stmt = sa.delete(self.table).where(self.table.c.id == op.bid_id, self.table.c.version == op.row.version)
        self._check(self._session.execute(stmt), op)

    @staticmethod
    def _check(result: Any, op: Op) -> None:
        if result.rowcount != 1:
            raise Conflict(
                f"{op.bid_id} was changed by someone else since version {op.row.version}; reload and retry",
                message_zh=f"{op.bid_id} 已被他人修改（版本 {op.row.version}），请刷新后重试",
                code="stale_version",
            )

    def committed(self) -> None:
        for op in self._pending:
            if op.kind == "delete":
                self._stored.pop(op.bid_id, None)
                self._objects.pop(op.bid_id, None)
            else:
                self._stored[op.bid_id] = op.row
        self._pending.clear()

    def track_new(self, tender: Any) -> None:
        """After inserting a new tender with its bids: they are stored as they are now."""
        for lot in tender.lots:
            for item in getattr(lot, self.attribute):
                self._objects[item.id] = item
        self.committed()

    def _columns(self, row: _Stored) -> dict[str, Any]:
        found = {"tender_id": row.tender_id, "lot_id": row.lot_id, "seq": row.seq, "bidder_id": row.doc["bidder_id"]}
        if "status" in self.table.c:
            found["status"] = row.doc.get("status", "submitted")
        return found


@functools.cache
def _inserting(table: sa.Table) -> sa.Insert:
    return sa.insert(table)


def _bidders_only(selection: BidSelection) -> bool:
    return selection.bidder_id is not None and selection.bid_id is None


def _count_of(counts: Any, lot_id: str) -> int:
    return int(counts().get(lot_id, 0))


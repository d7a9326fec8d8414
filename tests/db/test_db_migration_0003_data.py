"""Revision 0003 with existing data: bids and registrations move out of the tender documents
into rows and back again (downgrade), in order; earlier rounds stay in the document."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tenderhub.db import migrate
from tenderhub.db.engine import make_engine

AT = datetime(2026, 11, 1, tzinfo=UTC)


def _bid(n: int, lot: str, status: str = "submitted") -> dict[str, Any]:
    return {"id": f"{lot}-b1-{n}", "lot_id": lot, "bidder_id": f"u{n}", "status": status, "name": f"B{n}"}


def _reg(n: int, lot: str) -> dict[str, Any]:
    return {"id": f"{lot}-r1-{n}", "bidder_id": f"u{n}", "name": f"B{n}"}


DOCS = {
    "t-bids": {"lots": [
        {"id": "L1", "bids": [_bid(2, "L1"), _bid(1, "L1", "withdrawn")], "registrations": [_reg(1, "L1"), _reg(2, "L1")],
         "history": [{"round": 0, "bids": [_bid(9, "L1")]}]},
        {"id": "L2", "bids": [], "registrations": []},
    ]},
    "t-regs-only": {"lots": [{"id": "L3", "bids": [], "registrations": [_reg(3, "L3")], "history": []}]},
    "t-empty": {"lots": [{"id": "L4", "bids": [], "registrations": [], "history": []}]},
}


def _docs(conn: sa.Connection) -> dict[str, Any]:
    rows = conn.execute(sa.text("SELECT id, doc FROM tenders"))
    return {row.id: json.loads(row.doc) if isinstance(row.doc, str) else row.doc for row in rows}


def test_0003_moves_bids_and_registrations_out_and_back(database_url: str) -> None:
    migrate.upgrade(database_url, "0002")
    engine = make_engine(database_url)
    tenders = sa.Table("tenders", sa.MetaData(), autoload_with=engine)
    try:
        with engine.begin() as conn:
            for n, (key, doc) in enumerate(DOCS.items()):
                conn.execute(sa.insert(tenders).values(
                    id=key, code=f"C{n}", regime="bidding_law", status="published", title=key, tenderer_id="t",
                    created_at=AT, updated_at=AT, version=7, doc=copy.deepcopy(doc)))
        migrate.upgrade(database_url)
        with engine.connect() as conn:
            bids = conn.execute(sa.text("SELECT id, lot_id, seq, bidder_id, status, version FROM tender_bids ORDER BY seq")).all()
            regs = conn.execute(sa.text("SELECT id, lot_id, seq FROM tender_registrations ORDER BY lot_id, seq")).all()
            moved = _docs(conn)
            versions = {r.id: r.version for r in conn.execute(sa.text("SELECT id, version FROM tenders"))}
        assert [tuple(b) for b in bids] == [("L1-b1-2", "L1", 0, "u2", "submitted", 1), ("L1-b1-1", "L1", 1, "u1", "withdrawn", 1)]
        assert [tuple(r) for r in regs] == [("L1-r1-1", "L1", 0), ("L1-r1-2", "L1", 1), ("L3-r1-3", "L3", 0)]
        assert all("bids" not in lot and "registrations" not in lot for doc in moved.values() for lot in doc["lots"])
        assert moved["t-bids"]["lots"][0]["history"] == DOCS["t-bids"]["lots"][0]["history"]  # earlier rounds stay
        assert versions == {key: 7 for key in DOCS}
        migrate.downgrade(database_url, "0002")
        with engine.connect() as conn:
            assert _docs(conn) == DOCS
    finally:
        engine.dispose()

"""Searching the portal index: newest first, keyset paging, no false positives.

The full-text index (FTS5 on SQLite, GIN on PostgreSQL) gives candidates holding every
token of the query and of the filters, newest first by ``sort_key``; the SQL filters are
applied exactly; each candidate is then checked in Python for every query word as a real
substring. Candidates are fetched in growing batches until a page (plus one row, to know
whether another page follows) has passed the check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenderhub.core.shared.errors import Invalid
from tenderhub.hub.search.index import announcement_of
from tenderhub.hub.search.model import Filters, Page, as_utc
from tenderhub.hub.search.schema import FTS, SLOTS, announcements
from tenderhub.hub.search.tokens import (
    filter_token,
    matches,
    month_of,
    query_tokens,
    query_words,
    region_prefix,
    value_decades,
)

MAX_LIMIT = 100
MAX_BATCH = 2000
WINDOW = 5000  # PostgreSQL: rows searched newest first before the whole table
SPANS = (1, 2, 4, 8, 16)  # PostgreSQL: months per phase after the window, then the rest
PROBE = 300  # PostgreSQL: fewer matches below the window than this are read at once
_COLUMNS = [c for c in announcements.c if c.name != "tokens"]
_fts = sa.table(FTS, sa.column("rowid", sa.BigInteger))


def search(bind: sa.Connection | Session, query: str = "", filters: Filters | None = None,
           limit: int = 20, cursor: str | None = None) -> Page:
    """One page of announcements matching every word of ``query`` and ``filters``, newest
    first; pass ``page.next_cursor`` back as ``cursor`` for the next page."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be 1..{MAX_LIMIT}", field="limit")
    filters = filters or Filters()
    words = query_words(query)
    plan = _Plan(_dialect(bind), _match_groups(words, filters), _conditions(filters), _key_range(filters))
    found: list[Any] = []
    upper, size = _cursor_key(cursor), limit + 1 + (limit if words else 0)
    plan.start(bind, upper)
    while True:
        rows = bind.execute(plan.statement(upper, size)).all()
        found += [r for r in rows if matches(words, r.title, r.body)]
        if len(found) > limit:
            break
        if len(rows) == size:
            upper, size = rows[-1].sort_key, min(size * 2, MAX_BATCH)
        elif plan.more(bind):
            upper = plan.advance()
        else:
            break
    return _page(found, limit, first=cursor is None)


def _page(found: list[Any], limit: int, *, first: bool) -> Page:
    more = len(found) > limit
    items = found[:limit]
    next_cursor = str(items[-1].sort_key) if more else None
    total = len(items) if first and not more else None
    return Page([announcement_of(r) for r in items], next_cursor, total)


def _dialect(bind: sa.Connection | Session) -> str:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name


def _cursor_key(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not (cursor.isascii() and cursor.isdigit()) or int(cursor) >= 2**63:  # a sort key is a 64-bit integer
        raise Invalid("not a cursor of this search", field="cursor")
    return int(cursor)


def _match_groups(words: list[str], f: Filters) -> list[list[str]]:
    """Token groups that must all be present; the tokens of a group are alternatives."""
    groups = [[t] for t in query_tokens(words)]
    if f.types:
        groups.append([filter_token("t", t.value) for t in f.types])
    if f.region:
        groups.append([filter_token("r", _region(f.region))])
    groups += [[filter_token(k, v)] for k, v in (("i", f.industry), ("m", f.method)) if v]
    bounds = [v for v in (f.min_value, f.max_value) if v is not None]
    if bounds and min(bounds) >= 0:  # negative values carry no value token: SQL alone
        groups.append([filter_token("v", d) for d in value_decades(f.min_value, f.max_value)] or [filter_token("v", "x")])
    return groups


def _region(code: str) -> str:
    prefix = region_prefix(code)
    if not prefix.isdigit() or len(prefix) % 2:
        raise Invalid("region must be a GB/T 2260 code (e.g. 110000, 110105)", field="region")
    return prefix


def _conditions(f: Filters) -> list[sa.ColumnElement[bool]]:
    c = announcements.c
    out: list[sa.ColumnElement[bool]] = []
    if f.types:
        out.append(c.type.in_([t.value for t in f.types]))
    if f.region:
        out.append(c.region.like(_region(f.region) + "%"))
    out += [col == v for col, v in ((c.industry, f.industry), (c.method, f.method)) if v]
    out += [c.published_at >= as_utc(f.since)] if f.since else []
    out += [c.published_at < as_utc(f.until)] if f.until else []
    out += [c.value >= f.min_value] if f.min_value is not None else []
    out += [c.value <= f.max_value] if f.max_value is not None else []
    return out


def _key_range(f: Filters) -> tuple[int | None, int | None]:
    """Sort-key bounds implied by the date range: [low, high)."""
    low = _second(f.since) * SLOTS if f.since else None
    high = (_second(f.until) + 1) * SLOTS if f.until else None
    return low, high


def _second(at: datetime) -> int:
    return int(as_utc(at).timestamp())


class _Plan:
    """The candidate query for one search, for one dialect; ``statement`` per batch."""

    def __init__(self, dialect: str, groups: list[list[str]], conditions: list[sa.ColumnElement[bool]],
                 key_range: tuple[int | None, int | None]) -> None:
        self.dialect, self.groups, self.conditions = dialect, groups, conditions
        self.low, self.high = key_range
        self.floor: int | None = None
        self.buckets: list[str] = []  # month tokens the current phase's rows hold (any of)
        self.phases: list[tuple[int | None, list[str]]] = []  # (floor, buckets) still to search
        self.probing = False

    def start(self, bind: sa.Connection | Session, upper: int | None) -> None:
        """PostgreSQL: the window first; below it, if fewer than PROBE rows match (counted
        without sorting), all of them at once, none at all for no match; otherwise month
        buckets of growing span, then the rest."""
        self.floor = self.window_floor(bind, upper)
        self.probing = self.floor is not None

    def more(self, bind: sa.Connection | Session) -> bool:
        """Whether a phase follows; after the window, decided by counting what lies below."""
        if self.probing:
            assert self.floor is not None
            self.probing, below = False, self._count_below(bind, self.floor)
            if below >= PROBE:
                self.phases = [*_bucket_phases(self.floor, self.low), (None, [])]
            elif below:
                self.phases = [(None, [])]
        return bool(self.phases)

    def _count_below(self, bind: sa.Connection | Session, floor: int) -> int:
        """The GIN matches below the window, counted up to PROBE (no sort, no more heap rows)."""
        tsquery = " & ".join(_or(g, "'{}'", " | ") for g in self.groups)
        key = announcements.c.sort_key
        rows = (sa.select(key).where(*self.conditions, *self._bounds(key, floor))
                .where(sa.text("tsv @@ CAST(:tsq AS tsquery)").bindparams(tsq=tsquery)).offset(0).limit(PROBE))
        return int(bind.execute(sa.select(sa.func.count()).select_from(rows.subquery("p"))).scalar_one())

    def advance(self) -> int:
        """Go to the next phase; its upper key (the floor of the phase just finished)."""
        assert self.floor is not None
        upper = self.floor
        self.floor, self.buckets = self.phases.pop(0)
        return upper

    def window_floor(self, bind: sa.Connection | Session, upper: int | None) -> int | None:
        """PostgreSQL: the sort key WINDOW rows below ``upper``, or None if there are fewer.

        The planner estimates a query of several bigrams as their product (far too rare)
        and reads every match from the GIN index before sorting; searching the newest WINDOW
        rows first bounds that work when the words are common, and only a rarer query goes
        on to the whole table, where the GIN plan is cheap.
        """
        if self.dialect != "postgresql" or not self.groups:
            return None
        key = announcements.c.sort_key
        stmt = sa.select(key).where(*self._bounds(key, upper)).order_by(key.desc()).offset(WINDOW - 1).limit(1)
        return bind.execute(stmt).scalar()

    def statement(self, upper: int | None, size: int) -> sa.Select[Any]:
        if not self.groups:
            return self._select(announcements.c.sort_key, upper).order_by(announcements.c.sort_key.desc()).limit(size)
        if self.dialect == "sqlite":
            return self._sqlite(upper).limit(size)
        return self._postgresql(upper).limit(size)

    def _select(self, key: sa.ColumnElement[Any], upper: int | None) -> sa.Select[Any]:
        stmt = sa.select(*_COLUMNS).where(*self.conditions)
        bounds = self._bounds(key, upper)
        return stmt.where(*bounds, *([key >= self.floor] if self.floor is not None else []))

    def _bounds(self, key: sa.ColumnElement[Any], upper: int | None) -> list[sa.ColumnElement[bool]]:
        bounds = [key < upper] if upper is not None else []
        bounds += [key >= self.low] if self.low is not None else []
        bounds += [key < self.high] if self.high is not None else []
        return bounds

    def _sqlite(self, upper: int | None) -> sa.Select[Any]:
        match = " AND ".join(_or(g, '"{}"', " OR ") for g in self.groups)
        stmt = self._select(_fts.c.rowid, upper).select_from(
            _fts.join(announcements, announcements.c.sort_key == _fts.c.rowid))
        stmt = stmt.where(sa.text(f"{FTS} MATCH :fts_match").bindparams(fts_match=match))
        return stmt.order_by(_fts.c.rowid.desc())

    def _postgresql(self, upper: int | None) -> sa.Select[Any]:
        """Both ways fence a subquery so the planner cannot choose the other: within the
        window, read by key and test each row; beyond it, every GIN match (OFFSET 0) sorted,
        of the phase's month buckets (intersected in the index) or of the rest of the table.
        Left free, it scans by key whenever it overestimates a word, e.g. a rare one."""
        groups = [*self.groups, self.buckets] if self.buckets else self.groups
        tsquery = " & ".join(_or(g, "'{}'", " | ") for g in groups)
        rows = self._select(announcements.c.sort_key, upper).add_columns(sa.literal_column("tsv"))
        if self.floor is None or self.buckets:
            rows = rows.where(sa.text("tsv @@ CAST(:tsq AS tsquery)").bindparams(tsq=tsquery)).offset(0)
            found = rows.subquery("m")
            return sa.select(*(found.c[c.name] for c in _COLUMNS)).order_by(found.c.sort_key.desc())
        window = rows.order_by(announcements.c.sort_key.desc()).limit(WINDOW).subquery("w")
        stmt = sa.select(*(window.c[c.name] for c in _COLUMNS))
        stmt = stmt.where(sa.text("w.tsv @@ CAST(:tsq AS tsquery)").bindparams(tsq=tsquery))
        return stmt.order_by(window.c.sort_key.desc())


def _bucket_phases(floor: int, low: int | None) -> list[tuple[int | None, list[str]]]:
    """Below the window: the month holding its floor, then the 2, 4, 8, 16 months before
    (each phase's floor = the first key of its earliest month), stopping at ``low``."""
    at = datetime.fromtimestamp(floor // SLOTS, UTC)
    index = at.year * 12 + at.month - 1
    phases: list[tuple[int | None, list[str]]] = []
    for span in SPANS:
        months = [divmod(index - n, 12) for n in range(span)]
        index -= span
        year, month = months[-1]
        start = int(datetime(year, month + 1, 1, tzinfo=UTC).timestamp()) * SLOTS
        phases.append((start, [filter_token("p", month_of(y, m + 1)) for y, m in months]))
        if low is not None and start <= low:
            break
    return phases


def _or(group: Sequence[str], quote: str, sep: str) -> str:
    """Tokens hold letters and digits only, so quoting needs no escapes."""
    quoted = [quote.format(t) for t in group]
    return quoted[0] if len(quoted) == 1 else "(" + sep.join(quoted) + ")"

"""The JSON document round trip, property-tested (no database needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenderhub.db.serializer import DocumentError, from_doc, to_doc


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Level(Enum):
    LOW = 1
    HIGH = 2


@dataclass
class Leaf:
    amount: Decimal
    at: datetime
    day: date
    colour: Colour
    level: Level
    ratio: float
    flag: bool
    count: int


@dataclass
class Branch:
    name: str
    leaves: list[Leaf]
    by_key: dict[str, Leaf]
    maybe: Leaf | None
    tags: tuple[str, ...] = ()
    note: str | None = None
    scores: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Root:
    id: str
    branches: list[Branch]
    main: Branch
    optional_day: date | None = None


zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]
)
aware = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=zones
)
decimals = st.decimals(allow_nan=False, allow_infinity=False)
leaves = st.builds(
    Leaf,
    amount=decimals,
    at=aware,
    day=st.dates(),
    colour=st.sampled_from(Colour),
    level=st.sampled_from(Level),
    ratio=st.floats(allow_nan=False, allow_infinity=False),
    flag=st.booleans(),
    count=st.integers(),
)
keys = st.text(max_size=8)
branches = st.builds(
    Branch,
    name=st.text(),
    leaves=st.lists(leaves, max_size=3),
    by_key=st.dictionaries(keys, leaves, max_size=2),
    maybe=st.none() | leaves,
    tags=st.lists(st.text(max_size=5), max_size=3).map(tuple),
    note=st.none() | st.text(),
    scores=st.dictionaries(keys, st.lists(st.integers(), max_size=3), max_size=2),
)
roots = st.builds(
    Root,
    id=st.text(),
    branches=st.lists(branches, max_size=2),
    main=branches,
    optional_day=st.none() | st.dates(),
)


@given(roots)
def test_every_document_round_trips_exactly(root: Root) -> None:
    assert from_doc(Root, to_doc(root)) == root


@given(leaves)
def test_decimals_are_strings_and_datetimes_are_utc_iso(leaf: Leaf) -> None:
    doc = to_doc(leaf)
    assert doc["amount"] == str(leaf.amount)
    assert doc["at"].endswith("+00:00")
    assert doc["colour"] == leaf.colour.value and doc["level"] == leaf.level.value


def test_z_suffix_and_microseconds_are_read_back() -> None:
    leaf = from_doc(Leaf, {**to_doc(_leaf()), "at": "2025-01-02T03:04:05.000007Z"})
    assert leaf.at == datetime(2025, 1, 2, 3, 4, 5, 7, tzinfo=UTC) and leaf.at.tzinfo is UTC


def test_missing_field_with_default_takes_the_default_and_unknown_keys_are_ignored() -> None:
    doc = to_doc(Branch("b", [], {}, None))
    del doc["tags"], doc["scores"]
    doc["added_later"] = 1
    assert from_doc(Branch, doc) == Branch("b", [], {}, None)


def test_missing_required_field_names_its_path() -> None:
    doc = to_doc(Root("r", [Branch("b", [_leaf()], {}, None)], Branch("m", [], {}, None)))
    del doc["branches"][0]["leaves"][0]["amount"]
    with pytest.raises(
        DocumentError, match=r"\$\.branches\[0\]\.leaves\[0\]\.amount: required field of Leaf"
    ):
        from_doc(Root, doc)


def test_a_wrong_value_names_its_path() -> None:
    doc = to_doc(_leaf())
    doc["colour"] = "green"
    with pytest.raises(DocumentError, match=r"\$\.colour"):
        from_doc(Leaf, doc)


def test_naive_datetimes_are_refused_both_ways() -> None:
    with pytest.raises(DocumentError, match="naive"):
        to_doc(Leaf(**{**_leaf().__dict__, "at": datetime(2025, 1, 1)}))
    with pytest.raises(DocumentError, match=r"\$\.at"):
        from_doc(Leaf, {**to_doc(_leaf()), "at": "2025-01-01T00:00:00"})


def _leaf() -> Leaf:
    return Leaf(
        Decimal("1.50"),
        datetime(2025, 1, 1, tzinfo=UTC),
        date(2025, 1, 1),
        Colour.RED,
        Level.LOW,
        0.5,
        True,
        3,
    )

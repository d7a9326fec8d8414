"""Transition tables and the one guarded check every ``transition_to`` goes through."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from tenderhub.core.shared.errors import Conflict

S = TypeVar("S", bound=StrEnum)

Table = Mapping[S, frozenset[S]]


def check_transition(table: Table[S], current: S, new: S, *, what: str) -> None:
    """Raise ``Conflict`` unless the table allows ``current -> new``."""
    if new not in table.get(current, frozenset()):
        raise Conflict(
            f"{what} cannot go from {current.value!r} to {new.value!r}",
            message_zh=f"{what} 当前状态 {current.value} 不能变为 {new.value}",
            field="status",
            code=f"{what}_transition",
        )


def terminal_states(table: Table[S]) -> frozenset[S]:
    return frozenset(state for state, targets in table.items() if not targets)

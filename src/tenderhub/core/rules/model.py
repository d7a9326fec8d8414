"""A legal rule as data: a code, its citations, a limit and bilingual messages (STYLE rule 4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Unit(StrEnum):
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    PERCENT = "percent"
    YUAN = "yuan"
    COUNT = "count"
    RATIO = "ratio"
    NONE = "none"


@dataclass(frozen=True)
class Citation:
    law: str
    article: int

    def as_dict(self) -> dict[str, object]:
        return {"law": self.law, "article": self.article}

    def __str__(self) -> str:
        return f"《{self.law}》第{self.article}条"


@dataclass(frozen=True)
class Rule:
    """One legal limit. ``message_zh``/``message_en`` may use ``{limit}`` and call parameters."""

    code: str
    key: str
    regimes: frozenset[str]
    citations: tuple[Citation, ...]
    title_zh: str
    title_en: str
    message_zh: str
    message_en: str
    limit: Decimal | int | None = None
    unit: Unit = Unit.NONE
    extra: tuple[tuple[str, object], ...] = field(default=())

    @property
    def citation(self) -> Citation:
        return self.citations[0]

    def format(self, **params: object) -> tuple[str, str]:
        values = {"limit": self.limit, **dict(self.extra), **params}
        return self.message_zh.format(**values), self.message_en.format(**values)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "key": self.key,
            "regimes": sorted(self.regimes),
            "citations": [c.as_dict() for c in self.citations],
            "law": self.citation.law,
            "article": self.citation.article,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "message": {"zh": self.message_zh, "en": self.message_en},
            "limit": None if self.limit is None else str(self.limit),
            "unit": self.unit.value,
            **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.extra},
        }


def rule(
    code: str,
    regimes: str,
    cites: list[tuple[str, int]],
    title: tuple[str, str],
    message: tuple[str, str],
    limit: Decimal | int | None = None,
    unit: Unit = Unit.NONE,
    key: str | None = None,
    **extra: object,
) -> Rule:
    """Compact constructor used by the catalogue modules. ``regimes`` is e.g. ``"works gp"``.

    ``key`` is the regime-independent name a use case asks for (defaults to ``code``); the
    same key may have one rule per regime with different limits and citations.
    """
    return Rule(
        code=code,
        key=key or code,
        regimes=frozenset(regimes.split()),
        citations=tuple(Citation(law, art) for law, art in cites),
        title_zh=title[0],
        title_en=title[1],
        message_zh=message[0],
        message_en=message[1],
        limit=limit,
        unit=unit,
        extra=tuple(sorted(extra.items())),
    )

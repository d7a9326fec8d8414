"""Tokens of the portal index: character bigrams for Chinese, whole words for ASCII.

Text is normalised (NFKC, lower case: full-width ``ＰＰＰ`` is ``ppp``) and cut into runs:
ASCII letters and digits form words (``ppp``, ``2024``), any other letter or digit (Han,
kana, …) forms a run indexed as every single character and every pair of neighbours
(``道路工程`` → 道 路 工 程 道路 路工 工程). A query word of two or more such characters needs
all its bigrams, one character needs that character, an ASCII word needs the whole word.
Candidates are then checked for the real substring (``matches``): 道 and 路 apart never
match 道路.

Filters are indexed as tokens too (``z`` + kind + hex of the value; region at every level),
so the full-text index intersects them; the SQL filter is applied as well, so a query word
that happens to look like such a token can never let a wrong row through.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

_RUN = re.compile(r"[a-z0-9]+|[^\W\x00-\x7f_]+")
FILTER_KINDS = ("t", "r", "i", "m", "p", "v")  # type, region, industry, method, period (UTC month), value decade
MAX_DIGITS = 18  # Numeric(20, 2): at most 18 digits before the point


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _run_tokens(run: str) -> list[str]:
    if run.isascii() or len(run) == 1:
        return [run]
    return [*run, *(run[i:i + 2] for i in range(len(run) - 1))]


def text_tokens(text: str) -> list[str]:
    """Every token of ``text``, each once, in order of first appearance."""
    seen: dict[str, None] = {}
    for run in _RUN.findall(normalise(text)):
        seen.update(dict.fromkeys(_run_tokens(run)))
    return list(seen)


def _query_run_tokens(run: str) -> list[str]:
    if run.isascii() or len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


def query_words(query: str) -> list[str]:
    """The query's words (split at white space), normalised, those that have a token."""
    return [w for w in normalise(query).split() if _RUN.search(w)]


def query_tokens(words: Iterable[str]) -> list[str]:
    """The tokens every matching document holds: all bigrams of every word (AND)."""
    seen: dict[str, None] = {}
    for word in words:
        for run in _RUN.findall(word):
            seen.update(dict.fromkeys(_query_run_tokens(run)))
    return list(seen)


def matches(words: Iterable[str], *texts: str) -> bool:
    """Whether every query word occurs as a substring of the (normalised) texts."""
    haystack = "\n".join(normalise(t) for t in texts)
    return all(word in haystack for word in words)


def filter_token(kind: str, value: str) -> str:
    return f"z{kind}{value.encode().hex()}"


def month_of(year: int, month: int) -> str:
    """The period facet: the UTC month of publication, ``202611``."""
    return f"{year:04d}{month:02d}"


def value_digits(value: Decimal) -> str:
    """The value facet: the number of digits of the whole yuan (0.5 and 9 → 1, 10 → 2), so a
    value range becomes a set of tokens the full-text index can intersect."""
    return str(len(str(int(value))))


def value_decades(low: Decimal | None, high: Decimal | None) -> list[str]:
    """The value facets a value in [low, high] may have (a superset: SQL checks the bounds)."""
    first = int(value_digits(low)) if low is not None else 1
    last = int(value_digits(high)) if high is not None else MAX_DIGITS
    return [str(n) for n in range(first, last + 1)]


def region_prefix(code: str) -> str:
    """A GB/T 2260 code without its trailing ``00`` levels: 110000 → 11, 110100 → 1101."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def region_tokens(code: str) -> list[str]:
    """One token per level of the region: 110105 → 11, 1101, 110105."""
    prefix = region_prefix(code)
    return [filter_token("r", prefix[:n]) for n in range(2, len(prefix) + 1, 2)]


def document_tokens(title: str, body: str, facets: dict[str, str | None], region: str) -> str:
    """The space-separated token string stored with the announcement."""
    tokens: dict[str, None] = dict.fromkeys(text_tokens(title))
    tokens.update(dict.fromkeys(text_tokens(body)))
    tokens.update(dict.fromkeys(region_tokens(region)))
    tokens.update(dict.fromkeys(filter_token(k, v) for k, v in facets.items() if v))
    return " ".join(tokens)

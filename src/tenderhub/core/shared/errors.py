"""Typed domain errors (STYLE rule 7). The web edge maps ``kind`` to an HTTP status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from tenderhub.core.rules.model import Rule


class DomainError(Exception):
    kind: ClassVar[str] = "invalid"

    def __init__(
        self,
        message_en: str,
        *,
        message_zh: str | None = None,
        field: str | None = None,
        code: str | None = None,
        rule: Rule | None = None,
    ) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh or message_en
        self.field = field
        self.code = code or (rule.code if rule else self.kind)
        self.rule = rule

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "code": self.code,
            "field": self.field,
            "message": {"zh": self.message_zh, "en": self.message_en},
        }
        if self.rule is not None:
            out["rule"] = self.rule.code
            out["law"] = self.rule.citation.law
            out["article"] = self.rule.citation.article
            out["citations"] = [c.as_dict() for c in self.rule.citations]
        return out

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        cite = f" ({self.rule.citation})" if self.rule else ""
        return f"{self.code}{where}: {self.message_en}{cite}"


class NotFound(DomainError):
    kind = "not_found"


class Conflict(DomainError):
    """The action is not allowed in the current state (a transition-table refusal)."""

    kind = "conflict"


class Forbidden(DomainError):
    kind = "forbidden"


class Invalid(DomainError):
    """Malformed input: a field has a wrong shape or value."""

    kind = "invalid"


class RuleViolation(DomainError):
    """A legal rule refuses the action; always carries the rule and its article."""

    kind = "rule_violation"

    def __init__(self, rule: Rule, *, field: str | None = None, **params: object) -> None:
        zh, en = rule.format(**params)
        super().__init__(en, message_zh=zh, field=field, rule=rule)
        self.params = params

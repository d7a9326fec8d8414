"""Request bodies document the API; the one parser in ``services/parse.py`` decides validity.

Models are deliberately permissive (amounts as ``str | int | float``, times and dates as
text) so that a field-level legal error reaches the use case and comes back with its rule.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from tenderhub.core.shared.errors import Invalid

Amount = str | int | float
"""Yuan; a string such as "11500000.00" keeps every cent exact."""

Number = str | int | float


class In(BaseModel):
    """A request body: unknown fields are ignored, none are coerced."""

    model_config = ConfigDict(extra="ignore")


class Out(BaseModel):
    """A response view: further fields may be added without breaking clients."""

    model_config = ConfigDict(extra="allow")


def as_data(body: BaseModel | None) -> dict[str, Any]:
    """The plain mapping a use case takes (the fields the client actually sent)."""
    data = {} if body is None else body.model_dump(exclude_none=True, mode="json")
    refuse_nul(data, "")
    return data


def refuse_nul(value: Any, path: str) -> None:
    """NUL characters are never valid text here (and PostgreSQL cannot store them)."""
    if isinstance(value, str) and "\x00" in value:
        raise Invalid(f"{path or 'body'} contains a NUL character", message_zh=f"{path or '请求体'} 含有空字符（NUL）", field=path or "body")
    if isinstance(value, dict):
        for key, item in value.items():
            refuse_nul(str(key), f"{path}.{key}".lstrip("."))
            refuse_nul(item, f"{path}.{key}".lstrip("."))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_nul(item, f"{path}[{index}]")

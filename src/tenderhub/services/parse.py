"""Turn plain input (JSON from the API, YAML from scenarios) into typed values, field by field.

Every failure is an ``Invalid`` error that names the field path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from tenderhub.core.shared.clock import parse_beijing
from tenderhub.core.shared.errors import Invalid
from tenderhub.core.shared.money import money

E = TypeVar("E", bound=StrEnum)
MISSING = object()


def get(data: Mapping[str, Any], key: str, path: str = "", default: Any = MISSING) -> Any:
    if key in data and data[key] is not None:
        return data[key]
    if default is MISSING:
        where = f"{path}{key}"
        raise Invalid(f"{where} is required", message_zh=f"缺少必填字段 {where}", field=where)
    return default


def text(data: Mapping[str, Any], key: str, path: str = "", default: Any = MISSING) -> str:
    value = get(data, key, path, default)
    if not isinstance(value, str | int):
        raise Invalid(f"{path}{key} must be text", message_zh=f"{path}{key} 必须为文本", field=f"{path}{key}")
    if "\x00" in str(value):
        raise Invalid(f"{path}{key} contains a NUL character", message_zh=f"{path}{key} 含有空字符（NUL）", field=f"{path}{key}")
    return str(value)


def amount(data: Mapping[str, Any], key: str, path: str = "", default: Any = MISSING) -> Decimal:
    value = get(data, key, path, default)
    return money(value, field=f"{path}{key}")


def decimal(data: Mapping[str, Any], key: str, path: str = "", default: Any = MISSING) -> Decimal:
    value = get(data, key, path, default)
    try:
        result = Decimal(str(value))
    except ArithmeticError as exc:
        raise Invalid(f"{path}{key} must be a number", message_zh=f"{path}{key} 必须为数字", field=f"{path}{key}") from exc
    if not result.is_finite():
        raise Invalid(f"{path}{key} must be finite", message_zh=f"{path}{key} 必须为有限数", field=f"{path}{key}")
    return result


def integer(data: Mapping[str, Any], key: str, path: str = "", default: Any = MISSING, minimum: int = 0) -> int:
    value = get(data, key, path, default)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise Invalid(f"{path}{key} must be a whole number", message_zh=f"{path}{key} 必须为整数", field=f"{path}{key}")
    if int(value) < minimum:
        raise Invalid(f"{path}{key} must be at least {minimum}", message_zh=f"{path}{key} 不得小于 {minimum}", field=f"{path}{key}")
    return int(value)


def boolean(data: Mapping[str, Any], key: str, path: str = "", default: Any = MISSING) -> bool:
    value = get(data, key, path, default)
    if not isinstance(value, bool):
        raise Invalid(f"{path}{key} must be true or false", message_zh=f"{path}{key} 必须为 true 或 false", field=f"{path}{key}")
    return value


def timestamp(data: Mapping[str, Any], key: str, path: str = "", default: Any = MISSING) -> datetime:
    value = get(data, key, path, default)
    if isinstance(value, datetime):
        return parse_beijing(value.isoformat())
    try:
        return parse_beijing(str(value))
    except ValueError as exc:
        raise Invalid(
            f"{path}{key} must be an ISO 8601 time such as 2026-12-28T09:30 (Beijing time unless an offset is given)",
            message_zh=f"{path}{key} 须为 ISO 8601 时间，如 2026-12-28T09:30（未注明时区即北京时间）",
            field=f"{path}{key}",
        ) from exc


def day(data: Mapping[str, Any], key: str, path: str = "", default: Any = MISSING) -> date:
    value = get(data, key, path, default)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise Invalid(f"{path}{key} must be a date YYYY-MM-DD", message_zh=f"{path}{key} 须为日期 YYYY-MM-DD", field=f"{path}{key}") from exc


def choice(data: Mapping[str, Any], key: str, enum: type[E], path: str = "", default: Any = MISSING) -> E:
    value = get(data, key, path, default)
    try:
        return enum(value)
    except ValueError as exc:
        allowed = ", ".join(e.value for e in enum)
        raise Invalid(f"{path}{key} must be one of: {allowed}", message_zh=f"{path}{key} 须为以下之一：{allowed}", field=f"{path}{key}") from exc


def items(data: Mapping[str, Any], key: str, path: str = "", default: Any = MISSING) -> list[Any]:
    value = get(data, key, path, default)
    if not isinstance(value, list):
        raise Invalid(f"{path}{key} must be a list", message_zh=f"{path}{key} 必须为列表", field=f"{path}{key}")
    return value


def mapping(data: Mapping[str, Any], key: str, path: str = "", default: Any = MISSING) -> Mapping[str, Any]:
    value = get(data, key, path, default)
    if not isinstance(value, Mapping):
        raise Invalid(f"{path}{key} must be an object", message_zh=f"{path}{key} 必须为对象", field=f"{path}{key}")
    return value

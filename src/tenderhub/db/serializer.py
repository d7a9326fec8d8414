"""Dataclass <-> JSON document, driven by the type hints (ADR 0003).

Supported: nested dataclasses, Enum (by value), Decimal (string), aware datetime (ISO 8601,
UTC, microseconds kept), date (ISO), str, int, float, bool, list[X], tuple[X, ...],
dict[str, X], X | None, Literal and Any (passed through as JSON-ready values).
Unknown keys are ignored; a missing field with a default takes the default; a missing
required field raises ``DocumentError`` naming its path (``$.lots[2].deadline``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar, get_args, get_origin

from tenderhub.db import codec

T = TypeVar("T")
JsonDoc = dict[str, Any]


class DocumentError(ValueError):
    """A value cannot be turned into (or read back from) a JSON document."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path


def to_doc(obj: object) -> JsonDoc:
    """The JSON document of a dataclass instance."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise DocumentError("$", f"expected a dataclass instance, got {type(obj).__name__}")
    try:
        return codec.encoder(type(obj))(obj)  # type: ignore[no-any-return]
    except Exception:  # the reference path below names the bad value
        return _encode(obj, "$")


def to_json_value(value: object, path: str = "$") -> Any:
    """Any supported value as plain JSON data (used for event payloads typed ``Any``)."""
    return _encode(value, path)


def _encode(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | str | int):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DocumentError(path, f"non-finite float {value!r} has no JSON form")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise DocumentError(path, f"non-finite Decimal {value!r} is refused")
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise DocumentError(path, "naive datetime: give a timezone (stored in UTC)")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _encode(getattr(value, f.name), f"{path}.{f.name}")
            for f in _fields(type(value))
        }
    return _encode_container(value, path)


def _encode_container(value: Any, path: str) -> Any:
    if isinstance(value, list | tuple):
        return [_encode(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise DocumentError(path, f"dict keys must be str, got {key!r}")
            out[key] = _encode(item, f"{path}.{key}")
        return out
    raise DocumentError(path, f"unsupported type {type(value).__name__}")


def from_doc(cls: type[T], doc: Mapping[str, Any], path: str = "$") -> T:
    """Rebuild a dataclass of type ``cls`` from its document."""
    if not isinstance(doc, Mapping):
        raise DocumentError(
            path, f"expected an object for {cls.__name__}, got {type(doc).__name__}"
        )
    if path == "$":
        try:
            return codec.decoder(typing.cast(Any, cls))(doc)  # type: ignore[no-any-return]
        except Exception:  # the reference path below names the bad value
            pass
    target: Any = cls  # functools.cache wants Hashable; classes are
    hints = _hints(target)
    kwargs: dict[str, Any] = {}
    for f in _fields(target):
        if f.name in doc:
            kwargs[f.name] = _decode(hints[f.name], doc[f.name], f"{path}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise DocumentError(f"{path}.{f.name}", f"required field of {cls.__name__} is missing")
    return cls(**kwargs)


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@functools.cache
def _fields(cls: Any) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.init)


def _decode(tp: Any, value: Any, path: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is typing.Union or origin is types.UnionType:
        return _decode_union(get_args(tp), value, path)
    if origin is typing.Literal:
        if value not in get_args(tp):
            raise DocumentError(path, f"{value!r} is not one of {get_args(tp)!r}")
        return value
    if origin is not None:
        return _decode_generic(origin, get_args(tp), value, path)
    if isinstance(tp, type):
        return _decode_scalar(tp, value, path)
    raise DocumentError(path, f"unsupported annotation {tp!r}")


def _decode_union(args: tuple[Any, ...], value: Any, path: str) -> Any:
    if value is None and type(None) in args:
        return None
    options = [a for a in args if a is not type(None)]
    errors = []
    for option in options:
        try:
            return _decode(option, value, path)
        except DocumentError as exc:
            errors.append(str(exc))
    raise DocumentError(path, f"{value!r} matches none of {options!r} ({'; '.join(errors)})")


def _decode_generic(origin: Any, args: tuple[Any, ...], value: Any, path: str) -> Any:
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise DocumentError(path, f"expected a list, got {type(value).__name__}")
        if origin is list:
            return [_decode(args[0], v, f"{path}[{i}]") for i, v in enumerate(value)]
        item_types = (
            [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        )
        if len(item_types) != len(value):
            raise DocumentError(path, f"expected {len(item_types)} items, got {len(value)}")
        return tuple(
            _decode(t, v, f"{path}[{i}]")
            for i, (t, v) in enumerate(zip(item_types, value, strict=True))
        )
    if origin is dict:
        if not isinstance(value, Mapping):
            raise DocumentError(path, f"expected an object, got {type(value).__name__}")
        return {k: _decode(args[1], v, f"{path}.{k}") for k, v in value.items()}
    raise DocumentError(path, f"unsupported generic {origin!r}")


def _decode_scalar(tp: type, value: Any, path: str) -> Any:
    if dataclasses.is_dataclass(tp):
        return from_doc(tp, value, path)
    if issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError as exc:
            raise DocumentError(path, f"{value!r} is not a {tp.__name__}") from exc
    decoder = _SCALARS.get(tp)
    if decoder is None:
        raise DocumentError(path, f"unsupported type {tp.__name__}")
    try:
        return decoder(value)
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise DocumentError(path, f"{value!r} is not a valid {tp.__name__}: {exc}") from exc


def _expect(kind: type | tuple[type, ...], value: Any) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise TypeError(f"got {type(value).__name__}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(_expect(str, value))
    if parsed.tzinfo is None:
        raise ValueError("naive datetime in document")
    return parsed.astimezone(UTC)


def _date(value: Any) -> date:
    return date.fromisoformat(_expect(str, value))


_SCALARS: dict[type, Any] = {
    str: lambda v: _expect(str, v),
    bool: lambda v: _expect(bool, v),
    int: lambda v: _expect(int, v),
    float: lambda v: float(_expect((int, float), v)),
    Decimal: lambda v: Decimal(_expect((str, int), v)),
    datetime: _datetime,
    date: _date,
}

"""Compiled codecs: the serializer's fast path.

For each annotation one encoder and one decoder function is built once and cached, so a
document of thousands of objects is converted without re-reading type hints or building a
path string per value. The checks are the same as the reference path in ``serializer``; on
any failure the caller re-runs the reference path, which raises the precise ``DocumentError``
with the path of the bad value.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, get_args, get_origin

Codec = Callable[[Any], Any]


class Mismatch(ValueError):
    """The fast path met something it does not accept (the reference path explains it)."""


def _check(ok: bool) -> None:
    if not ok:
        raise Mismatch


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@functools.cache
def _init_fields(cls: Any) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.init)


# ---- decoding ------------------------------------------------------------------------------


@functools.cache
def decoder(tp: Any) -> Codec:
    if tp is Any:
        return lambda v: v
    origin = get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return _union_decoder(get_args(tp))
    if origin is typing.Literal:
        allowed = get_args(tp)
        return lambda v: v if v in allowed else _fail()
    if origin in (list, tuple, dict):
        return _generic_decoder(origin, get_args(tp))
    if dataclasses.is_dataclass(tp):
        return _dataclass_decoder(tp)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp
    return _SCALAR_DECODERS[tp]


def _fail() -> Any:
    raise Mismatch


def _union_decoder(args: tuple[Any, ...]) -> Codec:
    options = [decoder(a) for a in args if a is not type(None)]
    nullable = type(None) in args
    if len(options) == 1:
        only = options[0]
        return (lambda v: None if v is None else only(v)) if nullable else only

    def decode(value: Any) -> Any:
        if value is None and nullable:
            return None
        for option in options:
            try:
                return option(value)
            except (Mismatch, ValueError, TypeError, KeyError, ArithmeticError):
                continue
        raise Mismatch

    return decode


def _generic_decoder(origin: Any, args: tuple[Any, ...]) -> Codec:
    if origin is list:
        item = decoder(args[0])
        return lambda v: [item(x) for x in v] if isinstance(v, list | tuple) else _fail()
    if origin is dict:
        value_of = decoder(args[1])
        return lambda v: {k: value_of(x) for k, x in v.items()} if isinstance(v, Mapping) else _fail()
    if len(args) == 2 and args[1] is Ellipsis:
        item = decoder(args[0])
        return lambda v: tuple(item(x) for x in v) if isinstance(v, list | tuple) else _fail()
    items = [decoder(a) for a in args]
    return lambda v: tuple(d(x) for d, x in zip(items, v, strict=True)) if isinstance(v, list | tuple) and len(v) == len(items) else _fail()


def _dataclass_decoder(cls: Any) -> Codec:
    hints = _hints(cls)
    plan = [(f.name, decoder(hints[f.name]), f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            for f in _init_fields(cls)]

    def decode(doc: Any) -> Any:
        _check(isinstance(doc, Mapping))
        kwargs = {}
        for name, decode_field, required in plan:
            if name in doc:
                kwargs[name] = decode_field(doc[name])
            elif required:
                raise Mismatch
        return cls(**kwargs)

    return decode


def _exact(kind: type) -> Codec:
    def decode(v: Any) -> Any:
        _check(isinstance(v, kind) and (kind is bool or not isinstance(v, bool)))
        return v

    return decode


def _decimal(v: Any) -> Decimal:
    _check(isinstance(v, str | int) and not isinstance(v, bool))
    return Decimal(v)


def _float(v: Any) -> float:
    _check(isinstance(v, int | float) and not isinstance(v, bool))
    return float(v)


def _datetime(v: Any) -> datetime:
    _check(isinstance(v, str))
    parsed = datetime.fromisoformat(v)
    _check(parsed.tzinfo is not None)
    return parsed.astimezone(UTC)


def _date(v: Any) -> date:
    _check(isinstance(v, str))
    return date.fromisoformat(v)


_SCALAR_DECODERS: dict[Any, Codec] = {
    str: _exact(str), bool: _exact(bool), int: _exact(int), float: _float,
    Decimal: _decimal, datetime: _datetime, date: _date,
}


# ---- encoding ------------------------------------------------------------------------------


@functools.cache
def encoder(tp: Any) -> Codec:
    origin = get_origin(tp)
    if tp is Any or origin is typing.Literal:
        return encode_any
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in get_args(tp) if a is not type(None)]
        if len(options) == 1:
            only = encoder(options[0])
            return lambda v: None if v is None else only(v)
        return encode_any
    if origin in (list, tuple):
        args = get_args(tp)
        item = encoder(args[0]) if len(args) == 1 or (len(args) == 2 and args[1] is Ellipsis) else encode_any
        return lambda v: [item(x) for x in v]
    if origin is dict:
        value_of = encoder(get_args(tp)[1])
        return lambda v: {_key(k): value_of(x) for k, x in v.items()}
    if dataclasses.is_dataclass(tp):
        return _dataclass_encoder(tp)
    return encode_any


def _key(key: Any) -> str:
    _check(isinstance(key, str))
    return key  # type: ignore[no-any-return]


def _dataclass_encoder(cls: Any) -> Codec:
    hints = _hints(cls)
    plan = [(f.name, encoder(hints[f.name])) for f in _init_fields(cls)]

    def encode(obj: Any) -> Any:
        _check(type(obj) is cls)
        return {name: encode_field(getattr(obj, name)) for name, encode_field in plan}

    return encode


def encode_any(value: Any) -> Any:
    """A value of any supported type, by its runtime type."""
    if value is None or isinstance(value, bool | str | int):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        _check(value.is_finite())
        return str(value)
    if isinstance(value, datetime):
        _check(value.tzinfo is not None and value.utcoffset() is not None)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        _check(math.isfinite(value))
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass_encoder(type(value))(value)
    if isinstance(value, list | tuple):
        return [encode_any(x) for x in value]
    if isinstance(value, Mapping):
        return {_key(k): encode_any(x) for k, x in value.items()}
    raise Mismatch

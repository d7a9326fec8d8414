"""``protocol.canonical`` (orjson, checked) gives exactly the bytes of ``json.dumps`` with
sorted keys, compact separators and unescaped UTF-8, which platforms sign."""

from __future__ import annotations

import json
import random
import struct
from typing import Any

import pytest

from tenderhub.crypto import keys
from tenderhub.hub import protocol


def reference(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


SAMPLES: list[Any] = [
    {"b": 1, "a": {"d": [1, 2.5, None, True], "c": "中文 \"引号\" \\ \n\t\x00\x7f\u2028"}},
    [1e-05, 7.186e-05, -7.1e-09, 1e-4, 0.0001, 1e16, 1e22, 1.5e300, -0.0, 0.1, 123456789012345.67],
    {"amount": 2 ** 70, "negative": -(2 ** 64), "text": "null e-5 0.00001"},
    {"é": 1, "e": 2, "E": 3, "😀": 4},
]


@pytest.mark.parametrize("doc", SAMPLES)
def test_canonical_is_json_dumps_byte_for_byte(doc: Any) -> None:
    assert protocol.canonical(doc) == reference(doc)


def test_canonical_agrees_on_many_random_floats() -> None:
    rng = random.Random(5)
    for _ in range(20000):
        value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if value == value and abs(value) != float("inf"):
            assert protocol.canonical({"v": [value]}) == reference({"v": [value]})


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_not_a_number_is_refused_as_json_dumps_refuses_it(value: float) -> None:
    with pytest.raises(ValueError):
        protocol.canonical({"amount": value})
    with pytest.raises(ValueError):  # a real null beside it does not hide it
        protocol.canonical({"score": None, "items": [{"amount": value}, None]})


def test_signatures_made_on_canonical_bytes_verify_and_others_do_not() -> None:
    pair, doc = keys.generate("intl"), SAMPLES[0]
    signature = protocol.sign(pair, doc)
    assert protocol.verify("intl", pair.public_pem, doc, signature)
    assert not protocol.verify("intl", pair.public_pem, {**doc, "b": 2}, signature)
    assert not protocol.verify("intl", keys.generate("intl").public_pem, doc, signature)
    assert not protocol.verify("intl", b"not a key", doc, signature)
    gm = keys.generate("gm")
    assert protocol.verify("gm", gm.public_pem, doc, protocol.sign(gm, doc))

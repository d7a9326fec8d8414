"""The little DER the SM2 key formats need (``cryptography`` has no SM2 curve)."""

from __future__ import annotations

from tenderhub.crypto.errors import CryptoError

SEQUENCE, INTEGER, BIT_STRING, OCTET_STRING, OID = 0x30, 0x02, 0x03, 0x04, 0x06


def tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        return bytes([tag, n]) + value
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + value


def read(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """The (tag, value, next position) of the element at ``pos``."""
    try:
        tag, first = data[pos], data[pos + 1]
        pos += 2
        if first & 0x80:
            width = first & 0x7F
            first, pos = int.from_bytes(data[pos : pos + width], "big"), pos + width
        end = pos + first
        if end > len(data):
            raise IndexError
    except IndexError:
        raise CryptoError("malformed DER", field="key") from None
    return tag, data[pos:end], end


def children(value: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(value):
        tag, inner, pos = read(value, pos)
        out.append((tag, inner))
    return out

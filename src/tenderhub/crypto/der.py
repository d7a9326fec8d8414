"""A small DER encoder and decoder (X.690) for what ``cryptography`` cannot build: SM2 keys,
SM2 certificates and CRLs, GM/T 0010 envelopedData, GM/T 0009 SM2 ciphertexts.

Only definite lengths and one-byte tags (all the structures here need). Decoding errors are
``CryptoError`` naming the field the caller passes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tenderhub.crypto.errors import CryptoError

BOOLEAN, INTEGER, BIT_STRING, OCTET_STRING, OID, ENUMERATED = 0x01, 0x02, 0x03, 0x04, 0x06, 0x0A
UTF8_STRING, PRINTABLE_STRING, IA5_STRING, UTC_TIME, GENERALIZED_TIME = 0x0C, 0x13, 0x16, 0x17, 0x18
SEQUENCE, SET = 0x30, 0x31


def tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        return bytes([tag, n]) + value
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + value


def read(data: bytes, pos: int = 0, *, field: str = "key") -> tuple[int, bytes, int]:
    """The (tag, value, next position) of the element at ``pos``."""
    try:
        tag, first = data[pos], data[pos + 1]
        pos += 2
        if first & 0x80:
            width = first & 0x7F
            if not 0 < width <= 4:
                raise IndexError
            first, pos = int.from_bytes(data[pos : pos + width], "big"), pos + width
        end = pos + first
        if end > len(data):
            raise IndexError
    except IndexError:
        raise CryptoError("malformed DER", field=field) from None
    return tag, data[pos:end], end


def children(value: bytes, *, field: str = "key") -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(value):
        tag, inner, pos = read(value, pos, field=field)
        out.append((tag, inner))
    return out




def items(value: bytes, *, field: str = "key") -> list[bytes]:
    """The whole encodings of the elements of a constructed value, in order."""
    out, pos = [], 0
    while pos < len(value):
        end = read(value, pos, field=field)[2]
        out.append(value[pos:end])
        pos = end
    return out


def unwrap(data: bytes, tag: int, *, field: str = "key") -> bytes:
    """The value of ``data``, which must be exactly one element with ``tag``."""
    got, value, end = read(data, 0, field=field)
    if got != tag or end != len(data):
        raise CryptoError(f"malformed DER: expected tag {tag:#04x}, found {got:#04x}", field=field)
    return value


def seq(*parts: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(parts))


def set_of(*parts: bytes) -> bytes:
    return tlv(SET, b"".join(sorted(parts)))


def explicit(number: int, inner: bytes) -> bytes:
    return tlv(0xA0 | number, inner)


def integer(n: int) -> bytes:
    return tlv(INTEGER, n.to_bytes(n.bit_length() // 8 + 1, "big", signed=True))


def to_int(value: bytes) -> int:
    return int.from_bytes(value, "big", signed=True)


def octets(data: bytes) -> bytes:
    return tlv(OCTET_STRING, data)


def boolean(flag: bool) -> bytes:
    return tlv(BOOLEAN, b"\xff" if flag else b"\x00")


def bits(data: bytes, unused: int = 0) -> bytes:
    return tlv(BIT_STRING, bytes([unused]) + data)


def named_bits(positions: set[int]) -> bytes:
    """A BIT STRING of named bits (key usage), minimal: trailing zero bits dropped (X.690 11.2.2)."""
    if not positions:
        return bits(b"")
    width = max(positions) + 1
    value = sum(1 << (8 * ((width + 7) // 8) - 1 - p) for p in positions)
    size = (width + 7) // 8
    return bits(value.to_bytes(size, "big"), 8 * size - width)




def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        while arc := arc >> 7:
            chunk.append(0x80 | (arc & 0x7F))
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def dotted(value: bytes) -> str:
    arcs, current = [], 0
    for byte in value:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(current)
            current = 0
    if not arcs:
        return ""
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


def algorithm(dotted_oid: str, params: bytes = b"") -> bytes:
    return seq(oid(dotted_oid), params)


def time(at: datetime) -> bytes:
    """UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)."""
    at = at.astimezone(UTC)
    if at.year < 2050:
        return tlv(UTC_TIME, at.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(GENERALIZED_TIME, at.strftime("%Y%m%d%H%M%SZ").encode())

"""The sealed envelope: round trips, and every tamper, truncation, reordering or wrong key
is refused."""

from __future__ import annotations

import io
import os
import struct
import tracemalloc

import pytest

from tenderhub.crypto import envelope, keys
from tenderhub.crypto.envelope import EnvelopeError
from tenderhub.crypto.suites import SUITES

SUITE = pytest.mark.parametrize("suite", SUITES)
CHUNK = 64
PAIRS = {suite: (keys.generate(suite), keys.generate(suite)) for suite in SUITES}


def sealed(suite: str, data: bytes, *, chunk: int = CHUNK, aad: bytes = b"") -> bytes:
    out = io.BytesIO()
    envelope.seal(suite, PAIRS[suite][0].public_pem, io.BytesIO(data), out, chunk_size=chunk, aad=aad)
    return out.getvalue()


def opened(suite: str, blob: bytes, private: bytes | None = None) -> bytes:
    out = io.BytesIO()
    envelope.open_(suite, private or PAIRS[suite][0].private_pem, io.BytesIO(blob), out)
    return out.getvalue()


def body_start(blob: bytes) -> int:
    return 12 + struct.unpack(">I", blob[8:12])[0]


@SUITE
@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 1000])
def test_a_sealed_file_opens_to_the_same_bytes(suite, size):
    data = os.urandom(size)
    assert opened(suite, sealed(suite, data)) == data


@SUITE
def test_the_header_is_readable_without_any_key(suite):
    header = envelope.read_header(io.BytesIO(sealed(suite, b"x", aad=b"tender T1")))
    version = {"intl": 1, "gm": 2}[suite]  # gm: the key in a GM/T 0010 envelopedData
    assert (header.suite, header.version, header.chunk_size, header.aad) == (suite, version, CHUNK, b"tender T1")
    assert header.recipient_fingerprint == keys.fingerprint(PAIRS[suite][0].public_pem)
    assert header.content_alg == {"intl": "A256GCM", "gm": "SM4-GCM"}[suite]


@SUITE
def test_the_ciphertext_does_not_contain_the_plaintext(suite):
    assert b"SECRET PRICE" not in sealed(suite, b"SECRET PRICE" * 20)


@SUITE
@pytest.mark.parametrize("where", ["first chunk", "middle chunk", "last tag"])
def test_a_flipped_bit_anywhere_in_the_content_is_refused(suite, where):
    blob = bytearray(sealed(suite, os.urandom(5 * CHUNK)))
    start, step = body_start(blob), CHUNK + 16
    index = {"first chunk": start + 3, "middle chunk": start + 2 * step + 5, "last tag": len(blob) - 1}[where]
    blob[index] ^= 1
    with pytest.raises(EnvelopeError):
        opened(suite, bytes(blob))


@SUITE
def test_dropping_the_last_chunk_is_detected_as_truncation(suite):
    blob = sealed(suite, os.urandom(4 * CHUNK))
    with pytest.raises(EnvelopeError):
        opened(suite, blob[: -(CHUNK + 16)])


@SUITE
@pytest.mark.parametrize("cut", [1, 16, 17])
def test_cutting_bytes_off_the_end_is_refused(suite, cut):
    with pytest.raises(EnvelopeError):
        opened(suite, sealed(suite, os.urandom(3 * CHUNK + 10))[:-cut])


@SUITE
def test_an_envelope_cut_after_its_header_is_refused(suite):
    blob = sealed(suite, b"data")
    with pytest.raises(EnvelopeError):
        opened(suite, blob[: body_start(blob)])


@SUITE
def test_swapping_two_chunks_is_detected(suite):
    blob = sealed(suite, os.urandom(4 * CHUNK))
    start, step = body_start(blob), CHUNK + 16
    first, second = blob[start : start + step], blob[start + step : start + 2 * step]
    with pytest.raises(EnvelopeError):
        opened(suite, blob[:start] + second + first + blob[start + 2 * step :])


@SUITE
def test_appending_a_chunk_from_another_envelope_is_refused(suite):
    blob = sealed(suite, os.urandom(2 * CHUNK))
    other = sealed(suite, os.urandom(2 * CHUNK))
    with pytest.raises(EnvelopeError):
        opened(suite, blob + other[body_start(other) :][: CHUNK + 16])


@SUITE
def test_changing_the_header_is_detected(suite):
    blob = sealed(suite, b"data", aad=b"tender T1")
    forged = blob.replace(b'"aad":"dGVuZGVyIFQx"', b'"aad":"dGVuZGVyIFQy"')  # T1 -> T2
    assert forged != blob
    with pytest.raises(EnvelopeError):
        opened(suite, forged)


@SUITE
def test_a_file_that_is_not_an_envelope_is_refused(suite):
    with pytest.raises(EnvelopeError):
        opened(suite, b"PK\x03\x04 a zip file, not an envelope")


@SUITE
def test_opening_with_another_key_is_refused(suite):
    with pytest.raises(EnvelopeError) as refused:
        opened(suite, sealed(suite, b"data"), keys.generate(suite).private_pem)
    assert refused.value.field == "key"


def test_opening_under_the_other_suite_is_refused():
    with pytest.raises(EnvelopeError):
        opened("gm", sealed("intl", b"data"), PAIRS["gm"][0].private_pem)


@SUITE
def test_a_released_key_lets_the_opener_decrypt(suite):
    bidder, opener = PAIRS[suite]
    data = os.urandom(3 * CHUNK + 7)
    blob = sealed(suite, data)
    header = envelope.read_header(io.BytesIO(blob))
    release = envelope.release(suite, bidder.private_pem, header, opener.public_pem)
    out = io.BytesIO()
    envelope.open_released(suite, opener.private_pem, release, io.BytesIO(blob), out)
    assert out.getvalue() == data


@SUITE
def test_a_release_does_not_open_another_envelope(suite):
    bidder, opener = PAIRS[suite]
    first, second = sealed(suite, b"bid one"), sealed(suite, b"bid two")
    release = envelope.release(suite, bidder.private_pem, envelope.read_header(io.BytesIO(first)), opener.public_pem)
    with pytest.raises(EnvelopeError):
        envelope.open_released(suite, opener.private_pem, release, io.BytesIO(second), io.BytesIO())


@SUITE
def test_a_release_is_useless_to_anyone_but_the_opener(suite):
    bidder, opener = PAIRS[suite]
    blob = sealed(suite, b"bid")
    release = envelope.release(suite, bidder.private_pem, envelope.read_header(io.BytesIO(blob)), opener.public_pem)
    with pytest.raises(EnvelopeError):
        envelope.open_released(suite, bidder.private_pem, release, io.BytesIO(blob), io.BytesIO())


@SUITE
def test_only_the_recipient_can_release_the_key(suite):
    _, opener = PAIRS[suite]
    header = envelope.read_header(io.BytesIO(sealed(suite, b"bid")))
    with pytest.raises(EnvelopeError):
        envelope.release(suite, opener.private_pem, header, opener.public_pem)


class Zeros:
    """A 'file' of n zero bytes that never exists in memory at once."""

    def __init__(self, n: int) -> None:
        self.left = n

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return bytes(n)


class Sink:
    def __init__(self) -> None:
        self.size, self.data = 0, io.BytesIO()

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


@SUITE
def test_sealing_64_mb_keeps_peak_memory_small(suite):
    size = 64 << 20
    tracemalloc.start()
    try:
        sink = Sink()
        envelope.seal(suite, PAIRS[suite][0].public_pem, Zeros(size), sink)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size + 64 * 16 < sink.size < size + 64 * 16 + 4096  # 64 chunks, a tag each, the header
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB"


@SUITE
def test_opening_64_mb_keeps_peak_memory_small(suite, tmp_path):
    path = tmp_path / "big.sealed"
    with open(path, "wb") as dst:
        envelope.seal(suite, PAIRS[suite][0].public_pem, Zeros(64 << 20), dst)  # type: ignore[arg-type]
    tracemalloc.start()
    try:
        with open(path, "rb") as src:
            sink = Sink()
            envelope.open_(suite, PAIRS[suite][0].private_pem, src, sink)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.size == 64 << 20
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB"

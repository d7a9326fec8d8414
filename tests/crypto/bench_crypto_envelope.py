"""Throughput of seal/open for 64 MB in each suite against the raw AEAD in the same run.

    .venv/bin/python tests/crypto/bench_crypto_envelope.py [MB]

Prints MB/s and the ratio envelope/raw (a benchmark, not a timed test: AGENTS.md).
"""

from __future__ import annotations

import io
import os
import sys
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tenderhub.crypto import envelope, keys


def raw_aead(suite: str, data: bytes, chunk: int) -> None:
    if suite == "intl":
        aes = AESGCM(os.urandom(32))
        for i in range(0, len(data), chunk):
            aes.encrypt(os.urandom(12), data[i : i + chunk], b"")
        return
    key = os.urandom(16)
    for i in range(0, len(data), chunk):
        enc = Cipher(algorithms.SM4(key), modes.GCM(os.urandom(12))).encryptor()
        enc.update(data[i : i + chunk])
        enc.finalize()


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main(mb: int = 64) -> None:
    data, chunk = os.urandom(mb << 20), 1 << 20
    for suite in ("intl", "gm"):
        pair, out = keys.generate(suite), io.BytesIO()
        raw = timed(raw_aead, suite, data, chunk)
        seal = timed(envelope.seal, suite, pair.public_pem, io.BytesIO(data), out)
        opened = timed(envelope.open_, suite, pair.private_pem, io.BytesIO(out.getvalue()), io.BytesIO())
        rate = {name: mb / t for name, t in (("raw", raw), ("seal", seal), ("open", opened))}
        print(f"{suite:5} {mb} MB: raw {rate['raw']:7.0f} MB/s | seal {rate['seal']:7.0f} MB/s "
              f"({rate['seal'] / rate['raw']:.2f}x raw) | open {rate['open']:7.0f} MB/s ({rate['open'] / rate['raw']:.2f}x raw)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 64)

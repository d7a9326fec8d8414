"""One authenticated chunk: AES-256-GCM (intl) or SM4-GCM (gm), both through ``cryptography``.

The 12-byte nonce is the STREAM construction's: a random 7-byte prefix, the chunk index as a
32-bit big-endian counter, and a last-chunk flag byte (1 on the last chunk, else 0).
"""

from __future__ import annotations

import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tenderhub.crypto.errors import EnvelopeError

TAG = 16
PREFIX = 7
MAX_CHUNKS = 1 << 32
KEY_SIZE = {"intl": 32, "gm": 16}
CONTENT_ALG = {"intl": "A256GCM", "gm": "SM4-GCM"}


def nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= MAX_CHUNKS:
        raise EnvelopeError("too many chunks for one envelope", field="chunk_size")
    return prefix + struct.pack(">IB", index, 1 if last else 0)


class ChunkCipher:
    def __init__(self, suite: str, key: bytes) -> None:
        self.suite, self._key = suite, key
        self._aes = AESGCM(key) if suite == "intl" else None

    def seal(self, iv: bytes, data: bytes, aad: bytes) -> bytes:
        if self._aes is not None:
            return self._aes.encrypt(iv, data, aad)
        enc = Cipher(algorithms.SM4(self._key), modes.GCM(iv)).encryptor()
        enc.authenticate_additional_data(aad)
        return enc.update(data) + enc.finalize() + enc.tag

    def open(self, iv: bytes, sealed: bytes, aad: bytes) -> bytes:
        try:
            if self._aes is not None:
                return self._aes.decrypt(iv, sealed, aad)
            return self._open_sm4(iv, sealed, aad)
        except (InvalidTag, ValueError):
            raise EnvelopeError(
                "a chunk fails authentication: the file was tampered with, truncated or reordered",
                message_zh="密文分块校验失败：文件被篡改、截断或顺序被打乱",
                field="ciphertext",
            ) from None

    def _open_sm4(self, iv: bytes, sealed: bytes, aad: bytes) -> bytes:
        body, tag = sealed[:-TAG], sealed[-TAG:]
        dec = Cipher(algorithms.SM4(self._key), modes.GCM(iv, tag)).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(body) + dec.finalize()

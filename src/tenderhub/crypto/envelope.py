"""The sealed package (DESIGN §4): a digital envelope with STREAM-chunked content.

File layout::

    MAGIC (8 bytes "THENVLP1") | header length (4 bytes, big-endian) | header JSON
    | chunk 0 | chunk 1 | ... | last chunk

Each chunk is ``ciphertext || 16-byte tag`` of up to ``chunk_size`` plaintext bytes, sealed
with the nonce of ``aead.nonce`` (prefix, index, last flag) and, as associated data, the
suite digest of the header bytes, so changing the header, a chunk, their order, or cutting
or extending the file makes opening fail. ``open_`` writes plaintext as chunks verify: when
it raises, discard what it wrote.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tenderhub.crypto import aead, gmt0010, keys, keywrap, signing
from tenderhub.crypto.errors import CryptoError, EnvelopeError, SignatureError
from tenderhub.crypto.signing import Hasher
from tenderhub.crypto.suites import check_suite

MAGIC = b"THENVLP1"
VERSION = 1  # intl headers, and gm headers sealed before GM/T 0010 envelopedData (still opened)
GM_VERSION = 2  # gm headers: the content key in a GM/T 0010 envelopedData (``gmt0010``)
MAX_HEADER = 1 << 16
MAX_CHUNK = 1 << 26
RELEASE_FORMAT = "tenderhub-key-release"
RELEASE_VERSION = 2  # signed by the bidder; version 1 (unsigned) is refused


@dataclass(frozen=True)
class EnvelopeHeader:
    suite: str
    version: int
    chunk_size: int
    content_key_wrapped: bytes
    recipient_fingerprint: str
    nonce_prefix: bytes
    aad: bytes = b""
    key_alg: str = ""
    content_alg: str = ""
    enveloped_data: bytes = field(default=b"", repr=False)
    raw: bytes = field(default=b"", repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        out = {
            "format": "tenderhub-envelope", "version": self.version, "suite": self.suite,
            "key_alg": self.key_alg, "content_alg": self.content_alg,
            "recipient_fingerprint": self.recipient_fingerprint, "aad": b64(self.aad),
        }
        if self.version == GM_VERSION:
            return {**out, "enveloped_data": b64(self.enveloped_data)}
        return {**out, "chunk_size": self.chunk_size, "content_key_wrapped": b64(self.content_key_wrapped),
                "nonce_prefix": self.nonce_prefix.hex()}

    def digest(self) -> bytes:
        hasher = Hasher(self.suite)
        hasher.update(self.raw)
        return bytes.fromhex(hasher.hexdigest())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, name: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise EnvelopeError(f"bad base64 in {name}", field=name) from None


def serialise(header: EnvelopeHeader) -> bytes:
    body = json.dumps(header.as_json(), sort_keys=True, separators=(",", ":")).encode()
    return MAGIC + struct.pack(">I", len(body)) + body


def read_header(src: BinaryIO) -> EnvelopeHeader:
    """Read and check the header at the start of ``src``; leaves ``src`` at the first chunk."""
    start = read_exact(src, len(MAGIC) + 4)
    if len(start) < len(MAGIC) + 4 or start[: len(MAGIC)] != MAGIC:
        raise EnvelopeError("not a tenderhub sealed file (bad magic)", field="header")
    (size,) = struct.unpack(">I", start[len(MAGIC) :])
    body = read_exact(src, size) if size <= MAX_HEADER else b""
    if not body or len(body) != size:
        raise EnvelopeError("truncated or oversized envelope header", field="header")
    return _header_from(body, start + body)


def _key_fields(d: dict[str, Any], version: int) -> dict[str, Any]:
    """chunk_size, wrapped key and nonce prefix: in the JSON (v1) or in the envelopedData (v2)."""
    if version != GM_VERSION:
        return {"chunk_size": int(d["chunk_size"]), "nonce_prefix": bytes.fromhex(d["nonce_prefix"]),
                "content_key_wrapped": unb64(d["content_key_wrapped"], "content_key_wrapped")}
    raw = unb64(d["enveloped_data"], "enveloped_data")
    env = gmt0010.decode(raw)
    return {"chunk_size": env.chunk_size, "nonce_prefix": env.nonce_prefix,
            "content_key_wrapped": env.encrypted_key, "enveloped_data": raw}


def _header_from(body: bytes, raw: bytes) -> EnvelopeHeader:
    try:
        d = json.loads(body)
        version, suite = int(d["version"]), check_suite(d["suite"])
        header = EnvelopeHeader(
            suite=suite, version=version, **_key_fields(d, version),
            recipient_fingerprint=str(d["recipient_fingerprint"]), aad=unb64(d["aad"], "aad"),
            key_alg=str(d["key_alg"]), content_alg=str(d["content_alg"]), raw=raw,
        )
    except (ValueError, KeyError, TypeError) as e:
        raise EnvelopeError(f"malformed envelope header: {e}", field="header") from None
    known = header.version == VERSION or (header.version == GM_VERSION and header.suite == "gm")
    if not known or not 0 < header.chunk_size <= MAX_CHUNK or len(header.nonce_prefix) != aead.PREFIX:
        raise EnvelopeError("unsupported envelope version or parameters", field="header",
                            message_zh="不支持的信封版本或参数")
    return header


def read_exact(src: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes: fewer only at the end of the stream (pipes return short reads)."""
    parts, got = [], 0
    while got < n:
        part = src.read(n - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def seal(suite: str, recipient_public_pem: bytes, src: BinaryIO, dst: BinaryIO, *,
         chunk_size: int = 1 << 20, aad: bytes = b"", recipient_cert_pem: bytes | None = None) -> EnvelopeHeader:
    """Encrypt ``src`` into ``dst`` under a fresh content key wrapped to the recipient.

    gm: the key travels in a GM/T 0010 envelopedData naming the recipient by the issuer and
    serial of ``recipient_cert_pem`` when given, else by the key's subject key identifier."""
    check_suite(suite)
    if not 0 < chunk_size <= MAX_CHUNK:
        raise EnvelopeError(f"chunk_size must be 1..{MAX_CHUNK}", field="chunk_size")
    key = os.urandom(aead.KEY_SIZE[suite])
    header = _new_header(suite, recipient_public_pem, key, chunk_size, aad, recipient_cert_pem)
    dst.write(header.raw)
    _seal_chunks(aead.ChunkCipher(suite, key), header, src, dst)
    return header


def _new_header(suite: str, public_pem: bytes, key: bytes, chunk_size: int, aad: bytes,
                cert_pem: bytes | None) -> EnvelopeHeader:
    wrapped, prefix = keywrap.wrap(suite, public_pem, key), os.urandom(aead.PREFIX)
    enveloped = b""
    if suite == "gm":
        recipient = gmt0010.recipient_for(public_pem, cert_pem)
        enveloped = gmt0010.encode(gmt0010.Enveloped(recipient, wrapped, prefix, chunk_size))
    header = EnvelopeHeader(
        suite=suite, version=GM_VERSION if enveloped else VERSION, chunk_size=chunk_size,
        content_key_wrapped=wrapped, recipient_fingerprint=keys.fingerprint(public_pem), nonce_prefix=prefix,
        aad=aad, key_alg=keywrap.KEY_ALG[suite], content_alg=aead.CONTENT_ALG[suite], enveloped_data=enveloped,
    )
    return EnvelopeHeader(**{**header.__dict__, "raw": serialise(header)})


def _seal_chunks(cipher: aead.ChunkCipher, header: EnvelopeHeader, src: BinaryIO, dst: BinaryIO) -> None:
    ad, index = header.digest(), 0
    current = read_exact(src, header.chunk_size)
    while True:
        following = read_exact(src, header.chunk_size)
        last = not following
        dst.write(cipher.seal(aead.nonce(header.nonce_prefix, index, last), current, ad))
        if last:
            return
        current, index = following, index + 1


def _open_chunks(cipher: aead.ChunkCipher, header: EnvelopeHeader, src: BinaryIO, dst: BinaryIO) -> None:
    ad, index, size = header.digest(), 0, header.chunk_size + aead.TAG
    current = read_exact(src, size)
    while True:
        following = read_exact(src, size)
        last = not following
        dst.write(cipher.open(aead.nonce(header.nonce_prefix, index, last), current, ad))
        if last:
            return
        current, index = following, index + 1


def _check_addressed(header: EnvelopeHeader, suite: str, private_pem: bytes) -> None:
    if header.suite != check_suite(suite):
        raise EnvelopeError(f"the envelope is {header.suite}, not {suite}", field="suite")
    public = keys.public_of(suite, private_pem)
    if keys.fingerprint(public) != header.recipient_fingerprint or \
            (header.enveloped_data and not gmt0010.addressed_to(gmt0010.decode(header.enveloped_data), public)):
        raise EnvelopeError("the envelope is sealed to another key", message_zh="密钥不匹配", field="key")


def content_key(suite: str, private_pem: bytes, header: EnvelopeHeader) -> bytes:
    _check_addressed(header, suite, private_pem)
    return keywrap.unwrap(suite, private_pem, header.content_key_wrapped)


def open_(suite: str, recipient_private_pem: bytes, src: BinaryIO, dst: BinaryIO) -> EnvelopeHeader:
    """Decrypt ``src`` into ``dst``; ``EnvelopeError`` on any tamper, truncation or wrong key."""
    header = read_header(src)
    key = content_key(suite, recipient_private_pem, header)
    _open_chunks(aead.ChunkCipher(suite, key), header, src, dst)
    return header


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def release(suite: str, recipient_private_pem: bytes, header: EnvelopeHeader, to_public_pem: bytes) -> bytes:
    """Unwrap the content key with the bidder's key, wrap it to the opening key, and sign the
    release with the bidder's key (suite signature over the canonical JSON of the body)."""
    key = content_key(suite, recipient_private_pem, header)
    body = {
        "format": RELEASE_FORMAT, "version": RELEASE_VERSION, "suite": suite,
        "header_digest": header.digest().hex(), "opener_fingerprint": keys.fingerprint(to_public_pem),
        "content_key_wrapped": b64(keywrap.wrap(suite, to_public_pem, key)),
        "bidder_public_key": keys.public_of(suite, recipient_private_pem).decode("ascii"),
    }
    signature = signing.sign(suite, recipient_private_pem, _canonical(body))
    return json.dumps({**body, "signature": b64(signature)}, sort_keys=True).encode()


def verify_release(blob: bytes, bidder_public_pem: bytes) -> dict[str, Any]:
    """The release body once it is shown to be signed by ``bidder_public_pem``; refusals name why."""
    body = _signed_release(blob)
    if keys.fingerprint(body["bidder_public_key"].encode()) != keys.fingerprint(bidder_public_pem):
        raise SignatureError("the key release is signed by another key than the bidder's", field="release",
                             message_zh="密钥释放文件不是由投标人的密钥签名的")
    return body


def _signed_release(data: bytes) -> dict[str, Any]:
    blob = _read_release(data)
    if blob.get("version") == 1 or "signature" not in blob:
        raise EnvelopeError("the key release is not signed by the bidder (an old version 1 release; "
                            "the current `tenderhub bidder decrypt` signs it)", field="release",
                            message_zh="密钥释放文件未签名（旧版本 1，未经投标人签名；当前版本的 tenderhub bidder decrypt 会签名）")
    signature = unb64(str(blob.pop("signature")), "signature")
    try:
        public = str(blob["bidder_public_key"]).encode()
        good = signing.verify(check_suite(blob["suite"]), public, _canonical(blob), signature)
    except (KeyError, TypeError, CryptoError):
        good = False
    if not good:
        raise SignatureError("the key release signature does not verify", field="release",
                             message_zh="密钥释放文件的签名验证失败")
    return blob


def open_released(suite: str, opener_private_pem: bytes, release_blob: bytes, src: BinaryIO, dst: BinaryIO) -> EnvelopeHeader:
    """Decrypt ``src`` with a key released to the opener's key by ``release``: the release must
    be signed by the key the envelope is sealed to (the bidder's own)."""
    blob = _signed_release(release_blob)
    header = read_header(src)
    if blob["suite"] != check_suite(suite) or header.suite != suite:
        raise EnvelopeError("the release, the envelope and the suite disagree", field="suite")
    if keys.fingerprint(str(blob["bidder_public_key"]).encode()) != header.recipient_fingerprint:
        raise EnvelopeError("the release is signed by another key than the one the envelope is sealed to",
                            field="release", message_zh="密钥释放文件的签名密钥与信封的接收者不符")
    if blob["header_digest"] != header.digest().hex():
        raise EnvelopeError("the release belongs to another envelope", field="release")
    if blob["opener_fingerprint"] != keys.fingerprint(keys.public_of(suite, opener_private_pem)):
        raise EnvelopeError("the release is wrapped to another opening key", field="key")
    key = keywrap.unwrap(suite, opener_private_pem, unb64(blob["content_key_wrapped"], "release"))
    _open_chunks(aead.ChunkCipher(suite, key), header, src, dst)
    return header


def _read_release(data: bytes) -> dict[str, Any]:
    try:
        blob = json.loads(data)
        ok = blob["format"] == RELEASE_FORMAT and blob["version"] in (1, RELEASE_VERSION)
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise EnvelopeError("not a tenderhub key-release blob", field="release", message_zh="不是 tenderhub 密钥释放文件")
    return dict(blob)

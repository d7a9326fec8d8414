"""The key release the bidder gives at the opening is signed with the bidder's key; unsigned
(version 1) releases, forged or re-signed ones are refused."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest

from tenderhub.crypto import envelope, keys, signing
from tenderhub.crypto.errors import EnvelopeError, SignatureError
from tenderhub.crypto.suites import SUITES

SUITE = pytest.mark.parametrize("suite", SUITES)
DATA = Path(__file__).parent / "data"


def sealed_and_released(suite: str) -> tuple[bytes, keys.KeyPair, keys.KeyPair, bytes]:
    bidder, opener = keys.generate(suite), keys.generate(suite)
    out = io.BytesIO()
    header = envelope.seal(suite, bidder.public_pem, io.BytesIO(b"price 100" * 30), out, chunk_size=64)
    return out.getvalue(), bidder, opener, envelope.release(suite, bidder.private_pem, header, opener.public_pem)


def open_with(suite: str, opener: keys.KeyPair, release: bytes, blob: bytes) -> bytes:
    out = io.BytesIO()
    envelope.open_released(suite, opener.private_pem, release, io.BytesIO(blob), out)
    return out.getvalue()


def resigned(release: bytes, suite: str, signer: keys.KeyPair, **changes: str) -> bytes:
    body = {k: v for k, v in json.loads(release).items() if k != "signature"} | changes
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return json.dumps({**body, "signature": base64.b64encode(signing.sign(suite, signer.private_pem, canonical)).decode()}).encode()


@SUITE
def test_a_release_is_signed_by_the_bidder_and_verifies_against_its_key(suite):
    blob, bidder, opener, release = sealed_and_released(suite)
    body = envelope.verify_release(release, bidder.public_pem)
    assert body["version"] == 2 and body["bidder_public_key"] == bidder.public_pem.decode()
    assert open_with(suite, opener, release, blob) == b"price 100" * 30


@SUITE
def test_a_release_checked_against_another_bidders_key_is_refused(suite):
    _, _, _, release = sealed_and_released(suite)
    with pytest.raises(SignatureError, match="another key than the bidder's"):
        envelope.verify_release(release, keys.generate(suite).public_pem)


@SUITE
@pytest.mark.parametrize("name", ["opener_fingerprint", "header_digest", "content_key_wrapped"])
def test_a_changed_release_field_breaks_the_signature(suite, name):
    blob, bidder, opener, release = sealed_and_released(suite)
    changed = json.loads(release)
    changed[name] = changed[name][:-4] + ("AAAA" if not changed[name].endswith("AAAA") else "BBBB")
    with pytest.raises(SignatureError, match="does not verify"):
        envelope.verify_release(json.dumps(changed).encode(), bidder.public_pem)
    with pytest.raises(SignatureError):
        open_with(suite, opener, json.dumps(changed).encode(), blob)


@SUITE
def test_a_release_re_signed_by_someone_else_does_not_open_the_envelope(suite):
    blob, _, opener, release = sealed_and_released(suite)
    mallory = keys.generate(suite)
    forged = resigned(release, suite, mallory, bidder_public_key=mallory.public_pem.decode())
    with pytest.raises(EnvelopeError, match="another key than the one the envelope is sealed to"):
        open_with(suite, opener, forged, blob)


@pytest.mark.parametrize("suite", ["gm", "intl"])
def test_an_old_unsigned_release_is_refused_with_a_hint(suite):
    old = (DATA / f"v1-{suite}.release").read_bytes()
    assert json.loads(old)["version"] == 1 and "signature" not in json.loads(old)
    opener = keys.KeyPair(suite, (DATA / f"v1-{suite}-opener.key").read_bytes(), b"")
    with pytest.raises(EnvelopeError, match=r"not signed.*bidder decrypt") as refused:
        open_with(suite, opener, old, (DATA / f"v1-{suite}.sealed").read_bytes())
    assert refused.value.field == "release" and "未签名" in (refused.value.message_zh or "")
    with pytest.raises(EnvelopeError, match="not signed"):
        envelope.verify_release(old, keys.generate(suite).public_pem)


def test_a_blob_that_is_not_a_release_is_refused():
    with pytest.raises(EnvelopeError, match="not a tenderhub key-release"):
        envelope.verify_release(b'{"format": "other"}', keys.generate("intl").public_pem)

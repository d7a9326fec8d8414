"""Key pairs, fingerprints, signatures and digests in both suites."""

from __future__ import annotations

import pytest

from tenderhub.core.shared.errors import Invalid
from tenderhub.crypto import keys, signing
from tenderhub.crypto.suites import SUITES, check_suite

SUITE = pytest.mark.parametrize("suite", SUITES)


def test_an_unknown_suite_is_invalid_and_names_the_field():
    with pytest.raises(Invalid) as refused:
        check_suite("rot13")
    assert refused.value.field == "suite"


@SUITE
def test_a_generated_key_pair_is_pem_and_knows_its_suite(suite):
    pair = keys.generate(suite)
    assert pair.private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert pair.public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert keys.suite_of(pair.public_pem) == suite
    assert keys.public_of(suite, pair.private_pem) == pair.public_pem


@SUITE
def test_the_fingerprint_is_a_stable_sha256_of_the_public_key(suite):
    pair = keys.generate(suite)
    assert keys.fingerprint(pair.public_pem) == keys.fingerprint(pair.public_pem)
    assert len(keys.fingerprint(pair.public_pem)) == 64
    assert keys.fingerprint(pair.public_pem) != keys.fingerprint(keys.generate(suite).public_pem)


@SUITE
def test_a_signature_verifies_and_a_changed_message_does_not(suite):
    pair = keys.generate(suite)
    signature = signing.sign(suite, pair.private_pem, b"price 100.00")
    assert signing.verify(suite, pair.public_pem, b"price 100.00", signature)
    assert not signing.verify(suite, pair.public_pem, b"price 900.00", signature)
    assert not signing.verify(suite, keys.generate(suite).public_pem, b"price 100.00", signature)


@SUITE
@pytest.mark.parametrize("garbage", [b"", b"\x30\x02\x02\x00", b"not a signature" * 5])
def test_verify_never_raises_on_a_garbage_signature(suite, garbage):
    pair = keys.generate(suite)
    assert signing.verify(suite, pair.public_pem, b"data", garbage) is False


def test_verify_with_a_key_of_the_other_suite_is_false():
    intl, gm = keys.generate("intl"), keys.generate("gm")
    signature = signing.sign("gm", gm.private_pem, b"data")
    assert signing.verify("gm", intl.public_pem, b"data", signature) is False
    assert signing.verify("intl", gm.public_pem, b"data", signature) is False


def test_intl_digest_is_sha256():
    assert signing.digest("intl", b"abc").startswith("ba7816bf8f01cfea")


@SUITE
def test_the_streaming_hasher_and_digest_file_agree_with_the_one_shot_digest(suite, tmp_path):
    data = bytes(range(256)) * 9000
    (tmp_path / "f").write_bytes(data)
    hasher = signing.Hasher(suite)
    for i in range(0, len(data), 7777):
        hasher.update(data[i : i + 7777])
    assert hasher.hexdigest() == signing.digest(suite, data) == signing.digest_file(suite, tmp_path / "f")

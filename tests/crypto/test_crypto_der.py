"""The small DER encoder/decoder behind SM2 certificates, CRLs and GM/T 0010 envelopedData,
checked against known encodings and ``cryptography``'s own DER."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography import x509 as cx509

from tenderhub.crypto import der
from tenderhub.crypto.errors import CryptoError


@pytest.mark.parametrize(("dotted", "encoded"), [
    ("1.2.156.10197.1.301", "06082a811ccf5501822d"),
    ("1.2.840.10045.2.1", "06072a8648ce3d0201"),
    ("2.5.29.19", "0603551d13"),
])
def test_object_identifiers_encode_and_decode(dotted, encoded):
    assert der.oid(dotted).hex() == encoded
    assert der.dotted(der.unwrap(der.oid(dotted), der.OID)) == dotted


@pytest.mark.parametrize(("n", "encoded"), [(0, "020100"), (127, "02017f"), (128, "02020080"), (256, "02020100"), (-1, "0201ff")])
def test_integers_are_minimal_twos_complement(n, encoded):
    assert der.integer(n).hex() == encoded
    assert der.to_int(der.unwrap(der.integer(n), der.INTEGER)) == n


@pytest.mark.parametrize("size", [0, 127, 128, 255, 256, 70_000])
def test_long_values_use_the_long_length_form_and_read_back(size):
    encoded = der.octets(b"x" * size)
    assert der.read(encoded) == (der.OCTET_STRING, b"x" * size, len(encoded))


def test_key_usage_bits_match_what_cryptography_encodes():
    usage = cx509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                           data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                           encipher_only=False, decipher_only=False)
    assert der.named_bits({0, 1}) == usage.public_bytes()
    assert der.named_bits({5, 6}).hex() == "03020106"


def test_times_are_utc_time_until_2049_and_generalized_time_after():
    assert der.time(datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC)) == der.tlv(der.UTC_TIME, b"491231235959Z")
    assert der.time(datetime(2050, 1, 1, tzinfo=UTC)) == der.tlv(der.GENERALIZED_TIME, b"20500101000000Z")


def test_a_set_of_is_sorted_as_der_requires():
    assert der.set_of(der.integer(2), der.integer(1)) == der.tlv(der.SET, der.integer(1) + der.integer(2))


@pytest.mark.parametrize("data", [b"\x30", b"\x30\x05\x02\x01", b"\x04\x80\x00", b"\x04\x85\x00\x00\x00\x00\x01\x00"])
def test_truncated_or_indefinite_encodings_are_refused(data):
    with pytest.raises(CryptoError, match="malformed DER"):
        der.read(data, field="test")


def test_unwrap_refuses_another_tag_or_trailing_bytes():
    with pytest.raises(CryptoError, match="expected tag"):
        der.unwrap(der.integer(1), der.OCTET_STRING)
    with pytest.raises(CryptoError):
        der.unwrap(der.integer(1) + b"\x00", der.INTEGER)

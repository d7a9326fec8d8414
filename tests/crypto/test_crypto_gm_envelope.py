"""The gm envelope's key in a GM/T 0010 envelopedData (DER): round trips, decoding, refusals,
the SM2 ciphertext checked against the gmssl oracle and OpenSSL, and old (version 1) sealed
files that still open."""

from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path

import pytest
from crypto_builders import NOW, openssl, openssl_supports_sm2, uscc, with_gmssl_oracle
from cryptography.hazmat.primitives.serialization import Encoding

from tenderhub.crypto import der, envelope, gmcert, gmt0010, keys, keywrap, sm2, x509
from tenderhub.crypto.errors import EnvelopeError

GM = keys.generate("gm")
DATA = Path(__file__).parent / "data"
needs_sm2 = pytest.mark.skipif(shutil.which("openssl") is None or not openssl_supports_sm2(),
                               reason="no openssl command with SM2 (genpkey -algorithm SM2 fails)")


def sealed(data: bytes = b"bid " * 100, *, pair: keys.KeyPair = GM, cert: bytes | None = None) -> bytes:
    out = io.BytesIO()
    envelope.seal("gm", pair.public_pem, io.BytesIO(data), out, chunk_size=64, aad=b"T1", recipient_cert_pem=cert)
    return out.getvalue()


def header_json(blob: bytes) -> dict:
    size = int.from_bytes(blob[8:12], "big")
    return json.loads(blob[12 : 12 + size])


def with_header(blob: bytes, changed: dict) -> bytes:
    size = int.from_bytes(blob[8:12], "big")
    body = json.dumps({**header_json(blob), **changed}, sort_keys=True, separators=(",", ":")).encode()
    return blob[:8] + len(body).to_bytes(4, "big") + body + blob[12 + size :]


def opened(blob: bytes, private: bytes = GM.private_pem) -> bytes:
    out = io.BytesIO()
    envelope.open_("gm", private, io.BytesIO(blob), out)
    return out.getvalue()


def test_a_gm_envelope_carries_its_key_in_a_gmt_0010_enveloped_data_and_opens():
    blob = sealed(b"secret price " * 50)
    head = header_json(blob)
    assert head["version"] == 2 and "content_key_wrapped" not in head and "nonce_prefix" not in head
    env = gmt0010.decode(base64.b64decode(head["enveloped_data"]))
    assert env.recipient.key_id == gmcert.key_id(GM.public_pem) and env.chunk_size == 64
    assert opened(blob) == b"secret price " * 50


def test_the_enveloped_data_has_the_gmt_0010_object_identifiers():
    raw = base64.b64decode(header_json(sealed())["enveloped_data"])
    oids = []
    pending = [raw]
    while pending:
        for tag, value in der.children(pending.pop()):
            if tag == der.OID:
                oids.append(der.dotted(value))
            elif tag & 0x20:
                pending.append(value)
    assert {"1.2.156.10197.6.1.4.2.3", "1.2.156.10197.6.1.4.2.1", "1.2.156.10197.1.301.3",
            "1.2.156.10197.1.104.8"} <= set(oids)


def test_a_recipient_certificate_names_the_recipient_by_issuer_and_serial():
    ca = x509.init_ca("GM CA", "gm", days=30, now=NOW)
    cert = x509.issue(*ca, subject_cn="投标人", kind="company", uscc=uscc(), public_pem=GM.public_pem, days=10, now=NOW)
    blob = sealed(b"x", cert=cert)
    env = gmt0010.decode(base64.b64decode(header_json(blob)["enveloped_data"]))
    assert env.recipient.serial == int(x509.cert_info(cert).serial, 16) and not env.recipient.key_id
    assert env.recipient.issuer == gmcert.subject_and_key(x509.load(ca[0]).public_bytes(Encoding.DER))[0]
    assert opened(blob) == b"x"
    with pytest.raises(EnvelopeError, match="not for the recipient key"):
        sealed(b"x", pair=keys.generate("gm"), cert=cert)


def oracle_opens_a_fresh_envelope() -> tuple[bytes, bytes, bytes, bytes]:
    """(oracle's plaintext, our content key, C3, C2) of the key in a newly sealed envelope."""
    from gmssl import sm2 as oracle_sm2

    pair = keys.generate("gm")  # a fresh key each time: the oracle's bug depends on the key
    header = envelope.read_header(io.BytesIO(sealed(pair=pair)))
    x, y, c3, c2 = gmt0010.sm2_cipher(header.content_key_wrapped)
    scalar, point = sm2.load_private(pair.private_pem)
    oracle = oracle_sm2.CryptSM2(private_key=scalar.hex(), public_key=point.hex(), mode=1)
    raw = x.to_bytes(32, "big") + y.to_bytes(32, "big") + c3 + c2
    return bytes(oracle.decrypt(raw)), envelope.content_key("gm", pair.private_pem, header), c3, c2


def test_the_encrypted_key_is_a_gmt_0009_sm2_cipher_the_gmssl_oracle_decrypts():
    plain, key, c3, c2 = with_gmssl_oracle(oracle_opens_a_fresh_envelope)
    assert plain == key and len(key) == 16
    assert len(c2) == 16 and len(c3) == 32


@pytest.mark.parametrize(("reason", "change"), [
    ("not envelopedData", lambda raw: raw.replace(der.oid(gmt0010.ENVELOPED_DATA), der.oid("1.2.156.10197.6.1.4.2.2"))),
    ("not SM2", lambda raw: raw.replace(der.oid(gmt0010.SM2_ENCRYPTION), der.oid("1.2.156.10197.1.301.1"))),
    ("not SM4-GCM", lambda raw: raw.replace(der.oid(gmt0010.SM4_GCM), der.oid("1.2.156.10197.1.104.2"))),
    ("malformed DER", lambda raw: raw[:-5]),
])
def test_a_malformed_enveloped_data_is_refused_naming_it(reason, change):
    blob = sealed()
    raw = base64.b64decode(header_json(blob)["enveloped_data"])
    changed = with_header(blob, {"enveloped_data": base64.b64encode(change(raw)).decode()})
    with pytest.raises(EnvelopeError, match=reason) as refused:
        envelope.read_header(io.BytesIO(changed))
    assert refused.value.field == "enveloped_data"


def test_a_swapped_enveloped_data_fails_the_chunk_authentication():
    first, second = sealed(b"a" * 100), sealed(b"b" * 100)
    mixed = with_header(first, {"enveloped_data": header_json(second)["enveloped_data"]})
    with pytest.raises(EnvelopeError):
        opened(mixed)


def test_an_enveloped_data_naming_another_key_is_refused():
    other = keys.generate("gm")
    blob = sealed()
    raw = base64.b64decode(header_json(blob)["enveloped_data"])
    forged = raw.replace(gmcert.key_id(GM.public_pem), gmcert.key_id(other.public_pem))
    with pytest.raises(EnvelopeError, match="another key"):
        opened(with_header(blob, {"enveloped_data": base64.b64encode(forged).decode()}))


@pytest.mark.parametrize("suite", ["gm", "intl"])
def test_a_version_1_envelope_sealed_before_gmt_0010_still_opens(suite):
    blob = (DATA / f"v1-{suite}.sealed").read_bytes()
    assert header_json(blob)["version"] == 1 and "content_key_wrapped" in header_json(blob)
    out = io.BytesIO()
    envelope.open_(suite, (DATA / f"v1-{suite}-bidder.key").read_bytes(), io.BytesIO(blob), out)
    assert out.getvalue() == (DATA / f"v1-{suite}.plain").read_bytes()


@pytest.mark.parametrize("suite", ["gm", "intl"])
def test_a_version_1_envelope_opens_with_a_new_signed_release(suite):
    blob, bidder = (DATA / f"v1-{suite}.sealed").read_bytes(), (DATA / f"v1-{suite}-bidder.key").read_bytes()
    opener = (DATA / f"v1-{suite}-opener.key").read_bytes()
    release = envelope.release(suite, bidder, envelope.read_header(io.BytesIO(blob)), keys.public_of(suite, opener))
    out = io.BytesIO()
    envelope.open_released(suite, opener, release, io.BytesIO(blob), out)
    assert out.getvalue() == (DATA / f"v1-{suite}.plain").read_bytes()


def test_a_version_2_header_is_refused_for_the_intl_suite():
    blob = sealed()
    with pytest.raises(EnvelopeError, match="unsupported envelope version"):
        envelope.read_header(io.BytesIO(with_header(blob, {"suite": "intl"})))


@needs_sm2
def test_openssl_decrypts_the_key_in_our_enveloped_data(tmp_path):
    header = envelope.read_header(io.BytesIO(sealed()))
    (tmp_path / "k.pem").write_bytes(GM.private_pem)
    (tmp_path / "key.der").write_bytes(header.content_key_wrapped)
    (tmp_path / "env.der").write_bytes(header.enveloped_data)
    out = openssl("pkeyutl", "-decrypt", "-inkey", "k.pem", "-in", "key.der", cwd=tmp_path)
    assert out == envelope.content_key("gm", GM.private_pem, header)
    parsed = openssl("asn1parse", "-inform", "DER", "-in", "env.der", cwd=tmp_path).decode()
    assert "1.2.156.10197.6.1.4.2.3" in parsed and "1.2.156.10197.1.104.8" in parsed


@needs_sm2
def test_an_sm2_ciphertext_made_by_openssl_is_a_gmt_0009_cipher_we_decrypt(tmp_path):
    (tmp_path / "pub.pem").write_bytes(GM.public_pem)
    (tmp_path / "key.bin").write_bytes(b"0123456789abcdef")
    openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "key.bin", "-out", "c.der", cwd=tmp_path)
    cipher = (tmp_path / "c.der").read_bytes()
    assert len(gmt0010.sm2_cipher(cipher)[2]) == 32
    assert keywrap.unwrap("gm", GM.private_pem, cipher) == b"0123456789abcdef"

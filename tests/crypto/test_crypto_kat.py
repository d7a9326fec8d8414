"""Known-answer tests: SM3, SM4, AES-256-GCM (GCM spec test cases), ECDSA P-256 (RFC 6979),
and SM2 cross-checked against the pure-Python ``gmssl`` oracle."""

from __future__ import annotations

import pytest
from crypto_builders import with_gmssl_oracle
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tenderhub.crypto import keys, signing, sm2
from tenderhub.crypto.der import INTEGER, OCTET_STRING, SEQUENCE, tlv

SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


def test_sm3_of_abc_is_the_standard_value():
    assert signing.digest("gm", b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm3_of_abcd_sixteen_times_is_the_standard_value():
    expected = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    assert signing.digest("gm", b"abcd" * 16) == expected


def test_sm3_streaming_hasher_agrees_with_the_oracle():
    from gmssl import sm3

    hasher = signing.Hasher("gm")
    for part in (b"tender", b"hub", b"x" * 1000):
        hasher.update(part)
    assert hasher.hexdigest() == sm3.sm3_hash(list(b"tenderhub" + b"x" * 1000))


def test_sm4_encrypts_the_standard_block():
    enc = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    assert enc.update(SM4_KEY).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_encrypting_one_million_times_gives_the_standard_value():
    enc = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    block = SM4_KEY
    for _ in range(1_000_000):
        block = enc.update(block)
    assert block.hex() == "595298c7c6fd271f0402f804c33d3f66"


GCM_CASES = [  # McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13-16
    ("00" * 32, "00" * 12, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"),
    ("00" * 32, "00" * 12, "00" * 16, "", "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"),
    ("feffe9928665731c6d6a8f9467308308" * 2, "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "", "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"),
    ("feffe9928665731c6d6a8f9467308308" * 2, "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"),
]


@pytest.mark.parametrize(("key", "iv", "plain", "aad", "cipher", "tag"), GCM_CASES, ids=["tc13", "tc14", "tc15", "tc16"])
def test_aes_256_gcm_matches_the_gcm_spec_test_cases(key, iv, plain, aad, cipher, tag):
    sealed = AESGCM(bytes.fromhex(key)).encrypt(bytes.fromhex(iv), bytes.fromhex(plain), bytes.fromhex(aad))
    assert sealed.hex() == cipher + tag


RFC6979_X = 0x60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6
RFC6979_Y = 0x7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299
RFC6979_R = bytes.fromhex("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716")
RFC6979_S = bytes.fromhex("F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8")


def der_int(value: bytes) -> bytes:
    value = value.lstrip(b"\x00")
    return tlv(INTEGER, b"\x00" + value if value[0] & 0x80 else value)


def test_ecdsa_p256_verifies_the_rfc6979_sample_signature():
    public = ec.EllipticCurvePublicNumbers(RFC6979_X, RFC6979_Y, ec.SECP256R1()).public_key()
    signature = tlv(SEQUENCE, der_int(RFC6979_R) + der_int(RFC6979_S))
    pem = keys.public_to_pem(public)
    assert signing.verify("intl", pem, b"sample", signature)
    assert not signing.verify("intl", pem, b"samplf", signature)


def oracle(pair: keys.KeyPair):
    from gmssl import sm2 as oracle_sm2

    scalar, point = sm2.load_private(pair.private_pem)
    return oracle_sm2.CryptSM2(private_key=scalar.hex(), public_key=point.hex(), asn1=True, mode=1)


def oracle_signature(pair: keys.KeyPair, data: bytes) -> bytes:
    """An oracle signature the oracle itself accepts (it sometimes computes a wrong one)."""
    signature = oracle(pair).sign_with_sm3(data)
    if not oracle(pair).verify_with_sm3(signature, data):
        raise TypeError("the gmssl oracle made a signature it cannot verify")
    return bytes.fromhex(signature)


def test_sm2_signature_made_here_verifies_with_the_gmssl_oracle():
    def attempt() -> bool:  # a fresh key each time: the oracle's bug depends on the key
        pair = keys.generate("gm")
        signature = signing.sign("gm", pair.private_pem, b"bid manifest")
        return bool(oracle(pair).verify_with_sm3(signature.hex(), b"bid manifest"))

    assert with_gmssl_oracle(attempt)


def test_sm2_signature_made_by_the_gmssl_oracle_verifies_here():
    def attempt() -> tuple[keys.KeyPair, bytes]:
        pair = keys.generate("gm")
        return pair, oracle_signature(pair, b"bid manifest")

    pair, signature = with_gmssl_oracle(attempt)
    assert signing.verify("gm", pair.public_pem, b"bid manifest", signature)
    assert not signing.verify("gm", pair.public_pem, b"bid manifesto", signature)


def test_sm2_ciphertext_made_by_the_gmssl_oracle_decrypts_here():
    def attempt() -> tuple[keys.KeyPair, bytes]:
        pair = keys.generate("gm")
        return pair, bytes(oracle(pair).encrypt(b"content key 16 B"))  # C1 (x||y) C3 C2

    pair, raw = with_gmssl_oracle(attempt)
    x, y, c3, c2 = raw[:32], raw[32:64], raw[64:96], raw[96:]
    asn1 = tlv(SEQUENCE, der_int(x) + der_int(y) + tlv(OCTET_STRING, c3) + tlv(OCTET_STRING, c2))
    assert sm2.decrypt(pair.private_pem, asn1) == b"content key 16 B"

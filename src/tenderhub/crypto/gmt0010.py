"""GM/T 0010-2012 (SM2 密码算法加密签名消息语法规范) envelopedData for the gm suite's key.

    ContentInfo ::= SEQUENCE { contentType 1.2.156.10197.6.1.4.2.3, content [0] EXPLICIT EnvelopedData }
    EnvelopedData ::= SEQUENCE { version INTEGER, recipientInfos SET OF RecipientInfo,
                                 encryptedContentInfo EncryptedContentInfo }
    RecipientInfo ::= SEQUENCE { version INTEGER,
                                 rid IssuerAndSerialNumber | [0] IMPLICIT SubjectKeyIdentifier,
                                 keyEncryptionAlgorithm {1.2.156.10197.1.301.3},
                                 encryptedKey OCTET STRING }      -- GM/T 0009 SM2Cipher DER
    EncryptedContentInfo ::= SEQUENCE { contentType 1.2.156.10197.6.1.4.2.1,
                                 contentEncryptionAlgorithm {1.2.156.10197.1.104.8 (SM4-GCM), StreamParams},
                                 encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL }  -- absent: detached
    StreamParams ::= SEQUENCE { noncePrefix OCTET STRING (SIZE(7)), icvLen INTEGER (16), chunkSize INTEGER }

    SM2Cipher ::= SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING (32), ciphertext OCTET STRING }

The key transport part is GM/T 0010 as written (PKCS#7 version 0 with issuerAndSerialNumber;
version 2 with a subjectKeyIdentifier, the CMS form, for a bare key without a certificate).
The content is detached (our STREAM chunks follow the header), and StreamParams is ours:
a GM/T 0010 reader can take the content key out, not decrypt the chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import Encoding

from tenderhub.crypto import certs, der, gmcert, sm2
from tenderhub.crypto.errors import CryptoError, EnvelopeError

DATA = "1.2.156.10197.6.1.4.2.1"
ENVELOPED_DATA = "1.2.156.10197.6.1.4.2.3"
SM2_ENCRYPTION = "1.2.156.10197.1.301.3"
SM4_GCM = "1.2.156.10197.1.104.8"
ICV_LEN = 16
FIELD = "enveloped_data"


@dataclass(frozen=True)
class Recipient:
    """Who can unwrap: a certificate's issuer Name DER + serial, or a subject key identifier."""

    key_id: bytes = b""
    issuer: bytes = b""
    serial: int = 0

    def encode(self) -> tuple[int, bytes]:
        if self.key_id:
            return 2, der.tlv(0x80, self.key_id)
        return 0, der.seq(self.issuer, der.integer(self.serial))


@dataclass(frozen=True)
class Enveloped:
    recipient: Recipient
    encrypted_key: bytes
    nonce_prefix: bytes
    chunk_size: int


def encode(env: Enveloped) -> bytes:
    version, rid = env.recipient.encode()
    info = der.seq(der.integer(version), rid, der.algorithm(SM2_ENCRYPTION), der.octets(env.encrypted_key))
    params = der.seq(der.octets(env.nonce_prefix), der.integer(ICV_LEN), der.integer(env.chunk_size))
    content = der.seq(der.oid(DATA), der.algorithm(SM4_GCM, params))
    body = der.seq(der.integer(version), der.set_of(info), content)
    return der.seq(der.oid(ENVELOPED_DATA), der.explicit(0, body))


def _fail(what: str) -> EnvelopeError:
    return EnvelopeError(f"malformed GM/T 0010 envelopedData: {what}", field=FIELD,
                         message_zh=f"GM/T 0010 数字信封格式错误：{what}")


def _oid_of(element: bytes) -> str:
    return der.dotted(der.unwrap(element, der.OID, field=FIELD))


def decode(data: bytes) -> Enveloped:
    """The parts of a ContentInfo(envelopedData) with one SM2 recipient; ``EnvelopeError`` else."""
    try:
        return _decode(data)
    except EnvelopeError:
        raise
    except (CryptoError, IndexError, ValueError) as e:
        raise _fail(str(getattr(e, "message_en", e) or "truncated")) from None


def _decode(data: bytes) -> Enveloped:
    content_type, content = der.items(der.unwrap(data, der.SEQUENCE, field=FIELD), field=FIELD)
    if _oid_of(content_type) != ENVELOPED_DATA:
        raise _fail("not envelopedData")
    _, infos, encrypted = der.items(der.unwrap(der.unwrap(content, 0xA0, field=FIELD), der.SEQUENCE, field=FIELD))
    recipients = der.items(der.unwrap(infos, der.SET, field=FIELD), field=FIELD)
    if len(recipients) != 1:
        raise _fail("exactly one recipient expected")
    recipient, key = _recipient(recipients[0])
    prefix, chunk = _content(encrypted)
    return Enveloped(recipient, key, prefix, chunk)


def _recipient(info: bytes) -> tuple[Recipient, bytes]:
    _, rid, algorithm, key = der.items(der.unwrap(info, der.SEQUENCE, field=FIELD), field=FIELD)
    if _oid_of(der.items(der.unwrap(algorithm, der.SEQUENCE, field=FIELD))[0]) != SM2_ENCRYPTION:
        raise _fail("the key encryption algorithm is not SM2 (1.2.156.10197.1.301.3)")
    encrypted_key = der.unwrap(key, der.OCTET_STRING, field=FIELD)
    sm2_cipher(encrypted_key)
    if rid[0] == 0x80:
        return Recipient(key_id=der.read(rid, field=FIELD)[1]), encrypted_key
    issuer, serial = der.items(der.unwrap(rid, der.SEQUENCE, field=FIELD), field=FIELD)
    return Recipient(issuer=issuer, serial=der.to_int(der.unwrap(serial, der.INTEGER, field=FIELD))), encrypted_key


def _content(encrypted: bytes) -> tuple[bytes, int]:
    parts = der.items(der.unwrap(encrypted, der.SEQUENCE, field=FIELD), field=FIELD)
    if _oid_of(parts[0]) != DATA or len(parts) != 2:
        raise _fail("the content must be detached data")
    algorithm, params = der.items(der.unwrap(parts[1], der.SEQUENCE, field=FIELD), field=FIELD)
    if _oid_of(algorithm) != SM4_GCM:
        raise _fail("the content encryption algorithm is not SM4-GCM (1.2.156.10197.1.104.8)")
    prefix, icv, chunk = der.items(der.unwrap(params, der.SEQUENCE, field=FIELD), field=FIELD)
    if der.to_int(der.unwrap(icv, der.INTEGER, field=FIELD)) != ICV_LEN:
        raise _fail("the authentication tag must be 16 bytes")
    return der.unwrap(prefix, der.OCTET_STRING, field=FIELD), der.to_int(der.unwrap(chunk, der.INTEGER, field=FIELD))


def sm2_cipher(data: bytes) -> tuple[int, int, bytes, bytes]:
    """(x, y, hash, ciphertext) of a GM/T 0009 SM2Cipher DER (C1C3C2 order)."""
    x, y, digest, body = der.items(der.unwrap(data, der.SEQUENCE, field=FIELD), field=FIELD)
    hash_ = der.unwrap(digest, der.OCTET_STRING, field=FIELD)
    if len(hash_) != 32:
        raise _fail("the SM2 ciphertext hash (C3) must be 32 bytes")
    return (der.to_int(der.unwrap(x, der.INTEGER, field=FIELD)), der.to_int(der.unwrap(y, der.INTEGER, field=FIELD)),
            hash_, der.unwrap(body, der.OCTET_STRING, field=FIELD))


def recipient_for(public_pem: bytes, cert_pem: bytes | None) -> Recipient:
    """The recipient identifier: issuer + serial of the certificate, or the key's identifier."""
    if cert_pem is None:
        return Recipient(key_id=gmcert.key_id(public_pem))
    cert = certs.load(cert_pem)
    if certs.public_key(cert)[1] != sm2.public_pem(sm2.load_public(public_pem)):
        raise EnvelopeError("the recipient certificate is not for the recipient key", field="recipient_cert",
                            message_zh="接收者证书与接收者公钥不符")
    parts = gmcert.tbs_parts(cert.public_bytes(Encoding.DER))
    return Recipient(issuer=parts[2 + (parts[0][0] == 0xA0)], serial=cert.serial_number)


def addressed_to(env: Enveloped, public_pem: bytes) -> bool:
    """False when the envelopedData names the recipient by another key identifier."""
    return not env.recipient.key_id or env.recipient.key_id == gmcert.key_id(public_pem)

"""SM2 certificates (gm suite) built with our own DER, since ``cryptography`` cannot sign SM2.

X.509 v3 (RFC 5280) as GM/T 0015 profiles it: the key is ``id-ecPublicKey`` with the SM2
curve (1.2.156.10197.1.301), the signature SM3withSM2 (1.2.156.10197.1.501, no parameters)
with the default user id ``1234567812345678`` (GM/T 0009), the key identifiers the SHA-1 of
the public key bits (RFC 5280 §4.2.1.2 method 1, as OpenSSL computes them). Reading is
``cryptography``'s generic parser (``x509.load``); only keys and signatures are SM2 code here.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from tenderhub.core.shared.clock import SystemClock, as_utc
from tenderhub.crypto import der, sm2

SM3_WITH_SM2 = "1.2.156.10197.1.501"
CN, OU, SERIAL_NUMBER = "2.5.4.3", "2.5.4.11", "2.5.4.5"
SKI, KEY_USAGE, BASIC_CONSTRAINTS, AKI = "2.5.29.14", "2.5.29.15", "2.5.29.19", "2.5.29.35"
CRL_DISTRIBUTION_POINTS = "2.5.29.31"
USAGE_BITS = {"digital_signature": 0, "content_commitment": 1, "key_encipherment": 2,
              "data_encipherment": 3, "key_agreement": 4, "key_cert_sign": 5, "crl_sign": 6}
SIGNATURE_ALGORITHM = der.algorithm(SM3_WITH_SM2)


def name(cn: str, kind: str | None = None, uscc: str | None = None) -> bytes:
    """A Name as ``x509._name`` makes it: CN and OU as UTF8String, serialNumber PrintableString."""
    rdns = [der.set_of(der.seq(der.oid(CN), der.tlv(der.UTF8_STRING, cn.encode())))]
    if kind:
        rdns.append(der.set_of(der.seq(der.oid(OU), der.tlv(der.UTF8_STRING, kind.encode()))))
    if uscc:
        rdns.append(der.set_of(der.seq(der.oid(SERIAL_NUMBER), der.tlv(der.PRINTABLE_STRING, uscc.encode()))))
    return der.seq(*rdns)


def key_id(public_pem: bytes) -> bytes:
    """SHA-1 of the subjectPublicKey BIT STRING contents (04 ‖ x ‖ y)."""
    return hashlib.sha1(b"\x04" + sm2.load_public(public_pem), usedforsecurity=False).digest()


def extension(oid: str, critical: bool, value: bytes) -> bytes:
    return der.seq(der.oid(oid), der.boolean(True) if critical else b"", der.octets(value))


def basic_constraints(ca: bool, path_length: int | None = None) -> bytes:
    """CA=TRUE with an optional pathLenConstraint, or the empty SEQUENCE of an end entity."""
    if not ca:
        return extension(BASIC_CONSTRAINTS, True, der.seq())
    limit = der.integer(path_length) if path_length is not None else b""
    return extension(BASIC_CONSTRAINTS, True, der.seq(der.boolean(True), limit))


def key_usage(*names: str) -> bytes:
    return extension(KEY_USAGE, True, der.named_bits({USAGE_BITS[n] for n in names}))


def distribution_points(urls: Sequence[str]) -> list[bytes]:
    """cRLDistributionPoints (RFC 5280 §4.2.1.13): one point whose fullName lists ``urls`` (places of
    the same CRL), each a uniformResourceIdentifier [6] IA5String; no extension when there is none."""
    if not urls:
        return []
    names = b"".join(der.tlv(0x86, url.encode("ascii")) for url in urls)
    point = der.seq(der.explicit(0, der.explicit(0, names)))  # distributionPoint [0] { fullName [0] GeneralNames }
    return [extension(CRL_DISTRIBUTION_POINTS, False, der.seq(point))]


def key_ids(subject_public_pem: bytes, issuer_public_pem: bytes | None, issuer_key_id: bytes | None = None) -> list[bytes]:
    """SKI of the subject's key; AKI = the issuer's own SKI when given (it may have been computed
    another way), else the SHA-1 of the issuer's key."""
    out = [extension(SKI, False, der.octets(key_id(subject_public_pem)))]
    if issuer_public_pem is not None:
        ident = issuer_key_id or key_id(issuer_public_pem)
        out.append(extension(AKI, False, der.seq(der.tlv(0x80, ident))))
    return out


def validity(days: int, now: datetime | None) -> bytes:
    start = as_utc(now or SystemClock().now()) - timedelta(minutes=5)
    return der.seq(der.time(start), der.time(start + timedelta(days=days)))


def tbs(*, issuer: bytes, subject: bytes, public_pem: bytes, period: bytes, extensions: list[bytes]) -> bytes:
    spki = sm2.public_der(sm2.load_public(public_pem))
    serial = der.integer(secrets.randbits(159) | 1 << 158)
    return der.seq(der.explicit(0, der.integer(2)), serial, SIGNATURE_ALGORITHM, issuer, period,
                   subject, spki, der.explicit(3, der.seq(*extensions)))


def signed(body: bytes, private_pem: bytes) -> bytes:
    """``body`` (a tbsCertificate or tbsCertList) with its SM3withSM2 signature."""
    return der.seq(body, SIGNATURE_ALGORITHM, der.bits(sm2.sign(private_pem, body)))


def init_ca(cn: str, *, days: int, now: datetime | None, path_length: int | None = None,
            crl_urls: Sequence[str] = ()) -> tuple[bytes, bytes]:
    """A self-signed SM2 CA: (certificate PEM, private key PEM)."""
    private, public = sm2.generate()
    subject = name(cn)
    extensions = [basic_constraints(True, path_length), key_usage("key_cert_sign", "crl_sign"), *key_ids(public, None),
                  *distribution_points(crl_urls)]
    body = tbs(issuer=subject, subject=subject, public_pem=public, period=validity(days, now), extensions=extensions)
    return sm2.pem("CERTIFICATE", signed(body, private)), private


def issue(ca_subject: bytes, ca_public_pem: bytes, ca_key_pem: bytes, *, subject: bytes, usage: tuple[str, ...],
          public_pem: bytes, days: int, now: datetime | None, ca_key_id: bytes | None = None,
          crl_urls: Sequence[str] = ()) -> bytes:
    """An end-entity SM2 certificate signed by an SM2 CA (``ca_subject`` is its Name DER)."""
    extensions = [basic_constraints(False), key_usage(*usage), *key_ids(public_pem, ca_public_pem, ca_key_id),
                  *distribution_points(crl_urls)]
    body = tbs(issuer=ca_subject, subject=subject, public_pem=public_pem, period=validity(days, now),
               extensions=extensions)
    return sm2.pem("CERTIFICATE", signed(body, ca_key_pem))


def issue_ca(ca_subject: bytes, ca_public_pem: bytes, ca_key_pem: bytes, *, subject: bytes, path_length: int | None,
             days: int, now: datetime | None, ca_key_id: bytes | None = None,
             crl_urls: Sequence[str] = ()) -> tuple[bytes, bytes]:
    """An intermediate SM2 CA under an SM2 CA: (certificate PEM, private key PEM)."""
    private, public = sm2.generate()
    extensions = [basic_constraints(True, path_length), key_usage("key_cert_sign", "crl_sign"),
                  *key_ids(public, ca_public_pem, ca_key_id), *distribution_points(crl_urls)]
    body = tbs(issuer=ca_subject, subject=subject, public_pem=public, period=validity(days, now), extensions=extensions)
    return sm2.pem("CERTIFICATE", signed(body, ca_key_pem)), private


def tbs_parts(cert_der: bytes) -> list[bytes]:
    """The elements of a certificate's tbsCertificate (version first when present)."""
    body = der.unwrap(cert_der, der.SEQUENCE, field="certificate")
    tbs_der = der.items(body, field="certificate")[0]
    return der.items(der.unwrap(tbs_der, der.SEQUENCE, field="certificate"), field="certificate")


def subject_and_key(cert_der: bytes) -> tuple[bytes, bytes]:
    """The raw subject Name DER and SubjectPublicKeyInfo DER of a certificate."""
    parts = tbs_parts(cert_der)
    offset = 1 if parts[0][0] == 0xA0 else 0
    return parts[4 + offset], parts[5 + offset]

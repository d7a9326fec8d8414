"""Certificates for people, companies and platforms (intl suite, P-256 / ECDSA-SHA256).

Subject: ``CN`` = name, ``OU`` = kind (``person`` | ``company`` | ``platform``), and
``serialNumber`` (OID 2.5.4.5) = the 统一社会信用代码 (USCC, GB 32100, check character
verified) of the company, of a person's employer, or of the platform operator.
``TrustList`` accepts certificates from any of several CAs (mutual recognition, DESIGN §4).
gm (SM2) certificates are not yet supported: ``cryptography`` cannot sign or verify SM2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tenderhub.core.shared.clock import SystemClock, as_utc
from tenderhub.core.shared.ids import validate_uscc
from tenderhub.crypto import keys
from tenderhub.crypto.errors import CertificateError
from tenderhub.crypto.suites import check_suite

KINDS = ("person", "company", "platform")


@dataclass(frozen=True)
class CertInfo:
    subject_cn: str
    kind: str
    uscc: str | None
    issuer_cn: str
    serial: str
    not_before: datetime
    not_after: datetime
    fingerprint: str
    public_pem: bytes
    suite: str = "intl"


def _unsupported(suite: str) -> None:
    if check_suite(suite) == "gm":
        raise CertificateError("gm (SM2) certificates are not yet supported", field="suite",
                               message_zh="暂不支持国密 SM2 证书")


def _name(cn: str, kind: str | None = None, uscc: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if kind:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, kind))
    if uscc:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, uscc))
    return x509.Name(attrs)


def _builder(subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey,
             days: int, now: datetime | None) -> x509.CertificateBuilder:
    start = as_utc(now or SystemClock().now()) - timedelta(minutes=5)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public)
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False))


def _usage(*, sign: bool = False, commit: bool = False, agree: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=commit, key_encipherment=False,
                         data_encipherment=False, key_agreement=agree, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def init_ca(name: str, suite: str = "intl", *, days: int, now: datetime | None = None) -> tuple[bytes, bytes]:
    """A self-signed CA: (certificate PEM, private key PEM)."""
    _unsupported(suite)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(name)
    cert = (_builder(subject, subject, key.public_key(), days, now)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM), keys.private_to_pem(key)


def issue(ca_cert_pem: bytes, ca_key_pem: bytes, *, subject_cn: str, kind: str, uscc: str | None,
          public_pem: bytes, days: int, now: datetime | None = None) -> bytes:
    """An end-entity certificate for a person, a company or a platform."""
    if kind not in KINDS:
        raise CertificateError(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if kind == "company" and not uscc:
        raise CertificateError("a company certificate needs its USCC", field="uscc")
    _unsupported(keys.suite_of(public_pem))
    ca = load(ca_cert_pem)
    usage = _usage(sign=True, agree=True) if kind == "platform" else _usage(sign=True, commit=True)
    subject = _name(subject_cn, kind, validate_uscc(uscc) if uscc else None)
    cert = (_builder(subject, ca.subject, keys.load_ec_public(public_pem), days, now)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(_authority_key_id(ca), critical=False)
            .sign(keys.load_ec_private(ca_key_pem), hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def _authority_key_id(ca: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def load(pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise CertificateError("not a readable PEM certificate", field="certificate") from None


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else None


def cert_info(pem: bytes) -> CertInfo:
    """What a certificate says, without checking it (see ``TrustList.validate``)."""
    cert = load(pem)
    public = cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != "secp256r1":
        raise CertificateError("the certificate key is not P-256", field="certificate")
    return CertInfo(
        subject_cn=_attr(cert.subject, NameOID.COMMON_NAME) or "",
        kind=_attr(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) or "",
        uscc=_attr(cert.subject, NameOID.SERIAL_NUMBER),
        issuer_cn=_attr(cert.issuer, NameOID.COMMON_NAME) or "",
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(), public_pem=keys.public_to_pem(public),
    )


def _key_usage(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False
    usage = _key_usage(cert)
    return ca and (usage is None or usage.key_cert_sign)


def _check_period(cert: x509.Certificate, at: datetime, what: str) -> None:
    at = as_utc(at)
    if at < cert.not_valid_before_utc:
        raise CertificateError(f"the {what} certificate is not valid yet", field="certificate",
                               message_zh="证书尚未生效")
    if at > cert.not_valid_after_utc:
        raise CertificateError(f"the {what} certificate has expired", field="certificate",
                               message_zh="证书已过期")


class TrustList:
    """The CAs a platform recognises; a certificate may chain to any of them."""

    def __init__(self, ca_pems: list[bytes]) -> None:
        self.cas = [load(pem) for pem in ca_pems]
        for ca in self.cas:
            if not _is_ca(ca):
                raise CertificateError("a trust-list entry is not a CA certificate", field="trust")

    def issuer_of(self, cert: x509.Certificate) -> x509.Certificate:
        for ca in self.cas:
            if ca.subject != cert.issuer:
                continue
            try:
                cert.verify_directly_issued_by(ca)
                return ca
            except (InvalidSignature, ValueError, TypeError):
                continue
        raise CertificateError("the certificate does not chain to a trusted CA", field="certificate",
                               message_zh="证书不是受信任的 CA 签发的")

    def validate(self, cert_pem: bytes, at: datetime) -> CertInfo:
        """The certificate's facts, or ``CertificateError`` with the reason it is refused."""
        cert = load(cert_pem)
        ca = self.issuer_of(cert)
        _check_period(ca, at, "CA")
        _check_period(cert, at, "signer")
        if _is_ca(cert):
            raise CertificateError("a CA certificate cannot sign documents or sign in", field="certificate")
        usage = _key_usage(cert)
        if usage is None or not usage.digital_signature:
            raise CertificateError("the certificate's key usage does not allow digital signatures",
                                   field="certificate")
        return cert_info(cert_pem)


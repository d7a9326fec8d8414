"""Certificates for people, companies and platforms, in both suites.

Subject: ``CN`` = name, ``OU`` = kind (``person`` | ``company`` | ``platform``), and
``serialNumber`` (OID 2.5.4.5) = the 统一社会信用代码 (USCC, GB 32100, check character
verified) of the company, of a person's employer, or of the platform operator.
intl certificates (P-256, ECDSA-SHA256) are built by ``cryptography``; gm certificates (SM2,
SM3withSM2) by ``gmcert`` with our DER code. ``TrustList`` accepts certificates from any of
several CAs of either suite (mutual recognition, DESIGN §4) and refuses revoked ones (CRLs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tenderhub.core.shared.clock import SystemClock, as_utc
from tenderhub.core.shared.ids import validate_uscc
from tenderhub.crypto import certs, crl, gmcert, keys
from tenderhub.crypto import chain as ca_chain
from tenderhub.crypto.certs import load
from tenderhub.crypto.errors import CertificateError
from tenderhub.crypto.suites import check_suite

KINDS = ("person", "company", "platform")
__all__ = ["KINDS", "CertInfo", "CertificateError", "TrustList", "cert_info", "init_ca", "issue", "load"]


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
    path: tuple[str, ...] = ()  # the CAs from the issuer up to the trust anchor, once validated
    revoked_later: tuple[str, ...] = ()  # revocations on the path dated after the time it was checked at


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


def init_ca(name: str, suite: str = "intl", *, days: int, now: datetime | None = None,
            path_length: int | None = None, crl_urls: Sequence[str] = ()) -> tuple[bytes, bytes]:
    """A self-signed (root) CA: (certificate PEM, private key PEM). ``path_length``: how many
    intermediate CAs may stand below it (pathLenConstraint; None: no limit, 0: it issues holders only).
    ``crl_urls``: its cRLDistributionPoints (a self-signed certificate is covered by its own CRL)."""
    urls = [certs.crl_url(u) for u in crl_urls]
    if check_suite(suite) == "gm":
        return gmcert.init_ca(name, days=days, now=now, path_length=path_length, crl_urls=urls)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(name)
    cert = _with_points(_builder(subject, subject, key.public_key(), days, now)
                        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
                        .add_extension(_usage(ca=True), critical=True), urls).sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM), keys.private_to_pem(key)


def issue_ca(ca_cert_pem: bytes, ca_key_pem: bytes, name: str, *, days: int, now: datetime | None = None,
             path_length: int | None = 0, crl_urls: Sequence[str] = ()) -> tuple[bytes, bytes]:
    """An intermediate CA under a CA, in the issuing CA's suite: (certificate PEM, private key PEM).
    The issuer's pathLenConstraint must leave room for it and for the CAs it may issue in turn.
    ``crl_urls``: where the issuing CA publishes the CRL that covers it (cRLDistributionPoints)."""
    urls = [certs.crl_url(u) for u in crl_urls]
    ca = load(ca_cert_pem)
    ca_suite, ca_public = certs.public_key(ca)
    _may_issue_ca(ca, path_length)
    if keys.public_of(ca_suite, ca_key_pem) != ca_public:
        raise CertificateError("the key does not belong to the CA certificate", field="key", message_zh="私钥与 CA 证书不匹配")
    if ca_suite == "gm":
        raw_ca_subject = gmcert.subject_and_key(ca.public_bytes(serialization.Encoding.DER))[0]
        return gmcert.issue_ca(raw_ca_subject, ca_public, ca_key_pem, subject=gmcert.name(name),
                               path_length=path_length, days=days, now=now, ca_key_id=certs.key_ids(ca)[0], crl_urls=urls)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _with_points(_builder(_name(name), ca.subject, key.public_key(), days, now)
                        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
                        .add_extension(_usage(ca=True), critical=True)
                        .add_extension(_authority_key_id(ca), critical=False), urls
                        ).sign(keys.load_ec_private(ca_key_pem), hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM), keys.private_to_pem(key)


def _may_issue_ca(ca: x509.Certificate, path_length: int | None) -> None:
    limit = certs.basic_constraints(ca)
    if not certs.is_ca(ca) or limit is None:
        raise CertificateError("the issuer is not a CA certificate", field="issuer", message_zh="签发者不是 CA 证书")
    if limit.path_length is None:
        return
    if limit.path_length == 0:
        raise CertificateError("the issuing CA's pathLenConstraint is 0: it issues holder certificates only, "
                               "no intermediate CA", field="issuer", message_zh="签发 CA 的路径长度约束为 0，只能签发持有者证书，不能签发中级 CA")
    if path_length is None or path_length >= limit.path_length:
        raise CertificateError(
            f"the issuing CA's pathLenConstraint is {limit.path_length}: an intermediate CA under it may allow at most "
            f"{limit.path_length - 1} CA(s) below itself", field="path_length",
            message_zh=f"签发 CA 的路径长度约束为 {limit.path_length}，其下的中级 CA 至多允许 {limit.path_length - 1} 级")


def issue(ca_cert_pem: bytes, ca_key_pem: bytes, *, subject_cn: str, kind: str, uscc: str | None,
          public_pem: bytes, days: int, now: datetime | None = None, crl_urls: Sequence[str] = ()) -> bytes:
    """An end-entity certificate for a person, a company or a platform (the CA's suite); ``crl_urls``:
    where its CA publishes the CRL that covers it (cRLDistributionPoints, RFC 5280 §4.2.1.13)."""
    urls = [certs.crl_url(u) for u in crl_urls]
    if kind not in KINDS:
        raise CertificateError(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if kind == "company" and not uscc:
        raise CertificateError("a company certificate needs its USCC", field="uscc",
                               message_zh="企业证书须载明统一社会信用代码")
    code = validate_uscc(uscc) if uscc else None
    ca = load(ca_cert_pem)
    ca_suite, ca_public = certs.public_key(ca)
    if keys.suite_of(public_pem) != ca_suite:
        raise CertificateError(f"a {ca_suite} CA issues {ca_suite} certificates only: the key is "
                               f"{keys.suite_of(public_pem)}", field="public_key", message_zh="证书公钥与 CA 的密码套件不一致")
    if ca_suite == "gm":
        usage = ("digital_signature", "key_encipherment") if kind == "platform" else ("digital_signature", "content_commitment")
        subject = gmcert.name(subject_cn, kind, code)
        raw_ca_subject = gmcert.subject_and_key(ca.public_bytes(serialization.Encoding.DER))[0]
        return gmcert.issue(raw_ca_subject, ca_public, ca_key_pem, subject=subject, usage=usage,
                            public_pem=public_pem, days=days, now=now, ca_key_id=certs.key_ids(ca)[0], crl_urls=urls)
    return _issue_intl(ca, ca_key_pem, _name(subject_cn, kind, code), kind, public_pem, days, now, urls)


def _issue_intl(ca: x509.Certificate, ca_key_pem: bytes, subject: x509.Name, kind: str, public_pem: bytes,
                days: int, now: datetime | None, urls: Sequence[str]) -> bytes:
    usage = _usage(sign=True, agree=True) if kind == "platform" else _usage(sign=True, commit=True)
    cert = _with_points(_builder(subject, ca.subject, keys.load_ec_public(public_pem), days, now)
                        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                        .add_extension(usage, critical=True)
                        .add_extension(_authority_key_id(ca), critical=False), urls
                        ).sign(keys.load_ec_private(ca_key_pem), hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM)


def _with_points(builder: x509.CertificateBuilder, urls: Sequence[str]) -> x509.CertificateBuilder:
    """cRLDistributionPoints: one point whose fullName lists ``urls`` (places of one CRL), when any."""
    if not urls:
        return builder
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(u) for u in urls]
    point = x509.DistributionPoint(full_name=names, relative_name=None, reasons=None, crl_issuer=None)
    return builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)


def _authority_key_id(ca: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:  # a CA certificate without SKI (made elsewhere): the key's SHA-1
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(keys.load_ec_public(certs.public_key(ca)[1]))
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def cert_info(pem: bytes) -> CertInfo:
    """What a certificate says, without checking it (see ``TrustList.validate``)."""
    cert = load(pem)
    suite, public = certs.public_key(cert)
    return CertInfo(
        subject_cn=certs.attribute(cert.subject, NameOID.COMMON_NAME) or "",
        kind=certs.attribute(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) or "",
        uscc=certs.attribute(cert.subject, NameOID.SERIAL_NUMBER),
        issuer_cn=certs.attribute(cert.issuer, NameOID.COMMON_NAME) or "",
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        fingerprint=certs.fingerprint(cert), public_pem=public, suite=suite,
    )


class TrustList:
    """The CAs a platform recognises (intl and gm mixed, the anchors of every path), the
    intermediate CAs it knows (untrusted until a path joins them to an anchor), and CRLs."""

    def __init__(self, ca_pems: list[bytes], crls: list[bytes] | None = None, *,
                 intermediates: list[bytes] | None = None) -> None:
        self.cas = [load(pem) for pem in ca_pems]
        for ca in self.cas:
            if not certs.is_ca(ca):
                raise CertificateError("a trust-list entry is not a CA certificate", field="trust",
                                       message_zh="信任列表中的证书不是 CA 证书")
        self.intermediates = [c for pem in intermediates or [] for c in certs.load_all(pem, field="intermediates")]
        self.revocations, self.pending_crls = crl.sort(crls or [], [*self.cas, *self.intermediates])

    def path(self, cert_pem: bytes, at: datetime, *, checked_at: datetime | None = None,
             chain: Sequence[bytes] = ()) -> tuple[list[x509.Certificate], list[str]]:
        """The checked certification path of a certificate (itself first, the anchor last) at ``at``
        and the revocations on it dated after ``at``, or ``CertificateError`` naming the certificate
        that fails and why. ``at`` must be a trusted time (the platform's receipt or sign-in time,
        a time the platform's seal attests, the verification time: ADR 0019), never a signer's
        claim. ``chain``: intermediate CA certificates that came with it (PEM, any order). Every CRL
        on the path must be current at ``checked_at`` too (the verification time; default ``at``)."""
        holder, bundled = load(cert_pem), certs.load_all(cert_pem, field="certificate")[1:]
        if certs.is_ca(holder):
            raise CertificateError("a CA certificate cannot sign documents or sign in", field="certificate",
                                   message_zh="CA 证书不能用于签名或登录")
        extra = [c for pem in chain for c in certs.load_all(pem)]
        if len(bundled) + len(extra) > ca_chain.MAX_CHAIN:
            raise CertificateError(f"chain: at most {ca_chain.MAX_CHAIN} certificates may come with a certificate",
                                   field="chain", message_zh=f"chain：随证书提交的证书链至多 {ca_chain.MAX_CHAIN} 张")
        pool = ca_chain.pool_of(self.cas, bundled, extra, self.intermediates)
        found = ca_chain.validate(holder, self.cas, pool, at, checked_at or at,
                                  ca_chain.crl_check(self.revocations, self.pending_crls))
        usage = certs.key_usage(holder)
        if usage is None or not usage.digital_signature:
            raise CertificateError("the certificate's key usage does not allow digital signatures",
                                   field="certificate", message_zh="证书密钥用法不允许数字签名")
        certs.check_signing_purpose(holder)
        return found

    def validate(self, cert_pem: bytes, at: datetime, *, checked_at: datetime | None = None,
                 chain: Sequence[bytes] = ()) -> CertInfo:
        """The certificate's facts at the trusted time ``at`` once its path is checked (``path``)."""
        found, later = self.path(cert_pem, at, checked_at=checked_at, chain=chain)
        return replace(cert_info(certs.pem(found[0])), path=tuple(ca_chain.cn(c) for c in found[1:]),
                       revoked_later=tuple(later))

"""Certificate revocation lists (RFC 5280 §5), one per CA, in both suites.

intl CRLs are built by ``cryptography``'s ``CertificateRevocationListBuilder``; gm CRLs by our
DER code (tbsCertList v2 signed SM3withSM2), with CRLNumber and authorityKeyIdentifier and a
CRLReason per entry. Any CRL (an OpenSSL-made one too) is read by ``cryptography`` and its
signature checked against the CA that issued it.

A certificate revoked before the time its path is checked at is refused, whatever the reason
(电子签名法 第13条: a signature is reliable only while its creation data is the signer's alone;
第15条: compromised creation data must no longer be used); one revoked after that time passes
and the revocation is reported. That time is a trusted one (ADR 0019: the platform's receipt
time, the time its seal attests, or the verification time), never the signer's claimed
``signed_at``. The effective revocation time is the earlier of the revocation date and the
entry's invalidityDate (when the key is known to have been compromised since).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID

from tenderhub.core.shared.clock import as_utc, beijing
from tenderhub.crypto import certs, der, gmcert, keys, sm2
from tenderhub.crypto.errors import CertificateError

REASON_CODES = {"unspecified": 0, "keyCompromise": 1, "cACompromise": 2, "affiliationChanged": 3,
                "superseded": 4, "cessationOfOperation": 5, "certificateHold": 6,
                "privilegeWithdrawn": 9, "aACompromise": 10}
REASONS = tuple(REASON_CODES)
CRL_NUMBER, CRL_REASON = "2.5.29.20", "2.5.29.21"
ENTRY_PROCESSED = {CRLEntryExtensionOID.CRL_REASON, CRLEntryExtensionOID.INVALIDITY_DATE}


@dataclass(frozen=True)
class Revoked:
    serial: int
    revoked_at: datetime
    reason: str = "unspecified"


def check_reason(reason: str) -> str:
    if reason not in REASON_CODES:
        raise CertificateError(f"unknown revocation reason {reason!r}: use one of {', '.join(REASONS)}",
                               field="reason", message_zh="未知的吊销原因")
    return reason


def make(ca_cert_pem: bytes, ca_key_pem: bytes, revoked: list[Revoked], *, number: int, now: datetime,
         days: int = 7) -> bytes:
    """A CRL PEM signed by the CA, valid from ``now`` for ``days`` (nextUpdate)."""
    ca = certs.load(ca_cert_pem)
    suite, public = certs.public_key(ca)
    if keys.public_of(suite, ca_key_pem) != public:
        raise CertificateError("the key does not belong to the CA certificate", field="key",
                               message_zh="私钥与 CA 证书不匹配")
    this = as_utc(now)
    if suite == "gm":
        return _make_gm(ca, ca_key_pem, revoked, number, this, this + timedelta(days=days))
    return _make_intl(ca, ca_key_pem, revoked, number, this, this + timedelta(days=days))


def _make_intl(ca: x509.Certificate, key_pem: bytes, revoked: list[Revoked], number: int,
               this: datetime, following: datetime) -> bytes:
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
               .last_update(this).next_update(following)
               .add_extension(x509.CRLNumber(number), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False))
    for entry in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(entry.serial).revocation_date(as_utc(entry.revoked_at))
            .add_extension(x509.CRLReason(x509.ReasonFlags(check_reason(entry.reason))), critical=False).build())
    crl = builder.sign(keys.load_ec_private(key_pem), hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.PEM)


def _make_gm(ca: x509.Certificate, key_pem: bytes, revoked: list[Revoked], number: int,
             this: datetime, following: datetime) -> bytes:
    issuer, _ = gmcert.subject_and_key(ca.public_bytes(serialization.Encoding.DER))
    entries = [der.seq(der.integer(e.serial), der.time(e.revoked_at), der.seq(gmcert.extension(
        CRL_REASON, False, der.tlv(der.ENUMERATED, bytes([REASON_CODES[check_reason(e.reason)]]))))) for e in revoked]
    aki = gmcert.extension(gmcert.AKI, False, der.seq(der.tlv(0x80, gmcert.key_id(certs.public_key(ca)[1]))))
    extensions = der.explicit(0, der.seq(gmcert.extension(CRL_NUMBER, False, der.integer(number)), aki))
    body = der.seq(der.integer(1), gmcert.SIGNATURE_ALGORITHM, issuer, der.time(this), der.time(following),
                   der.seq(*entries) if entries else b"", extensions)
    return sm2.pem("X509 CRL", gmcert.signed(body, key_pem))


def load(data: bytes) -> x509.CertificateRevocationList:
    """A complete CRL: a delta CRL, or a CRL or entry with a critical extension we do not process
    (issuingDistributionPoint: a partitioned or indirect CRL; certificateIssuer), is refused: it
    cannot say that a certificate missing from it is not revoked (RFC 5280 §5.2, §6.3.3)."""
    try:
        if b"-----BEGIN X509 CRL-----" in data:
            found = x509.load_pem_x509_crl(data)
        else:
            found = x509.load_der_x509_crl(data)
        critical = [e.oid for e in found.extensions if e.critical]
        critical += [e.oid for entry in found for e in entry.extensions if e.critical and e.oid not in ENTRY_PROCESSED]
    except (ValueError, x509.DuplicateExtension):
        raise CertificateError("not a readable CRL (PEM or DER)", field="crl", message_zh="无法读取证书吊销列表") from None
    if ExtensionOID.DELTA_CRL_INDICATOR in critical:
        raise CertificateError(f"the CRL of {found.issuer.rfc4514_string()} is a delta CRL: only complete CRLs are supported",
                               field="crl", message_zh="不支持增量证书吊销列表（delta CRL），请使用完整的吊销列表")
    if critical:
        oid = critical[0].dotted_string
        raise CertificateError(f"the CRL of {found.issuer.rfc4514_string()} has a critical extension this platform does not "
                               f"process ({oid}): it may not be a complete CRL", field="crl",
                               message_zh=f"证书吊销列表含有本平台不处理的关键扩展（{oid}），可能不是完整的吊销列表")
    return found


@dataclass(frozen=True)
class RevocationList:
    """The checked CRL of one trusted CA."""

    issuer: x509.Certificate
    crl: x509.CertificateRevocationList

    def check(self, serial: int, subject_cn: str, at: datetime, checked_at: datetime | None = None) -> str | None:
        """Refuse ``serial`` (issued by ``issuer``) revoked at or before ``at`` (the trusted time); the CRL
        must be current at ``checked_at`` too. A revocation after ``at``: its description (the certificate passes)."""
        following = self.crl.next_update_utc
        if following is not None and max(as_utc(at), as_utc(checked_at or at)) > following:
            raise stale_error(subject_cn, self.issuer, following)
        entry = self.crl.get_revoked_certificate_by_serial_number(serial)
        if entry is None:
            return None
        reason, since = reason_of(entry), effective(entry)
        if as_utc(at) >= since:
            raise revoked_error(subject_cn, serial, since, reason)
        return f"{subject_cn!r} (serial {serial:x}) was revoked later, at {beijing(since):%Y-%m-%d %H:%M:%S} Beijing time, reason {reason}"


def effective(entry: x509.RevokedCertificate) -> datetime:
    """From when a revocation counts: its date, or the invalidityDate when that is earlier."""
    try:
        invalid = entry.extensions.get_extension_for_class(x509.InvalidityDate).value.invalidity_date_utc
    except x509.ExtensionNotFound:
        return entry.revocation_date_utc
    return min(invalid, entry.revocation_date_utc)


def newest(lists: list[RevocationList], ca: x509.Certificate) -> RevocationList | None:
    """The CA's CRL issued last (CRLs are cumulative: the newest one decides), if any."""
    mine = [r for r in lists if certs.same_ca(r.issuer, ca)]
    return max(mine, key=lambda r: r.crl.last_update_utc) if mine else None


def stale_error(cn: str, ca: x509.Certificate, following: datetime) -> CertificateError:
    """Fail closed: past the newest CRL's nextUpdate the certificate's status is unknown."""
    stamp = f"{beijing(following):%Y-%m-%d %H:%M:%S}"
    issuer = ca.subject.rfc4514_string()
    return CertificateError(
        f"the revocation status of {cn!r} is unknown: the newest CRL of {issuer} expired at {stamp} Beijing time "
        "(nextUpdate); load a current CRL (电子签名法 第13条)",
        message_zh=f"无法确认证书 {cn} 是否被吊销：{issuer} 的证书吊销列表已于北京时间 {stamp} 过期，请更新吊销列表（电子签名法 第13条）",
        field="crl")


def reason_of(entry: x509.RevokedCertificate) -> str:
    try:
        return str(entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.value)
    except x509.ExtensionNotFound:
        return "unspecified"


def revoked_error(cn: str, serial: int, when: datetime, reason: str) -> CertificateError:
    law = "电子签名法 第13、15条" if reason == "keyCompromise" else "电子签名法 第13条"
    stamp = f"{beijing(when):%Y-%m-%d %H:%M:%S}"
    return CertificateError(
        f"the certificate {cn!r} (serial {serial:x}) was revoked at {stamp} Beijing time, reason {reason} ({law})",
        message_zh=f"证书 {cn}（序列号 {serial:x}）已于北京时间 {stamp} 被吊销，原因：{reason}（{law}）",
        field="certificate")


def signed_by(found: x509.CertificateRevocationList, ca: x509.Certificate) -> bool:
    """True when ``ca`` issued the CRL: same name, its signature, and key usage cRLSign."""
    if found.issuer != ca.subject:
        return False
    usage = certs.key_usage(ca)
    signed = certs.verify_signed(found.signature_algorithm_oid.dotted_string, found.tbs_certlist_bytes,
                                 found.signature, certs.public_key(ca)[1])
    return signed and (usage is None or usage.crl_sign)


def checked(data: bytes, cas: list[x509.Certificate]) -> RevocationList:
    """The CRL, once its signature is verified against the CA (of ``cas``) that issued it."""
    return _checked(load(data), cas)


def _checked(found: x509.CertificateRevocationList, cas: list[x509.Certificate]) -> RevocationList:
    for ca in cas:
        if signed_by(found, ca):
            return RevocationList(ca, found)
    raise CertificateError("the CRL is not signed by a trusted CA", field="crl",
                           message_zh="证书吊销列表不是受信任的 CA 签发的")


def sort(datas: list[bytes], cas: list[x509.Certificate]) -> tuple[list[RevocationList], list[x509.CertificateRevocationList]]:
    """The CRLs of CAs named in ``cas`` (trust anchors, listed intermediates), each verified now, and
    the CRLs of CAs not known yet (intermediates that come with a chain), verified on use (``of_path_ca``)."""
    known, pending = [], []
    for data in datas:
        found = load(data)
        if any(claims(found, ca) for ca in cas):
            known.append(_checked(found, cas))
        else:
            pending.append(found)
    return known, pending


def claims(found: x509.CertificateRevocationList, ca: x509.Certificate) -> bool:
    """True when the CRL says it is ``ca``'s: its issuer name and, when both are present, its
    authorityKeyIdentifier is the CA's subjectKeyIdentifier. A CA renewed with a new key under the
    same name has two CRLs: each names its key, and neither is taken for (or refuses) the other."""
    if found.issuer != ca.subject:
        return False
    try:
        aki = found.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except x509.ExtensionNotFound:
        aki = None
    ski = certs.key_ids(ca)[0]
    return aki is None or ski is None or aki == ski


def of_path_ca(known: list[RevocationList], pending: list[x509.CertificateRevocationList],
               ca: x509.Certificate) -> RevocationList | None:
    """The newest CRL of a CA on a certification path. A pending CRL that claims this CA (its name,
    and its key identifier when it names one) must be signed by it."""
    mine = list(known)  # ``newest`` keeps this CA's own
    for found in pending:
        if not claims(found, ca):
            continue
        if not signed_by(found, ca):
            raise CertificateError(f"a CRL names {ca.subject.rfc4514_string()} as its issuer but is not signed by it",
                                   field="crl", message_zh=f"证书吊销列表声称由 {ca.subject.rfc4514_string()} 签发，但签名不符")
        mine.append(RevocationList(ca, found))
    return newest(mine, ca)

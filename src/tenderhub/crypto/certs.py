"""Reading certificates and checking signatures on signed X.509 structures of either suite.

``cryptography`` parses any X.509 certificate or CRL (an SM2 one too: it only refuses the SM2
key and signature), so names, validity and extensions come from it; the public key is taken
from the SubjectPublicKeyInfo DER and signatures are checked per algorithm: ECDSA with
SHA-256/384 (intl, ``cryptography``) or SM3withSM2 (gm, ``sm2``): we sign with the user id
1234567812345678 (GM/T 0009) and accept it or the empty id (``openssl req``/``ca`` of OpenSSL
3.0 without ``-sigopt distid:…``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from tenderhub.crypto import keys, sm2
from tenderhub.crypto.errors import CertificateError, CryptoError
from tenderhub.crypto.gmcert import SM3_WITH_SM2, subject_and_key

SM2_IDS = (sm2.DEFAULT_ID, b"")  # GM/T 0009's default; the empty id OpenSSL 3.0 uses by default
# extendedKeyUsage purposes of a person's or company's signing key (when the extension is present):
# any, clientAuth (sign-in), emailProtection (S/MIME signing), documentSigning (RFC 9336)
SIGNING_PURPOSES = {"2.5.29.37.0", "1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.36"}
ECDSA_HASHES = {"1.2.840.10045.4.3.2": hashes.SHA256, "1.2.840.10045.4.3.3": hashes.SHA384}


def load(pem: bytes) -> x509.Certificate:
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise CertificateError("not a readable PEM certificate", field="certificate") from None
    return readable(cert, "certificate")


def load_all(data: bytes, *, field: str = "chain") -> list[x509.Certificate]:
    """Every certificate of a PEM bundle (one or more ``CERTIFICATE`` blocks), in order."""
    if not data.strip():
        return []
    try:
        found = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateError(f"{field}: not readable PEM certificates", field=field,
                               message_zh=f"{field}：无法读取 PEM 证书") from None
    return [readable(cert, field) for cert in found]


def readable(cert: x509.Certificate, field: str) -> x509.Certificate:
    """``cert`` once its names and extensions parse: ``cryptography`` reads them lazily and raises
    ``ValueError`` (or ``DuplicateExtension``) on first use, which would leak as a 500."""
    try:
        _ = cert.subject, cert.issuer, cert.extensions
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as error:
        prefix = "" if field == "certificate" else f"{field}: "
        raise CertificateError(f"{prefix}a certificate with an unreadable extension or name ({error})", field=field,
                               message_zh=f"{prefix}证书的扩展或名称无法解析") from None
    return cert


def chain_field(value: object, field: str = "chain") -> list[bytes]:
    """An API's optional ``chain`` next to a certificate: a list of PEM strings or one string of
    PEM blocks (absent: none); each must be a readable certificate."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or any(not isinstance(v, str) for v in items):
        raise CertificateError(f"{field}: a list of PEM certificates is expected", field=field,
                               message_zh=f"{field}：须为 PEM 证书列表")
    return [pem(c) for v in items for c in load_all(v.encode(), field=field)]


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.PEM)


def fingerprint(cert: x509.Certificate) -> str:
    """The SHA-256 of the certificate's DER, hex: how the trust list and its CRLs name a CA."""
    return cert.fingerprint(hashes.SHA256()).hex()


def public_key(cert: x509.Certificate) -> tuple[str, bytes]:
    """The (suite, public key PEM) of a certificate: P-256 is intl, SM2 is gm."""
    try:
        spki = subject_and_key(cert.public_bytes(Encoding.DER))[1]
        pem = sm2.pem("PUBLIC KEY", spki)
        suite = keys.suite_of(pem)
    except (CryptoError, IndexError):
        raise CertificateError("the certificate key is neither P-256 (intl) nor SM2 (gm)",
                               field="certificate", message_zh="证书公钥既不是 P-256 也不是 SM2") from None
    if suite == "gm":
        return suite, sm2.public_pem(sm2.load_public(pem))
    return suite, keys.public_to_pem(keys.load_ec_public(pem))


def verify_signed(algorithm_oid: str, body: bytes, signature: bytes, issuer_public_pem: bytes) -> bool:
    """True when ``signature`` over ``body`` (a tbsCertificate or tbsCertList) is the issuer's."""
    suite = keys.suite_of(issuer_public_pem)
    if algorithm_oid == SM3_WITH_SM2:
        return suite == "gm" and any(sm2.verify_with_id(issuer_public_pem, body, signature, uid) for uid in SM2_IDS)
    algorithm = ECDSA_HASHES.get(algorithm_oid)
    if algorithm is None or suite != "intl":
        return False
    try:
        keys.load_ec_public(issuer_public_pem).verify(signature, body, ec.ECDSA(algorithm()))
    except InvalidSignature:
        return False
    return True


def issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    if cert.issuer != ca.subject:
        return False
    return verify_signed(cert.signature_algorithm_oid.dotted_string, cert.tbs_certificate_bytes,
                         cert.signature, public_key(ca)[1])


def crl_url(value: str, field: str = "crl_url") -> str:
    """A CRL distribution point URL a certificate may name: http or https with a host, ASCII
    (an IA5String, RFC 5280 §4.2.1.13): the hub fetches only these (``hub/crlfetch.py``)."""
    if not _http_with_host(value):
        raise CertificateError(f"{field}: {value!r} is not an http(s) URL with a host (RFC 5280 §4.2.1.13)", field=field,
                               message_zh=f"{field}：{value!r} 不是含主机名的 http(s) 地址")
    return value


def _http_with_host(value: str) -> bool:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. a malformed [IPv6] host
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host) and value.isascii() and not any(c.isspace() for c in value)


def crl_urls(cert: x509.Certificate) -> list[str]:
    """The URLs of the cRLDistributionPoints extension: where the CRL covering ``cert`` (issued by
    ``cert``'s issuer) is published. Points limited to some reasons or with a cRLIssuer (partitioned
    or indirect CRLs, which ``crl.load`` refuses) are left out; every URI scheme is kept (the caller judges)."""
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [name.value for point in points if point.reasons is None and point.crl_issuer is None
            for name in point.full_name or [] if isinstance(name, x509.UniformResourceIdentifier)]


def attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else None


def key_usage(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def check_signing_purpose(cert: x509.Certificate) -> None:
    """A holder certificate whose extendedKeyUsage names purposes must name one of ours: a TLS
    server certificate (serverAuth only) of a trusted CA is a web server's key, not a signing key."""
    try:
        purposes = {oid.dotted_string for oid in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value}
    except x509.ExtensionNotFound:
        return
    if not purposes & SIGNING_PURPOSES:
        raise CertificateError(f"the certificate's extendedKeyUsage ({', '.join(sorted(purposes))}) allows neither "
                               "signing documents nor signing in (clientAuth, emailProtection, documentSigning or any)",
                               field="certificate", message_zh="证书的扩展密钥用法不允许签署文件或登录")


def basic_constraints(cert: x509.Certificate) -> x509.BasicConstraints | None:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return None


def key_ids(cert: x509.Certificate) -> tuple[bytes | None, bytes | None]:
    """(subjectKeyIdentifier, authorityKeyIdentifier keyIdentifier), each when present."""
    try:
        ski: bytes | None = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        ski = None
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except x509.ExtensionNotFound:
        aki = None
    return ski, aki


def same_ca(a: x509.Certificate, b: x509.Certificate) -> bool:
    """One CA: the same name and key (a re-issued CA certificate still signs the same CRLs)."""
    return a == b or (a.subject == b.subject and public_key(a) == public_key(b))


def is_ca(cert: x509.Certificate) -> bool:
    try:
        ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False
    usage = key_usage(cert)
    return ca and (usage is None or usage.key_cert_sign)

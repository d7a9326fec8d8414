"""Builders for certification-path tests: a root → intermediate → holder PKI in either suite,
and raw certificates with any issuer, key identifiers and constraints (what a broken or
hostile CA would make), signed by our own code in both suites."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from crypto_builders import NOW, uscc
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization

from tenderhub.crypto import der, gmcert, keys, sm2, x509

START = NOW - timedelta(days=1)


@dataclass(frozen=True)
class Pki:
    suite: str
    root: tuple[bytes, bytes]
    sub: tuple[bytes, bytes]
    holder: bytes
    holder_key: bytes

    @property
    def trust(self) -> x509.TrustList:
        return x509.TrustList([self.root[0]])


def holder_of(ca: tuple[bytes, bytes], suite: str, *, cn: str = "北京某建设有限公司", days: int = 365) -> tuple[bytes, bytes]:
    pair = keys.generate(suite)
    cert = x509.issue(*ca, subject_cn=cn, kind="company", uscc=uscc(), public_pem=pair.public_pem, days=days, now=START)
    return cert, pair.private_pem


def pki(suite: str, *, sub_days: int = 1825, root_path_length: int | None = None) -> Pki:
    root = x509.init_ca(f"{suite} Root CA", suite, days=3650, now=START, path_length=root_path_length)
    sub = x509.issue_ca(*root, f"{suite} Sub CA", days=sub_days, now=START)
    cert, key = holder_of(sub, suite)
    return Pki(suite, root, sub, cert, key)


def serial(cert_pem: bytes) -> int:
    return int(x509.cert_info(cert_pem).serial, 16)


def raw(suite: str, *, subject_cn: str, issuer_cn: str, public_pem: bytes, signer_key: bytes, ca: bool,
        path_length: int | None = None, aki: bytes | None = None, cert_sign: bool = True, days: int = 365) -> bytes:
    """A certificate exactly as asked, no check made: subject and issuer names (CN only), the
    authorityKeyIdentifier ``aki`` (None: none), signed with ``signer_key``."""
    if suite == "gm":
        return _raw_gm(subject_cn, issuer_cn, public_pem, signer_key, ca, path_length, aki, cert_sign, days)
    key = keys.load_ec_public(public_pem)
    usage = cx509.KeyUsage(digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                           data_encipherment=False, key_agreement=False, key_cert_sign=ca and cert_sign,
                           crl_sign=ca, encipher_only=False, decipher_only=False)
    builder = (cx509.CertificateBuilder().subject_name(_name(subject_cn)).issuer_name(_name(issuer_cn))
               .public_key(key).serial_number(cx509.random_serial_number())
               .not_valid_before(START).not_valid_after(START + timedelta(days=days))
               .add_extension(cx509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
               .add_extension(usage, critical=True)
               .add_extension(cx509.SubjectKeyIdentifier.from_public_key(key), critical=False))
    if aki is not None:
        builder = builder.add_extension(cx509.AuthorityKeyIdentifier(aki, None, None), critical=False)
    cert = builder.sign(keys.load_ec_private(signer_key), hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM)


def _raw_gm(subject_cn: str, issuer_cn: str, public_pem: bytes, signer_key: bytes, ca: bool,
            path_length: int | None, aki: bytes | None, cert_sign: bool, days: int) -> bytes:
    usage = (("key_cert_sign", "crl_sign") if cert_sign else ("crl_sign",)) if ca else ("digital_signature",)
    extensions = [gmcert.basic_constraints(ca, path_length), gmcert.key_usage(*usage), *gmcert.key_ids(public_pem, None)]
    if aki is not None:
        extensions.append(gmcert.extension(gmcert.AKI, False, der.seq(der.tlv(0x80, aki))))
    body = gmcert.tbs(issuer=gmcert.name(issuer_cn), subject=gmcert.name(subject_cn), public_pem=public_pem,
                      period=gmcert.validity(days, START + timedelta(minutes=5)), extensions=extensions)
    return sm2.pem("CERTIFICATE", gmcert.signed(body, signer_key))


def _name(cn: str) -> cx509.Name:
    return cx509.Name([cx509.NameAttribute(cx509.oid.NameOID.COMMON_NAME, cn)])


def key_id(cert_pem: bytes) -> bytes:
    found = x509.load(cert_pem).extensions.get_extension_for_class(cx509.SubjectKeyIdentifier)
    return found.value.digest

"""Review of certification paths (crypto/chain.py, crl.py): hostile input is refused with a
clear ``CertificateError``, never an exception that leaks as a 500; a CRL we cannot read as a
complete list (a delta CRL, a partitioned or indirect one) is refused instead of deciding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from chain_builders import START, holder_of, pki, serial
from crypto_builders import NOW
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtensionOID

from tenderhub.crypto import certs, crl, keys, x509
from tenderhub.crypto.errors import CertificateError

P = pki("intl")


def malformed(subject: cx509.Name, issuer: cx509.Name) -> bytes:
    """A certificate whose basicConstraints value is not DER: ``cryptography`` loads it and
    raises ``ValueError`` only when its extensions are read."""
    pair = keys.generate("intl")
    cert = (cx509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(keys.load_ec_public(pair.public_pem)).serial_number(7)
            .not_valid_before(START).not_valid_after(START + timedelta(days=30))
            .add_extension(cx509.UnrecognizedExtension(ExtensionOID.BASIC_CONSTRAINTS, b"\x01\x02\x03"), critical=True)
            .sign(keys.load_ec_private(pair.private_pem), hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def test_a_holder_certificate_with_an_unreadable_extension_is_refused_not_crashed():
    bad = malformed(x509.load(P.holder).subject, x509.load(P.sub[0]).subject)
    with pytest.raises(CertificateError, match="unreadable extension") as caught:
        P.trust.validate(bad, NOW, chain=[P.sub[0]])
    assert caught.value.field == "certificate"


def test_a_chain_certificate_with_an_unreadable_extension_is_refused_not_crashed():
    look_alike = malformed(x509.load(P.sub[0]).subject, x509.load(P.root[0]).subject)
    with pytest.raises(CertificateError, match=r"chain: .*unreadable extension") as caught:
        P.trust.validate(P.holder, NOW, chain=[look_alike, P.sub[0]])
    assert caught.value.field == "chain"


def test_an_api_chain_field_with_an_unreadable_certificate_is_refused():
    look_alike = malformed(x509.load(P.sub[0]).subject, x509.load(P.root[0]).subject)
    with pytest.raises(CertificateError, match="unreadable extension"):
        certs.chain_field([look_alike.decode()])


def _crl(ca: tuple[bytes, bytes], revoked: list[int], *, at, extension: cx509.ExtensionType | None = None,
         critical: bool = True) -> bytes:
    ca_cert = x509.load(ca[0])
    builder = (cx509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(at).next_update(at + timedelta(days=7))
               .add_extension(cx509.CRLNumber(2), critical=False))
    if extension is not None:
        builder = builder.add_extension(extension, critical=critical)
    for number in revoked:
        builder = builder.add_revoked_certificate(cx509.RevokedCertificateBuilder().serial_number(number)
                                                  .revocation_date(at).build())
    return builder.sign(keys.load_ec_private(ca[1]), hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def test_a_delta_crl_does_not_hide_a_revocation_of_its_base_crl():
    """A delta CRL lists only the changes since its base: taken as the CA's newest complete
    CRL it would un-revoke every certificate of the base. It is refused (not supported)."""
    base = crl.make(*P.sub, [crl.Revoked(serial(P.holder), NOW - timedelta(hours=2), "keyCompromise")],
                    number=1, now=NOW - timedelta(hours=2))
    delta = _crl(P.sub, [], at=NOW - timedelta(hours=1), extension=cx509.DeltaCRLIndicator(1))
    with pytest.raises(CertificateError, match="delta CRL") as caught:
        x509.TrustList([P.root[0]], [base, delta], intermediates=[P.sub[0]])
    assert caught.value.field == "crl"


def test_a_delta_crl_of_an_intermediate_not_known_yet_is_refused_at_load_too():
    """Kept for an intermediate that comes with a chain (``crl.sort``'s pending CRLs), it would
    otherwise decide on the path: before this review the revoked holder was accepted."""
    base = crl.make(*P.sub, [crl.Revoked(serial(P.holder), NOW - timedelta(hours=2), "keyCompromise")],
                    number=1, now=NOW - timedelta(hours=2))
    delta = _crl(P.sub, [], at=NOW - timedelta(hours=1), extension=cx509.DeltaCRLIndicator(1))
    with pytest.raises(CertificateError, match="delta CRL"):
        x509.TrustList([P.root[0]], [base, delta])
    with pytest.raises(CertificateError, match="revoked"):
        x509.TrustList([P.root[0]], [base]).validate(P.holder, NOW, chain=[P.sub[0]])


def test_a_crl_with_a_critical_extension_we_do_not_process_is_refused():
    """issuingDistributionPoint (a partitioned CRL: only CA certificates, only some reasons) is
    critical: a CRL that covers part of the CA's certificates cannot say that one is not revoked."""
    only_cas = cx509.IssuingDistributionPoint(full_name=None, relative_name=None, only_contains_user_certs=False,
                                              only_contains_ca_certs=True, only_some_reasons=None,
                                              indirect_crl=False, only_contains_attribute_certs=False)
    partial = _crl(P.sub, [], at=NOW - timedelta(hours=1), extension=only_cas)
    with pytest.raises(CertificateError, match="critical extension") as caught:
        x509.TrustList([P.root[0]], [partial], intermediates=[P.sub[0]])
    assert caught.value.field == "crl"


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_the_crls_of_a_re_keyed_intermediate_of_the_same_name_do_not_refuse_each_others_holders(suite):
    """A CA renews its intermediate with a new key under the same name (CFCA, BJCA do): the old
    key's CRL and the new key's CRL both sit in trust/; each decides for its own key's holders
    (its authorityKeyIdentifier names the key), neither refuses the other's."""
    p = pki(suite)
    renewed = x509.issue_ca(*p.root, f"{suite} Sub CA", days=1825, now=START)
    new_holder, _ = holder_of(renewed, suite)
    old_crl = crl.make(*p.sub, [], number=1, now=NOW - timedelta(hours=1))
    new_crl = crl.make(*renewed, [crl.Revoked(serial(new_holder), NOW - timedelta(hours=1), "keyCompromise")],
                       number=1, now=NOW - timedelta(hours=1))
    trust = x509.TrustList([p.root[0]], [old_crl, new_crl])
    assert trust.validate(p.holder, NOW, chain=[p.sub[0]]).issuer_cn == f"{suite} Sub CA"
    with pytest.raises(CertificateError, match="revoked"):
        trust.validate(new_holder, NOW, chain=[renewed[0]])


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_a_crl_of_a_retired_key_of_a_listed_ca_name_does_not_break_the_trust_list(suite):
    p = pki(suite)
    renewed = x509.issue_ca(*p.root, f"{suite} Sub CA", days=1825, now=START)
    old_crl = crl.make(*p.sub, [], number=1, now=NOW - timedelta(hours=1))
    trust = x509.TrustList([p.root[0]], [old_crl], intermediates=[renewed[0]])
    new_holder, _ = holder_of(renewed, suite)
    assert trust.validate(new_holder, NOW).issuer_cn == f"{suite} Sub CA"
    assert trust.validate(p.holder, NOW, chain=[p.sub[0]]).issuer_cn == f"{suite} Sub CA"


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_a_crl_of_another_key_of_the_same_name_is_not_the_intermediates_but_one_without_a_key_id_must_verify(suite):
    p = pki(suite)
    impostor = x509.init_ca(f"{suite} Sub CA", suite, days=3650, now=START)
    other = crl.make(*impostor, [crl.Revoked(serial(p.holder), NOW - timedelta(hours=1), "keyCompromise")],
                     number=9, now=NOW - timedelta(hours=1))  # names the impostor's key: not the intermediate's CRL
    assert x509.TrustList([p.root[0]], [other]).validate(p.holder, NOW, chain=[p.sub[0]]).issuer_cn == f"{suite} Sub CA"
    if suite == "intl":
        unnamed = _crl(impostor, [], at=NOW - timedelta(hours=1))  # no key identifier: it claims the name alone
        with pytest.raises(CertificateError, match=r"CRL names .* but is not signed by it"):
            x509.TrustList([p.root[0]], [unnamed]).validate(p.holder, NOW, chain=[p.sub[0]])


def holder_with_usages(*usages: cx509.ObjectIdentifier, critical: bool = False) -> bytes:
    """A company certificate under the intermediate with an extendedKeyUsage of ``usages``."""
    pair, sub = keys.generate("intl"), x509.load(P.sub[0])
    holder = x509.load(P.holder)
    cert = (cx509.CertificateBuilder().subject_name(holder.subject).issuer_name(sub.subject)
            .public_key(keys.load_ec_public(pair.public_pem)).serial_number(cx509.random_serial_number())
            .not_valid_before(START).not_valid_after(START + timedelta(days=30))
            .add_extension(cx509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(holder.extensions.get_extension_for_class(cx509.KeyUsage).value, critical=True)
            .add_extension(cx509.ExtendedKeyUsage(list(usages)), critical=critical)
            .add_extension(cx509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                sub.extensions.get_extension_for_class(cx509.SubjectKeyIdentifier).value), critical=False)
            .sign(keys.load_ec_private(P.sub[1]), hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize("critical", [False, True])
def test_a_tls_server_certificate_of_a_trusted_ca_cannot_sign_documents_or_sign_in(critical):
    """The company's web server key (extendedKeyUsage serverAuth only) is not its signing key."""
    from cryptography.x509.oid import ExtendedKeyUsageOID as Eku

    server = holder_with_usages(Eku.SERVER_AUTH, critical=critical)
    with pytest.raises(CertificateError, match="extendedKeyUsage") as caught:
        P.trust.validate(server, NOW, chain=[P.sub[0]])
    assert caught.value.field == "certificate"
    for usages in ([Eku.CLIENT_AUTH, Eku.EMAIL_PROTECTION], [Eku.ANY_EXTENDED_KEY_USAGE], [cx509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")]):
        assert P.trust.validate(holder_with_usages(*usages, critical=critical), NOW, chain=[P.sub[0]]).issuer_cn == "intl Sub CA"

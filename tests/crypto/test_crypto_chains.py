"""Certification paths root → intermediate(s) → holder in both suites (crypto/chain.py): the
intermediates come with the certificate or from the trust list's pool; each broken path is
refused naming the certificate that fails and why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from chain_builders import START, holder_of, key_id, pki, raw, serial
from crypto_builders import NOW

from tenderhub.crypto import challenge, crl, documents, keys, x509
from tenderhub.crypto.errors import CertificateError

SUITE = pytest.mark.parametrize("suite", ["intl", "gm"])
PKIS = {suite: pki(suite) for suite in ("intl", "gm")}


@SUITE
def test_a_holder_of_an_intermediate_ca_is_accepted_with_its_chain(suite):
    p = PKIS[suite]
    info = p.trust.validate(p.holder, NOW, chain=[p.sub[0]])
    assert (info.subject_cn, info.issuer_cn, info.suite) == ("北京某建设有限公司", f"{suite} Sub CA", suite)
    assert info.path == (f"{suite} Sub CA", f"{suite} Root CA")


@SUITE
def test_the_chain_may_follow_the_holder_certificate_in_one_pem_bundle(suite):
    p = PKIS[suite]
    assert p.trust.validate(p.holder + p.sub[0], NOW).path == (f"{suite} Sub CA", f"{suite} Root CA")


@SUITE
def test_an_intermediate_listed_in_the_trust_list_pool_builds_the_path(suite):
    p = PKIS[suite]
    trust = x509.TrustList([p.root[0]], intermediates=[p.sub[0]])
    assert trust.validate(p.holder, NOW).issuer_cn == f"{suite} Sub CA"


@SUITE
def test_a_listed_intermediate_is_not_trusted_by_itself(suite):
    p = PKIS[suite]
    other_root = x509.init_ca("Other Root", suite, days=3650, now=START)
    trust = x509.TrustList([other_root[0]], intermediates=[p.sub[0]])
    with pytest.raises(CertificateError, match=f"does not chain to a trusted CA: the issuer 'CN={suite} Root CA' of intermediate CA '{suite} Sub CA' is neither"):
        trust.validate(p.holder, NOW)


def test_one_trust_list_accepts_three_level_chains_of_both_suites():
    trust = x509.TrustList([PKIS["intl"].root[0], PKIS["gm"].root[0]])
    for suite, p in PKIS.items():
        assert trust.validate(p.holder, NOW, chain=[p.sub[0]]).suite == suite


@SUITE
def test_four_levels_are_accepted_when_every_path_length_allows_them(suite):
    root = x509.init_ca("Root", suite, days=3650, now=START)
    policy = x509.issue_ca(*root, "Policy CA", days=1000, now=START, path_length=1)
    issuing = x509.issue_ca(*policy, "Issuing CA", days=900, now=START, path_length=0)
    cert, _ = holder_of(issuing, suite)
    info = x509.TrustList([root[0]]).validate(cert, NOW, chain=[policy[0], issuing[0]])  # any order
    assert info.path == ("Issuing CA", "Policy CA", "Root")


@SUITE
def test_without_its_chain_the_holder_of_an_intermediate_is_refused_naming_the_missing_issuer(suite):
    p = PKIS[suite]
    with pytest.raises(CertificateError, match=f"does not chain to a trusted CA: the issuer 'CN={suite} Sub CA'"):
        p.trust.validate(p.holder, NOW)


@SUITE
def test_an_issuer_that_is_not_a_ca_is_refused(suite):
    p = PKIS[suite]
    fake = keys.generate(suite)  # an end-entity certificate of the root …
    fake_sub_cert = raw(suite, subject_cn="Fake Sub", issuer_cn=f"{suite} Root CA", public_pem=fake.public_pem,
                        signer_key=p.root[1], ca=False, aki=key_id(p.root[0]))
    cert = raw(suite, subject_cn="victim", issuer_cn="Fake Sub", public_pem=keys.generate(suite).public_pem,
               signer_key=fake.private_pem, ca=False, aki=key_id(fake_sub_cert))  # … used to sign another
    with pytest.raises(CertificateError, match=r"intermediate CA 'Fake Sub' is not a CA.*issued 'victim'") as refused:
        p.trust.validate(cert, NOW, chain=[fake_sub_cert])
    assert "不是 CA 证书" in (refused.value.message_zh or "")


@SUITE
def test_an_issuer_without_key_cert_sign_is_refused(suite):
    p = PKIS[suite]
    sub_pair = keys.generate(suite)
    sub = raw(suite, subject_cn="No Sign CA", issuer_cn=f"{suite} Root CA", public_pem=sub_pair.public_pem,
              signer_key=p.root[1], ca=True, path_length=0, cert_sign=False, aki=key_id(p.root[0]))
    holder = raw(suite, subject_cn="victim", issuer_cn="No Sign CA", public_pem=keys.generate(suite).public_pem,
                 signer_key=sub_pair.private_pem, ca=False, aki=key_id(sub))
    with pytest.raises(CertificateError, match=r"'No Sign CA' may not sign certificates.*keyCertSign"):
        p.trust.validate(holder, NOW, chain=[sub])


@SUITE
def test_a_path_longer_than_a_path_length_constraint_is_refused(suite):
    root = x509.init_ca("Root", suite, days=3650, now=START)
    sub = x509.issue_ca(*root, "Sub CA", days=1000, now=START, path_length=0)
    lower_pair = keys.generate(suite)  # Sub CA may not issue a CA: built by hand, as a careless CA would
    lower = raw(suite, subject_cn="Lower CA", issuer_cn="Sub CA", public_pem=lower_pair.public_pem,
                signer_key=sub[1], ca=True, path_length=0, aki=key_id(sub[0]))
    cert, _ = holder_of((lower, lower_pair.private_pem), suite)
    with pytest.raises(CertificateError, match=r"intermediate CA 'Sub CA' allows 0 intermediate CA\(s\) below it "
                                               r"\(pathLenConstraint\), the chain has 1"):
        x509.TrustList([root[0]]).validate(cert, NOW, chain=[sub[0], lower])


@SUITE
def test_a_root_with_path_length_zero_does_not_make_an_intermediate_trusted(suite):
    root = x509.init_ca("Zero Root", suite, days=3650, now=START, path_length=0)
    sub_pair = keys.generate(suite)
    sub = raw(suite, subject_cn="Sub CA", issuer_cn="Zero Root", public_pem=sub_pair.public_pem,
              signer_key=root[1], ca=True, path_length=0, aki=key_id(root[0]))
    cert, _ = holder_of((sub, sub_pair.private_pem), suite)
    with pytest.raises(CertificateError, match="trusted CA 'Zero Root' allows 0"):
        x509.TrustList([root[0]]).validate(cert, NOW, chain=[sub])


@SUITE
def test_issuing_an_intermediate_beyond_the_issuers_path_length_is_refused(suite):
    root = x509.init_ca("Root", suite, days=3650, now=START, path_length=1)
    with pytest.raises(CertificateError, match="pathLenConstraint is 1"):
        x509.issue_ca(*root, "Sub", days=10, now=START, path_length=1)
    sub = x509.issue_ca(*root, "Sub", days=10, now=START, path_length=0)
    with pytest.raises(CertificateError, match="pathLenConstraint is 0: it issues holder certificates only"):
        x509.issue_ca(*sub, "Lower", days=10, now=START)


@SUITE
def test_an_expired_intermediate_is_refused_though_the_holder_is_still_valid(suite):
    p = pki(suite, sub_days=30)
    with pytest.raises(CertificateError, match=f"intermediate CA certificate '{suite} Sub CA' has expired"):
        p.trust.validate(p.holder, NOW + timedelta(days=40), chain=[p.sub[0]])
    assert p.trust.validate(p.holder, NOW + timedelta(days=20), chain=[p.sub[0]]).subject_cn  # within both periods


@SUITE
@pytest.mark.parametrize("reason", ["cACompromise", "superseded"])
def test_an_intermediate_revoked_by_the_roots_crl_breaks_every_chain_under_it(suite, reason):
    p = PKIS[suite]
    revoked = crl.make(*p.root, [crl.Revoked(serial(p.sub[0]), NOW - timedelta(hours=1), reason)], number=1, now=NOW - timedelta(hours=1))
    trust = x509.TrustList([p.root[0]], [revoked])
    with pytest.raises(CertificateError, match=f"'{suite} Sub CA'.*revoked.*{reason}"):
        trust.validate(p.holder, NOW, chain=[p.sub[0]])
    before = NOW - timedelta(hours=2)  # a signature made before: cACompromise still refused, superseded accepted
    if reason == "cACompromise":
        with pytest.raises(CertificateError, match="revoked"):
            trust.validate(p.holder, before, checked_at=NOW, chain=[p.sub[0]])
    else:
        assert trust.validate(p.holder, before, checked_at=NOW, chain=[p.sub[0]]).subject_cn


@SUITE
def test_the_intermediates_own_crl_revokes_its_holder_even_when_the_intermediate_came_with_the_chain(suite):
    p = pki(suite)
    made = crl.make(*p.sub, [crl.Revoked(serial(p.holder), NOW - timedelta(hours=1), "keyCompromise")],
                    number=1, now=NOW - timedelta(hours=1))
    trust = x509.TrustList([p.root[0]], [made])  # the CRL's issuer is not listed: checked once on the path
    with pytest.raises(CertificateError, match=r"北京某建设有限公司.*revoked.*keyCompromise"):
        trust.validate(p.holder, NOW, chain=[p.sub[0]])
    assert x509.TrustList([p.root[0]], [made]).validate(holder_of(p.sub, suite)[0], NOW, chain=[p.sub[0]]).subject_cn


@SUITE
def test_a_stale_crl_of_an_intermediate_makes_its_holders_status_unknown(suite):
    p = PKIS[suite]
    made = crl.make(*p.sub, [], number=1, now=NOW - timedelta(days=2), days=1)
    with pytest.raises(CertificateError, match=f"newest CRL of CN={suite} Sub CA expired.*nextUpdate"):
        x509.TrustList([p.root[0]], [made]).validate(p.holder, NOW, chain=[p.sub[0]])


@SUITE
def test_a_crl_naming_an_intermediate_but_signed_by_another_key_is_refused_on_the_path(suite):
    p = PKIS[suite]
    impostor = x509.init_ca(f"{suite} Sub CA", suite, days=30, now=START)  # same name, other key
    make = crl._make_gm if suite == "gm" else crl._make_intl  # the intermediate's name and key id, the impostor's signature
    forged = make(x509.load(p.sub[0]), impostor[1], [], 9, NOW - timedelta(hours=1), NOW + timedelta(days=7))
    with pytest.raises(CertificateError, match=r"CRL names .* but is not signed by it"):
        x509.TrustList([p.root[0]], [forged]).validate(p.holder, NOW, chain=[p.sub[0]])


@SUITE
def test_a_holder_whose_authority_key_id_does_not_match_the_intermediate_is_refused(suite):
    p = PKIS[suite]
    cert = raw(suite, subject_cn="Mismatch", issuer_cn=f"{suite} Sub CA", public_pem=keys.generate(suite).public_pem,
               signer_key=p.sub[1], ca=False, aki=bytes(20))
    with pytest.raises(CertificateError, match=f"authorityKeyIdentifier 0+ of holder certificate 'Mismatch' does not match "
                                               f"the subjectKeyIdentifier {key_id(p.sub[0]).hex()} of '{suite} Sub CA'"):
        p.trust.validate(cert, NOW, chain=[p.sub[0]])


@SUITE
def test_a_holder_signed_by_another_key_than_its_named_intermediate_is_refused(suite):
    p = PKIS[suite]
    cert = raw(suite, subject_cn="Forged", issuer_cn=f"{suite} Sub CA", public_pem=keys.generate(suite).public_pem,
               signer_key=keys.generate(suite).private_pem, ca=False)
    with pytest.raises(CertificateError, match=f"signature of holder certificate 'Forged' does not verify with the key of '{suite} Sub CA'"):
        p.trust.validate(cert, NOW, chain=[p.sub[0]])


@SUITE
def test_a_chain_loop_is_refused(suite):
    p = PKIS[suite]
    a, b = keys.generate(suite), keys.generate(suite)  # A certified by B, B certified by A
    ca_a = raw(suite, subject_cn="Loop A", issuer_cn="Loop B", public_pem=a.public_pem, signer_key=b.private_pem, ca=True)
    ca_b = raw(suite, subject_cn="Loop B", issuer_cn="Loop A", public_pem=b.public_pem, signer_key=a.private_pem, ca=True)
    cert = raw(suite, subject_cn="looped", issuer_cn="Loop A", public_pem=keys.generate(suite).public_pem,
               signer_key=a.private_pem, ca=False)
    with pytest.raises(CertificateError, match="chain loop: 'Loop A'"):
        p.trust.validate(cert, NOW, chain=[ca_a, ca_b])


@SUITE
def test_a_chain_ending_at_a_root_not_on_the_trust_list_is_refused(suite):
    p = PKIS[suite]
    stranger = pki(suite)  # same names, other keys: its root is not ours
    with pytest.raises(CertificateError, match=f"chain ends at intermediate CA '{suite} Root CA', a self-signed CA "
                                               "that is not on the trust list"):
        p.trust.validate(stranger.holder, NOW, chain=[stranger.sub[0], stranger.root[0]])


@SUITE
def test_a_too_long_chain_is_refused(suite):
    root = x509.init_ca("Root", suite, days=3650, now=START)
    ca, chain = root, []
    for n in range(8):
        pair = keys.generate(suite)
        issuer_cn = "Root" if n == 0 else f"CA {n - 1}"
        cert = raw(suite, subject_cn=f"CA {n}", issuer_cn=issuer_cn, public_pem=pair.public_pem, signer_key=ca[1], ca=True)
        ca = (cert, pair.private_pem)
        chain.append(cert)
    holder, _ = holder_of(ca, suite)
    with pytest.raises(CertificateError, match="more than 6 intermediate CAs"):
        x509.TrustList([root[0]]).validate(holder, NOW, chain=chain)


@SUITE
def test_an_intermediate_ca_cannot_sign_in_itself(suite):
    p = PKIS[suite]
    with pytest.raises(CertificateError, match="CA certificate cannot sign"):
        p.trust.validate(p.sub[0], NOW)


@SUITE
def test_a_document_signed_through_an_intermediate_carries_its_chain_and_verifies(suite):
    p = PKIS[suite]
    sig = documents.sign_document(suite, p.holder + p.sub[0], p.holder_key, b"bid", kind="bid", signed_at=NOW)
    assert sig["signer_cert"].encode() == p.holder and sig["signer_chain"] == [p.sub[0].decode()]
    doc = documents.verify_document(sig, b"bid", p.trust, now=NOW)
    assert doc.trusted and doc.signer.path == (f"{suite} Sub CA", f"{suite} Root CA")
    with pytest.raises(CertificateError, match="does not chain to a trusted CA"):
        documents.verify_document({k: v for k, v in sig.items() if k != "signer_chain"}, b"bid", p.trust, now=NOW)


@SUITE
def test_a_sign_in_challenge_through_an_intermediate_is_accepted(suite):
    p = PKIS[suite]
    issued = challenge.new_challenge(NOW)
    from tenderhub.crypto import signing
    signature = signing.sign(suite, p.holder_key, issued.encode())
    info = challenge.verify_response(p.trust, p.holder, issued, signature, NOW, chain=[p.sub[0]])
    assert info.issuer_cn == f"{suite} Sub CA"


def test_a_malformed_chain_field_is_refused():
    from tenderhub.crypto import certs
    assert certs.chain_field(None) == [] and certs.chain_field([]) == []
    assert certs.chain_field(PKIS["gm"].sub[0].decode()) == [PKIS["gm"].sub[0]]
    with pytest.raises(CertificateError, match="chain: a list of PEM certificates"):
        certs.chain_field({"pem": "x"})
    with pytest.raises(CertificateError, match="chain: not readable PEM certificates"):
        certs.chain_field(["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])


def test_a_hostile_chain_of_many_look_alike_intermediates_is_searched_within_a_bound():
    """Five copies each of CAs A and B certifying one another: without the (name, key) loop check
    and the budget the search would try 5**7 issuers."""
    from tenderhub.crypto import chain
    p = PKIS["intl"]
    a, b = keys.generate("intl"), keys.generate("intl")
    copies = [raw("intl", subject_cn=name, issuer_cn=other, public_pem=pair.public_pem, signer_key=signer.private_pem, ca=True)
              for _ in range(5) for name, other, pair, signer in (("A", "B", a, b), ("B", "A", b, a))]
    holder = raw("intl", subject_cn="h", issuer_cn="A", public_pem=keys.generate("intl").public_pem,
                 signer_key=a.private_pem, ca=False)
    with pytest.raises(CertificateError, match="does not chain to a trusted CA"):
        p.trust.validate(holder, NOW, chain=copies)
    builder = chain.Builder(p.trust.cas, [x509.load(c) for c in copies])
    assert list(builder.paths(x509.load(holder))) == []
    assert builder.links <= chain.MAX_LINKS + 5 * 5  # past the budget each candidate is refused without a check


def test_more_than_ten_certificates_with_one_certificate_are_refused():
    p = PKIS["gm"]
    with pytest.raises(CertificateError, match="chain: at most 10 certificates"):
        p.trust.validate(p.holder, NOW, chain=[p.sub[0]] * 11)

"""Certificate sign-in (services/identity.py) with an SM2 certificate from a gm CA on the
platform's trust list, and its refusal once the CA's CRL in ``trust/`` revokes it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from crypto_builders import uscc

from tenderhub.bootstrap import Platform, build
from tenderhub.core.shared.clock import BEIJING, FixedClock
from tenderhub.core.shared.errors import Forbidden
from tenderhub.core.shared.roles import PUBLIC
from tenderhub.crypto import crl, keys, signing, x509
from tenderhub.services import identity, subjects
from tenderhub.settings import Settings

START = datetime(2026, 11, 30, 9, 0, tzinfo=BEIJING)


@pytest.fixture
def platform(database_url: str, tmp_path: Path) -> Iterator[Platform]:
    made = build(Settings.load(data_dir=tmp_path / "data", db_url=database_url), clock=FixedClock(START))
    yield made
    made.engine.dispose()


def gm_company(platform: Platform, n: int) -> tuple[bytes, bytes, tuple[bytes, bytes]]:
    """A gm CA on the platform's trust list issues an SM2 certificate to a registered bidder."""
    subjects.register_subject(platform.services, PUBLIC, {"uscc": uscc(n), "name": f"国密投标人{n} 有限公司",
                                                          "kind": "bidder", "user_id": f"gm{n}"})
    ca = x509.init_ca(f"国密CA{n}", "gm", days=365, now=START - timedelta(days=1))
    trust = Path(platform.settings.data_dir) / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    (trust / f"gm-ca{n}.pem").write_bytes(ca[0])
    pair = keys.generate("gm")
    cert = x509.issue(*ca, subject_cn=f"国密投标人{n}", kind="company", uscc=uscc(n), public_pem=pair.public_pem,
                      days=365, now=START - timedelta(days=1))
    return cert, pair.private_pem, ca


def sign_in(platform: Platform, cert: bytes, private: bytes) -> dict[str, object]:
    issued = identity.challenge(platform.services)["challenge"]
    signature = base64.b64encode(signing.sign("gm", private, issued.encode())).decode()
    return identity.certificate_login(platform.services, {"certificate": cert.decode(), "challenge": issued, "signature": signature})


def test_a_bidder_signs_in_with_an_sm2_certificate(platform: Platform) -> None:
    cert, private, _ = gm_company(platform, 21)
    session = sign_in(platform, cert, private)
    assert (session["role"], session["user_id"], session["certificate"]) == ("bidder", "gm21", "国密投标人21")


def test_an_sm2_certificate_revoked_by_its_cas_crl_cannot_sign_in(platform: Platform) -> None:
    cert, private, ca = gm_company(platform, 22)
    serial = int(x509.cert_info(cert).serial, 16)
    revoked = crl.Revoked(serial, START - timedelta(hours=1), "keyCompromise")
    (Path(platform.settings.data_dir) / "trust" / "gm-ca22.crl").write_bytes(crl.make(*ca, [revoked], number=1, now=START))
    with pytest.raises(Forbidden, match="revoked") as refused:
        sign_in(platform, cert, private)
    assert refused.value.field == "certificate"

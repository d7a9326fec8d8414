"""Certificate sign-in through an intermediate CA, end to end on a real database: the root is on
the platform's trust list (or the hub's), the intermediate comes with the sign-in (``chain``) or
is listed in ``trust/intermediates/``; the intermediate's CRL in ``trust/`` revokes its holders."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from services_builders import World, a_world, uscc

from tenderhub.core.shared.errors import Forbidden, Invalid
from tenderhub.crypto import crl, keys, signing, x509
from tenderhub.services import identity


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path / "data")
    yield w
    w.platform.engine.dispose()


def trust_dir(world: World) -> Path:
    path = Path(world.platform.settings.data_dir) / "trust"
    path.mkdir(parents=True, exist_ok=True)
    return path


def three_levels(world: World, suite: str, n: int) -> tuple[bytes, bytes, tuple[bytes, bytes], bytes]:
    """(root PEM, sub CA (cert, key), holder cert, holder key) for the bidder ``n``."""
    start = world.clock.now() - timedelta(hours=1)
    root = x509.init_ca(f"根CA{n}", suite, days=3650, now=start)
    sub = x509.issue_ca(*root, f"中级CA{n}", days=1825, now=start)
    pair = keys.generate(suite)
    cert = x509.issue(*sub, subject_cn=f"company {n}", kind="company", uscc=uscc(n), public_pem=pair.public_pem,
                      days=365, now=start)
    return root[0], sub, cert, pair.private_pem


def sign_in(world: World, suite: str, cert: bytes, private: bytes, **extra: object) -> dict[str, object]:
    issued = identity.challenge(world.svc)["challenge"]
    signature = base64.b64encode(signing.sign(suite, private, issued.encode())).decode()
    body = {"certificate": cert.decode(), "challenge": issued, "signature": signature, **extra}
    return identity.certificate_login(world.svc, body)


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_a_bidder_signs_in_through_an_intermediate_ca_sending_its_chain(world: World, suite: str) -> None:
    world.subject("b21", "bidder", 21)
    root, sub, cert, private = three_levels(world, suite, 21)
    (trust_dir(world) / "root21.pem").write_bytes(root)
    with pytest.raises(Forbidden, match="issuer 'CN=中级CA21' of holder certificate 'company 21' is neither"):
        sign_in(world, suite, cert, private)
    session = sign_in(world, suite, cert, private, chain=[sub[0].decode()])
    assert session["role"] == "bidder" and session["user_id"] == "b21"
    assert sign_in(world, suite, cert + sub[0], private)["user_id"] == "b21"  # the chain in the certificate's PEM bundle


def test_an_intermediate_listed_in_the_trust_directory_needs_no_chain(world: World) -> None:
    world.subject("b22", "bidder", 22)
    root, sub, cert, private = three_levels(world, "gm", 22)
    (trust_dir(world) / "root22.pem").write_bytes(root)
    (trust_dir(world) / "intermediates").mkdir()
    (trust_dir(world) / "intermediates" / "sub22.pem").write_bytes(sub[0])
    assert sign_in(world, "gm", cert, private)["user_id"] == "b22"


def test_a_root_on_the_hubs_trust_list_is_recognised_through_an_intermediate(world: World) -> None:
    world.subject("b23", "bidder", 23)
    root, sub, cert, private = three_levels(world, "intl", 23)
    world.svc.trust = identity.MemoryTrustList([root])
    assert sign_in(world, "intl", cert, private, chain=sub[0].decode())["user_id"] == "b23"


def test_the_intermediates_crl_in_the_trust_directory_refuses_a_revoked_holder(world: World) -> None:
    world.subject("b24", "bidder", 24)
    root, sub, cert, private = three_levels(world, "intl", 24)
    (trust_dir(world) / "root24.pem").write_bytes(root)
    serial = int(x509.cert_info(cert).serial, 16)
    revoked = crl.Revoked(serial, world.clock.now() - timedelta(minutes=30), "keyCompromise")
    (trust_dir(world) / "sub24.crl").write_bytes(crl.make(*sub, [revoked], number=1, now=world.clock.now() - timedelta(minutes=30)))
    with pytest.raises(Forbidden, match=r"company 24.*revoked.*keyCompromise"):
        sign_in(world, "intl", cert, private, chain=[sub[0].decode()])


def test_a_malformed_chain_is_invalid_and_leaves_the_challenge_unused(world: World) -> None:
    world.subject("b25", "bidder", 25)
    root, sub, cert, private = three_levels(world, "intl", 25)
    (trust_dir(world) / "root25.pem").write_bytes(root)
    issued = identity.challenge(world.svc)["challenge"]
    signature = base64.b64encode(signing.sign("intl", private, issued.encode())).decode()
    body = {"certificate": cert.decode(), "challenge": issued, "signature": signature}
    with pytest.raises(Invalid, match="chain: a list of PEM certificates"):
        identity.certificate_login(world.svc, {**body, "chain": 7})
    assert identity.certificate_login(world.svc, {**body, "chain": [sub[0].decode()]})["user_id"] == "b25"

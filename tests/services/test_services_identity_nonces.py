"""Sign-in challenges and SSO nonces are kept in the database: good once across worker processes."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from services_builders import World, a_world, uscc

from tenderhub.bootstrap import Platform, build
from tenderhub.core.shared.errors import Forbidden
from tenderhub.crypto import keys, signing, x509
from tenderhub.hub.protocol import jwk, jws_sign
from tenderhub.services import identity
from tenderhub.services.identity import MAX_AGE, MemoryHubIdentity
from tenderhub.settings import Settings

ISSUER = "http://hub.test/hub"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path / "data")
    yield w
    w.platform.engine.dispose()


@pytest.fixture
def hub_key() -> keys.KeyPair:
    return keys.generate("intl")


@pytest.fixture
def workers(world: World, database_url: str, tmp_path: Path, hub_key: keys.KeyPair) -> Iterator[list[Platform]]:
    """Two worker processes of one platform: the same database, nothing shared in memory."""
    other = build(Settings.load(data_dir=tmp_path / "data", db_url=database_url), clock=world.clock)
    for platform in (world.platform, other):
        platform.services.hub_identity = MemoryHubIdentity(ISSUER, [jwk(hub_key.public_pem)])
    yield [world.platform, other]
    other.engine.dispose()


def assertion(world: World, hub_key: keys.KeyPair, nonce: str, **changes: Any) -> str:
    now = int(world.clock.now().timestamp())
    claims = {"iss": ISSUER, "sub": "fp", "aud": world.svc.platform_code, "iat": now, "exp": now + 300, "nonce": nonce,
              "uscc": uscc(21), "kind": "bidder", "roles": ["contact"], "name": "李小红", **changes}
    return jws_sign(hub_key.private_pem, keys.fingerprint(hub_key.public_pem), claims)


def refusal(platform: Platform, token: str) -> str:
    with pytest.raises(Forbidden) as refused:
        identity.sso_login(platform.services, {"assertion": token})
    return str(refused.value.code)


def test_a_nonce_issued_by_one_worker_is_good_once_on_any_worker(world: World, workers: list[Platform], hub_key: keys.KeyPair) -> None:
    world.subject("b21", "bidder", 21)
    first, second = workers
    token = assertion(world, hub_key, identity.sso_nonce(first.services)["nonce"])
    assert identity.sso_login(second.services, {"assertion": token})["role"] == "bidder"
    assert refusal(first, token) == "assertion_replayed"  # the replay in the other process
    assert refusal(second, token) == "assertion_replayed"
    assert refusal(first, assertion(world, hub_key, "20261130T010000.000000Z.never-issued")) == "assertion_replayed"


def test_an_expired_nonce_is_refused_and_swept_at_the_next_issue(world: World, workers: list[Platform], hub_key: keys.KeyPair) -> None:
    world.subject("b22", "bidder", 22)
    first, second = workers
    old = identity.sso_nonce(first.services)["nonce"]
    world.clock.advance(seconds=MAX_AGE.total_seconds() + 1)
    assert refusal(second, assertion(world, hub_key, old)) == "assertion_replayed"
    identity.sso_nonce(second.services)
    with world.svc.uow(None) as uow:
        assert uow.sequences.peek(f"sso-nonce:{old}") == 0  # the expired row is gone


def company_certificate(world: World, n: int) -> tuple[bytes, bytes]:
    ca_cert, ca_key = x509.init_ca(f"测试CA{n}", days=365, now=world.clock.now())
    trust = Path(world.platform.settings.data_dir) / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    (trust / f"ca{n}.pem").write_bytes(ca_cert)
    pair = keys.generate("intl")
    return x509.issue(ca_cert, ca_key, subject_cn=f"company {n}", kind="company", uscc=uscc(n), public_pem=pair.public_pem, days=365,
                      now=world.clock.now()), pair.private_pem


def test_a_sign_in_challenge_is_good_once_across_workers(world: World, workers: list[Platform]) -> None:
    world.subject("b23", "bidder", 23)
    cert, private = company_certificate(world, 23)
    first, second = workers
    issued = identity.challenge(first.services)["challenge"]
    body = {"certificate": cert.decode(), "challenge": issued, "signature": base64.b64encode(signing.sign("intl", private, issued.encode())).decode()}
    assert identity.certificate_login(second.services, body)["role"] == "bidder"
    for platform in workers:
        with pytest.raises(Forbidden) as replayed:
            identity.certificate_login(platform.services, body)
        assert replayed.value.field == "challenge"
    made_up = identity.challenge(first.services)["challenge"][:-4] + "AAAA"  # a challenge this platform never issued
    forged = {**body, "challenge": made_up, "signature": base64.b64encode(signing.sign("intl", private, made_up.encode())).decode()}
    with pytest.raises(Forbidden):
        identity.certificate_login(first.services, forged)
    with world.svc.uow(None) as uow:
        assert uow.sequences.peek(f"signin:{made_up}") == 0  # a refused use keeps nothing

"""Single sign-on: the hub signs an assertion after a certificate sign-in; a platform verifies it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hub_support import START, Platform
from identity_support import ADMIN, Ca, Holder, admin, register_platform_subject, subject_body, uscc

from tenderhub.core.shared.clock import FixedClock
from tenderhub.core.shared.errors import Forbidden
from tenderhub.embedded import Embedded
from tenderhub.hub.context import Hub
from tenderhub.hub.protocol import jws_verify
from tenderhub.services import identity


def signed_challenge(client: Any, holder: Holder, audience: str, nonce: str) -> dict[str, Any]:
    """What the person's tool does: get a challenge for (audience, nonce), check the text it shows, sign it."""
    answer = client.post("/hub/sso/challenge", json={"audience": audience, "nonce": nonce})
    assert answer.status_code == 200, answer.text
    issued = answer.json()
    kid = client.get("/hub/sso/jwks").json()["keys"][0]["kid"]
    text = f"tenderhub-sso\n{kid}\n{audience}\n{nonce}\n{issued['challenge']}"
    assert issued["signed_text"] == text and (issued["audience"], issued["nonce"]) == (audience, nonce)
    return {"certificate": holder.cert.decode(), "challenge": issued["challenge"], "signature": holder.sign(text.encode()),
            "audience": audience, "nonce": nonce}


def assertion_body(client: Any, holder: Holder, audience: str, nonce: str = "n-1") -> dict[str, Any]:
    return signed_challenge(client, holder, audience, nonce)


# ---- the hub ------------------------------------------------------------------------------------


@pytest.fixture
def admin_token() -> str:
    return ADMIN


@pytest.fixture
def client(client: TestClient) -> TestClient:
    """The guarded hub app, with platform TH110000002 registered by the administrator."""
    Platform(TestClient(client.app, headers=admin()), "TH110000002")
    return client


@pytest.fixture
def person(client: TestClient, hub: Hub) -> Holder:
    """李小红 of subject 21, certified by a CA on the hub's trust list."""
    ca = Ca.make("互认CA", hub.clock.now())
    client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin())
    client.post("/hub/subjects", json={"subject": subject_body(21)}, headers=admin())
    return ca.issue("李小红", "person", uscc(21), hub.clock.now())


def test_the_hub_signs_an_assertion_that_verifies_with_its_published_key(client: TestClient, person: Holder) -> None:
    answer = client.post("/hub/sso/assertion", json=assertion_body(client, person, "TH110000002"))
    assert answer.status_code == 200, answer.text
    config = client.get("/hub/.well-known/openid-configuration").json()
    jwks = client.get(config["jwks_uri"]).json()["keys"]
    assert config["id_token_signing_alg_values_supported"] == ["ES256"] and jwks[0]["crv"] == "P-256"
    claims = jws_verify(answer.json()["assertion"], jwks)
    assert claims["iss"] == config["issuer"] and claims["aud"] == "TH110000002" and claims["nonce"] == "n-1"
    assert (claims["uscc"], claims["kind"], claims["roles"], claims["name"]) == (uscc(21), "bidder", ["authorized_agent", "contact"], "李小红")
    assert claims["exp"] - claims["iat"] == 300


def test_a_tampered_assertion_does_not_verify(client: TestClient, person: Holder) -> None:
    token = client.post("/hub/sso/assertion", json=assertion_body(client, person, "TH110000002")).json()["assertion"]
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "uscc": uscc(22)}).encode()).decode().rstrip("=")
    jwks = client.get("/hub/sso/jwks").json()["keys"]
    for bad, code in ((f"{head}.{forged}.{sig}", "assertion_signature"), ("not-a-token", "assertion_malformed"), (f"{head}.{body}.AAAA", "assertion_malformed")):
        with pytest.raises(Forbidden) as refused:
            jws_verify(bad, jwks)
        assert refused.value.code == code


def test_the_hub_refuses_a_used_challenge_an_unknown_audience_or_an_unregistered_person(client: TestClient, hub: Hub, person: Holder) -> None:
    body = assertion_body(client, person, "TH110000002")
    assert client.post("/hub/sso/assertion", json=body).status_code == 200
    assert client.post("/hub/sso/assertion", json=body).json()["field"] == "challenge"
    assert client.post("/hub/sso/challenge", json={"audience": "TH999999999", "nonce": "n-1"}).status_code == 404
    assert client.post("/hub/sso/challenge", json={"audience": "TH110000002"}).json()["field"] == "nonce"
    ca = Ca.make("互认CA2", hub.clock.now())
    client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin())
    stranger = ca.issue("张三", "person", uscc(21), hub.clock.now())
    unknown_subject = ca.issue("某公司", "company", uscc(23), hub.clock.now())
    for holder, text in ((stranger, "not one of the people"), (unknown_subject, "not registered at the hub")):
        answer = client.post("/hub/sso/assertion", json=assertion_body(client, holder, "TH110000002"))
        assert answer.status_code in (401, 403) and text in answer.json()["detail"], answer.text


def test_a_mismatched_nonce_is_refused_and_leaves_the_challenge_for_its_own_nonce(client: TestClient, person: Holder) -> None:
    body = signed_challenge(client, person, "TH110000002", "nonce-issued")
    answer = client.post("/hub/sso/assertion", json={**body, "nonce": "another-nonce"})
    assert answer.status_code == 401 and answer.json()["field"] == "nonce", answer.text
    assert answer.json()["code"] == "challenge_mismatch"
    assert client.post("/hub/sso/assertion", json=body).status_code == 200  # the refusal changed nothing


def test_a_signature_over_another_text_is_refused(client: TestClient, person: Holder) -> None:
    body = signed_challenge(client, person, "TH110000002", "n-1")
    answer = client.post("/hub/sso/assertion", json={**body, "signature": person.sign(body["challenge"].encode())})  # the old, unbound text
    assert answer.status_code == 401 and answer.json()["field"] == "signature", answer.text


# ---- two platforms: the assertion opens a session on the platform it names -----------------------


@pytest.fixture
def agent(system: Embedded) -> Holder:
    """A person of bidder 31, registered on platform A only (and so at the hub)."""
    a = system.members[0]
    assert register_platform_subject(a, 31, "bidder-a")["hub"] == {"shared": True}
    ca = Ca.make("互认CA", START)
    system.client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin(system.admin_token))
    return ca.issue("李小红", "person", uscc(31), START)


def token_for(system: Embedded, agent: Holder, audience: str, nonce: str) -> str:
    answer = system.client.post("/hub/sso/assertion", json=assertion_body(system.client, agent, audience, nonce))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["assertion"])


def test_an_assertion_opens_a_session_on_platform_b_which_imports_the_subject_from_the_hub(system: Embedded, agent: Holder) -> None:
    b = system.members[1]
    with TestClient(system.app()) as web:
        nonce = web.post("/b/api/identity/sso/nonce").json()
        assert nonce["audience"] == b.spec.code
        session = web.post("/b/api/identity/sso", json={"assertion": token_for(system, agent, b.spec.code, nonce["nonce"])})
        assert session.status_code == 200, session.text
        assert session.json()["role"] == "bidder" and session.json()["roles"] == ["contact"]
        mine = web.get("/b/api/tenders", headers={"Authorization": f"Bearer {session.json()['token']}"})
        assert mine.status_code == 200
    with b.platform.services.uow(None) as uow:
        assert uow.subjects.get_by_uscc(uscc(31)).name == "北京第31建设有限公司"  # imported, not entered again
        opened = uow.audit.list(tag="auth:session:opened")
    assert b.platform.services.hub_identity is not None
    assert [e.data.get("issuer") for e in opened] == [b.platform.services.hub_identity.issuer()]


def test_platform_b_driving_the_signing_gets_nothing_usable_at_platform_a(system: Embedded, agent: Holder) -> None:
    a, b = system.members
    nonce_a = identity.sso_nonce(a.platform.services)["nonce"]  # B asked A for a nonce, to sign in at A as the agent
    for_b = signed_challenge(system.client, agent, b.spec.code, identity.sso_nonce(b.platform.services)["nonce"])
    hub = system.client
    for forged, field in (({**for_b, "audience": a.spec.code, "nonce": nonce_a}, "audience"), ({**for_b, "nonce": nonce_a}, "nonce")):
        answer = hub.post("/hub/sso/assertion", json=forged)
        assert answer.status_code == 401 and answer.json()["field"] == field, answer.text
    # B asks for a challenge for A but has the person sign the text it shows for B: the signature is refused
    for_a = hub.post("/hub/sso/challenge", json={"audience": a.spec.code, "nonce": nonce_a}).json()
    kid = hub.get("/hub/sso/jwks").json()["keys"][0]["kid"]
    shown = f"tenderhub-sso\n{kid}\n{b.spec.code}\n{for_b['nonce']}\n{for_a['challenge']}"
    answer = hub.post("/hub/sso/assertion", json={"certificate": agent.cert.decode(), "challenge": for_a["challenge"],
                                                  "signature": agent.sign(shown.encode()), "audience": a.spec.code, "nonce": nonce_a})
    assert answer.status_code == 401 and answer.json()["field"] == "signature", answer.text
    with a.platform.services.uow(None) as uow:
        assert uow.audit.list(tag="auth:session:opened") == []


def refusal(svc: Any, token: str) -> str:
    with pytest.raises(Forbidden) as refused:
        identity.sso_login(svc, {"assertion": token})
    return str(refused.value.code)


def test_replayed_wrong_audience_expired_and_tampered_assertions_are_refused(system: Embedded, agent: Holder) -> None:
    a, b = system.members
    svc, clock = b.platform.services, b.platform.services.clock
    assert isinstance(clock, FixedClock)
    token = token_for(system, agent, b.spec.code, identity.sso_nonce(svc)["nonce"])
    assert identity.sso_login(svc, {"assertion": token})["role"] == "bidder"
    assert refusal(svc, token) == "assertion_replayed"
    assert refusal(svc, token_for(system, agent, b.spec.code, "a-nonce-b-never-issued")) == "assertion_replayed"
    assert refusal(svc, token_for(system, agent, a.spec.code, identity.sso_nonce(svc)["nonce"])) == "assertion_audience"
    late = token_for(system, agent, b.spec.code, identity.sso_nonce(svc)["nonce"])
    clock.advance(minutes=5)
    assert refusal(svc, late) == "assertion_expired"
    head, body, sig = token_for(system, agent, b.spec.code, identity.sso_nonce(svc)["nonce"]).split(".")
    assert refusal(svc, f"{head}.{body}.{sig[::-1]}") == "assertion_signature"

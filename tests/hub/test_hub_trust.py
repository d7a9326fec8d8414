"""CA mutual recognition: the hub's trust list, accepted by every trading platform."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hub_support import START
from identity_support import ADMIN, Ca, admin, certificate_sign_in, register_platform_subject, uscc

from tenderhub.core.shared.clock import FixedClock
from tenderhub.core.shared.errors import Forbidden
from tenderhub.embedded import Embedded
from tenderhub.hub.context import Hub
from tenderhub.services.identity import HttpTrustList


@pytest.fixture
def admin_token() -> str:
    return ADMIN


def test_the_administrator_adds_and_removes_cas_and_the_list_is_public(client: TestClient, hub: Hub) -> None:
    ca = Ca.make("北京数字认证股份有限公司", hub.clock.now())
    body = {"certificate_pem": ca.cert.decode()}
    assert client.post("/hub/trust-list", json=body).status_code in (401, 403)
    made = client.post("/hub/trust-list", json=body, headers=admin())
    assert made.status_code == 201, made.text
    entry = made.json()
    assert (entry["name"], entry["status"]) == ("北京数字认证股份有限公司", "active") and len(entry["fingerprint"]) == 64
    assert client.post("/hub/trust-list", json={**body, "name": "BJCA"}, headers=admin()).status_code == 200
    assert [(c["name"], c["status"]) for c in client.get("/hub/trust-list").json()["cas"]] == [("BJCA", "active")]
    removed = client.delete(f"/hub/trust-list/{entry['fingerprint']}", params={"reason": "停止互认"}, headers=admin())
    assert removed.status_code == 200 and removed.json()["status"] == "removed" and removed.json()["removal_reason"] == "停止互认"
    assert client.get("/hub/trust-list").json()["cas"][0]["status"] == "removed"
    assert client.delete(f"/hub/trust-list/{entry['fingerprint']}", headers=admin()).status_code == 404


def test_a_certificate_that_is_not_a_ca_or_not_a_certificate_is_refused(client: TestClient, hub: Hub) -> None:
    ca = Ca.make("CA", hub.clock.now())
    leaf = ca.issue("公司", "company", uscc(1), hub.clock.now())
    for bad in ({"certificate_pem": leaf.cert.decode()}, {"certificate_pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}, {}):
        answer = client.post("/hub/trust-list", json=bad, headers=admin())
        assert answer.status_code == 422 and answer.json()["field"] == "certificate_pem", answer.text
    assert client.get("/hub/trust-list").json()["cas"] == []


def test_the_platform_client_keeps_the_active_cas_for_its_ttl(client: TestClient, hub: Hub) -> None:
    clock = FixedClock(START)
    ca = Ca.make("CA", hub.clock.now())
    port = HttpTrustList(client, clock)
    assert port.ca_pems() == []
    client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin())
    assert port.ca_pems() == []  # cached
    clock.advance(minutes=1)
    assert port.ca_pems() == [ca.cert.strip() + b"\n"]


# ---- two platforms through the embedded system ---------------------------------------------------


def test_a_ca_known_only_to_platform_a_is_recognised_by_b_once_on_the_hub_list(system: Embedded, tmp_path: Path) -> None:
    a, b = system.members
    clock = a.platform.services.clock
    assert isinstance(clock, FixedClock)
    ca = Ca.make("某地方CA", clock.now())
    trust = Path(a.platform.settings.data_dir) / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    (trust / "local-only.pem").write_bytes(ca.cert)  # only platform A's operator knew this CA
    for member, alias in ((a, "bidder-a"), (b, "bidder-b")):
        register_platform_subject(member, 11, alias)
    company = ca.issue("北京第11建设有限公司", "company", uscc(11), clock.now())
    assert certificate_sign_in(a.platform.services, company)["role"] == "bidder"
    with pytest.raises(Forbidden) as refused:
        certificate_sign_in(b.platform.services, company)
    assert "trusted CA" in refused.value.message_en
    added = system.client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin(system.admin_token))
    assert added.status_code == 201
    clock.advance(minutes=1)  # past B's short cache of the hub's list
    assert certificate_sign_in(b.platform.services, company)["user_id"] == "bidder-b"
    assert certificate_sign_in(a.platform.services, company)["user_id"] == "bidder-a"
    system.client.delete(f"/hub/trust-list/{added.json()['fingerprint']}", headers=admin(system.admin_token))
    clock.advance(minutes=1)
    with pytest.raises(Forbidden):
        certificate_sign_in(b.platform.services, company)
    assert certificate_sign_in(a.platform.services, company)["user_id"] == "bidder-a"  # A's local list still works

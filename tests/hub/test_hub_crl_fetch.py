"""The hub fetches its CAs' CRLs from the distribution points of the CA certificates it has and
from URLs registered per CA, over real HTTP (a local server serving files), through the checks of
a pushed CRL; what it fetched is enforced (CA 互认 of revocations; 电子签名法 第13条)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from crl_server import CrlServer
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from hub_support import Platform
from identity_support import ADMIN, Ca, Holder, admin, subject_body, uscc
from test_hub_trust_chains import sso_body

from tenderhub.core.shared.errors import Invalid
from tenderhub.crypto import crl, keys, x509
from tenderhub.hub import crlpull
from tenderhub.hub.context import Hub
from tenderhub.hub.crlfetch import Limits, download


@pytest.fixture
def admin_token() -> str:
    return ADMIN


def a_crl(ca: tuple[bytes, bytes], revoked: list[bytes], now: datetime, *, number: int = 1, der: bool = False) -> bytes:
    entries = [crl.Revoked(x509.load(c).serial_number, now - timedelta(minutes=5), "keyCompromise") for c in revoked]
    made = crl.make(*ca, entries, number=number, now=now)
    return cx509.load_pem_x509_crl(made).public_bytes(serialization.Encoding.DER) if der else made


def holder_of(ca: tuple[bytes, bytes], suite: str, n: int, now: datetime, **extra: Any) -> Holder:
    pair = keys.generate(suite)
    return Holder(x509.issue(*ca, subject_cn="李小红", kind="person", uscc=uscc(n), public_pem=pair.public_pem, days=365, now=now, **extra),
                  pair.private_pem)


def fetch(client: TestClient) -> dict[str, Any]:
    answer = client.post("/hub/trust-list/crls:fetch", headers=admin())
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def by_url(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["url"]: r for r in results}


def sign_on(client: TestClient, person: Holder, suite: str, **extra: Any) -> Any:
    return client.post("/hub/sso/assertion", json=sso_body(client, person, suite, **extra))


def listed_platform_and_subject(client: TestClient, n: int) -> None:
    Platform(TestClient(client.app, headers=admin()), "TH110000002")
    client.post("/hub/subjects", json={"subject": subject_body(n)}, headers=admin())


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_a_crl_fetched_from_the_cas_distribution_point_is_enforced_at_sign_on(client: TestClient, hub: Hub, crl_www: CrlServer,
                                                                               suite: str) -> None:
    listed_platform_and_subject(client, 51)
    start = hub.clock.now() - timedelta(hours=1)
    root = x509.init_ca("互认根CA", suite, days=3650, now=start, crl_urls=[crl_www.url("root.crl")])
    client.post("/hub/trust-list", json={"certificate_pem": root[0].decode()}, headers=admin())
    person = holder_of(root, suite, 51, start, crl_urls=[crl_www.url("root.crl")])
    assert sign_on(client, person, suite).status_code == 200
    crl_www.put("root.crl", a_crl(root, [person.cert], hub.clock.now(), der=suite == "intl"))  # DER or PEM alike
    done = fetch(client)
    assert (done["stored"], done["refused"], done["results"][0]["outcome"]) == (1, 0, "stored"), done
    assert done["results"][0]["origin"] == "certificate" and done["results"][0]["crl"]["revoked"] == 1
    refused = sign_on(client, person, suite)
    assert refused.status_code in (401, 403) and "revoked" in refused.text and "keyCompromise" in refused.text
    again = fetch(client)
    assert (again["repeat"], again["results"][0]["outcome"]) == (1, "repeat")


def test_an_older_crl_and_one_of_another_signer_are_refused_with_the_reason(client: TestClient, hub: Hub, crl_www: CrlServer) -> None:
    now = hub.clock.now()
    root = x509.init_ca("互认根CA", days=3650, now=now - timedelta(hours=1), crl_urls=[crl_www.url("root.crl")])
    client.post("/hub/trust-list", json={"certificate_pem": root[0].decode()}, headers=admin())
    crl_www.put("root.crl", a_crl(root, [], now, number=2))
    assert fetch(client)["stored"] == 1
    crl_www.put("root.crl", a_crl(root, [], now - timedelta(minutes=30), number=1))  # a replay of an older one
    older = fetch(client)["results"][0]
    assert (older["outcome"], older["kind"], older["code"]) == ("refused", "conflict", "crl_not_newer")
    impostor = x509.init_ca("互认根CA", days=3650, now=now - timedelta(hours=1))  # the same name, another key
    crl_www.put("root.crl", a_crl(impostor, [], now + timedelta(minutes=1), number=3))
    wrong = fetch(client)["results"][0]
    assert (wrong["outcome"], wrong["code"], wrong["field"]) == ("refused", "crl_wrong_signer", "crl_pem")
    stranger = Ca.make("陌生CA", now - timedelta(hours=1))
    crl_www.put("root.crl", a_crl((stranger.cert, stranger.key), [], now + timedelta(minutes=2)))
    other = fetch(client)["results"][0]
    assert other["code"] == "crl_wrong_signer" and "陌生CA" in other["reason"]["en"]
    crl_www.put("root.crl", b"this is no CRL")
    assert "not a readable CRL" in fetch(client)["results"][0]["reason"]["en"]
    kept = client.get("/hub/trust-list/crls").json()["crls"]
    assert len(kept) == 1 and kept[0]["this_update"] == now.isoformat()  # still the newest good one


def test_an_intermediates_crl_comes_from_its_registered_url_and_revokes_its_holder(client: TestClient, hub: Hub, crl_www: CrlServer) -> None:
    listed_platform_and_subject(client, 52)
    start, now = hub.clock.now() - timedelta(hours=1), hub.clock.now()
    root = x509.init_ca("互认根CA", days=3650, now=start)  # names no distribution point
    sub = x509.issue_ca(*root, "中级CA", days=1825, now=start, crl_urls=[crl_www.url("root.crl")])
    person = holder_of(sub, "intl", 52, start, crl_urls=[crl_www.url("sub.crl")])
    made = client.post("/hub/trust-list", json={"certificate_pem": root[0].decode()}, headers=admin()).json()
    assert fetch(client)["results"] == []  # nothing names a URL yet
    registered = client.post("/hub/trust-list/crl-urls", json={"ca_fingerprint": made["fingerprint"], "url": crl_www.url("root.crl")},
                             headers=admin())
    assert registered.status_code == 201, registered.text
    crl_www.put("root.crl", a_crl(root, [], now))
    assert fetch(client)["stored"] == 1
    first = client.post("/hub/trust-list/crls", json={"crl_pem": a_crl(sub, [], now - timedelta(minutes=1)).decode(),
                                                      "issuer_pem": sub[0].decode()}, headers=admin())
    assert first.status_code == 201  # now the hub knows the intermediate
    sub_fp = x509.cert_info(sub[0]).fingerprint
    assert client.post("/hub/trust-list/crl-urls", json={"ca_fingerprint": sub_fp, "url": crl_www.url("sub.crl")}, headers=admin()).status_code == 201
    assert sign_on(client, person, "intl", chain=[sub[0].decode()]).status_code == 200
    crl_www.put("sub.crl", a_crl(sub, [person.cert], now))
    done = by_url(fetch(client)["results"])
    assert set(done) == {crl_www.url("root.crl"), crl_www.url("sub.crl")}  # the intermediate's point is the root's URL: once
    assert (done[crl_www.url("root.crl")]["outcome"], done[crl_www.url("sub.crl")]["outcome"]) == ("repeat", "stored")
    refused = sign_on(client, person, "intl", chain=[sub[0].decode()])
    assert refused.status_code in (401, 403) and "revoked" in refused.text


def test_bad_urls_are_refused_clearly_and_do_not_stop_the_good_one(client: TestClient, hub: Hub, crl_www: CrlServer) -> None:
    now = hub.clock.now()
    root = x509.init_ca("互认根CA", days=3650, now=now - timedelta(hours=1))
    fingerprint = client.post("/hub/trust-list", json={"certificate_pem": root[0].decode()}, headers=admin()).json()["fingerprint"]
    crl_www.put("big.crl", b"0" * 5000)
    crl_www.put("good.crl", a_crl(root, [], now))
    bad = ["/missing.crl", "/big.crl", "/unsized/big.crl", "/slow/good.crl", "/to-file", "/to/good.crl", "/good.crl"]
    for path in bad:
        client.post("/hub/trust-list/crl-urls", json={"ca_fingerprint": fingerprint, "url": crl_www.url(path[1:])}, headers=admin())
    results = by_url(crlpull.fetch_all(hub, Limits(timeout=1.0, max_bytes=4000)))
    reasons = {path: results[crl_www.url(path[1:])].get("reason", {}).get("en", "") for path in bad}
    assert "HTTP 404" in reasons["/missing.crl"]
    assert "larger than 4000 bytes" in reasons["/big.crl"] and "larger than 4000 bytes" in reasons["/unsized/big.crl"]
    assert "timeout" in reasons["/slow/good.crl"]
    assert "only http and https" in reasons["/to-file"]
    assert sorted(results[crl_www.url(p[1:])]["outcome"] for p in ("/to/good.crl", "/good.crl")) == ["repeat", "stored"]  # a redirect to http is followed
    assert all(results[crl_www.url(p[1:])]["code"] == "crl_fetch_refused" for p in bad[:5])


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ldap://ldap.example.cn/cn=CA?certificateRevocationList", "http:///x.crl", "http://:80/x.crl", "http://a b.cn/x.crl"])
def test_only_http_urls_with_a_host_are_fetched(url: str) -> None:
    with pytest.raises(Invalid) as refused:
        download(url)
    assert (refused.value.field, refused.value.code) == ("url", "crl_fetch_refused") and "only http and https" in refused.value.message_en


def test_a_url_naming_a_ca_the_hub_does_not_know_is_not_fetched(client: TestClient, hub: Hub, crl_www: CrlServer) -> None:
    start = hub.clock.now() - timedelta(hours=1)
    unlisted = x509.init_ca("未列入的根CA", days=3650, now=start)
    sub = x509.issue_ca(*unlisted, "直接列入的中级CA", days=1825, now=start, crl_urls=[crl_www.url("unlisted.crl")])
    client.post("/hub/trust-list", json={"certificate_pem": sub[0].decode()}, headers=admin())  # listed as an anchor itself
    result = fetch(client)["results"][0]
    assert (result["outcome"], result["code"]) == ("refused", "crl_issuer_unknown") and "未列入的根CA" in result["reason"]["en"]
    assert crl_www.asked == []


def test_the_crl_routes_need_the_administrator_and_check_what_they_are_given(client: TestClient, hub: Hub, crl_www: CrlServer) -> None:
    root = x509.init_ca("互认根CA", days=3650, now=hub.clock.now() - timedelta(hours=1), crl_urls=[crl_www.url("root.crl")])
    fingerprint = client.post("/hub/trust-list", json={"certificate_pem": root[0].decode()}, headers=admin()).json()["fingerprint"]
    assert client.post("/hub/trust-list/crls:fetch").status_code in (401, 403)
    body = {"ca_fingerprint": fingerprint, "url": crl_www.url("other.crl")}
    assert client.post("/hub/trust-list/crl-urls", json=body).status_code in (401, 403)
    bad = client.post("/hub/trust-list/crl-urls", json={**body, "url": "file:///etc/passwd"}, headers=admin())
    assert (bad.status_code, bad.json()["field"]) == (422, "url")
    unknown = client.post("/hub/trust-list/crl-urls", json={**body, "ca_fingerprint": "ab" * 32}, headers=admin())
    assert (unknown.status_code, unknown.json()["field"]) == (404, "ca_fingerprint")
    assert client.post("/hub/trust-list/crl-urls", json=body, headers=admin()).status_code == 201
    assert client.post("/hub/trust-list/crl-urls", json=body, headers=admin()).status_code == 200  # again: a repeat
    listed = client.get("/hub/trust-list/crl-urls").json()
    assert [r["url"] for r in listed["registered"]] == [crl_www.url("other.crl")]
    assert [(s["url"], s["origin"]) for s in listed["sources"]] == [(crl_www.url("other.crl"), "registered"), (crl_www.url("root.crl"), "certificate")]
    gone = client.delete("/hub/trust-list/crl-urls", params={"ca_fingerprint": fingerprint, "url": crl_www.url("other.crl")}, headers=admin())
    assert gone.status_code == 204
    assert client.delete("/hub/trust-list/crl-urls", params={"ca_fingerprint": fingerprint, "url": crl_www.url("other.crl")},
                         headers=admin()).status_code == 404

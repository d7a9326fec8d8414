"""The hub's registry, ingestion, records and feed over HTTP (on SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
from pathlib import Path

from fastapi.testclient import TestClient
from hub_support import PLATFORM, Platform, client_for, registration, release

from tenderhub.crypto.platform_keys import PlatformIdentity, PlatformKeys
from tenderhub.hub import protocol
from tenderhub.hub.context import Hub


def test_a_registered_platform_is_listed_publicly_with_the_item_11_information(client: TestClient) -> None:
    Platform(client)
    listed = client.get("/hub/platforms").json()
    assert [p["id"] for p in listed] == [PLATFORM]
    one = listed[0]
    assert one["units"]["operation"] == "乙运营公司" and one["responsible_people"][0]["name"] == "张三"
    assert one["certification"]["report"].startswith("检测认证报告")
    assert one["specifications"]["interface"].endswith("api.json")
    assert one["services"]["paid"] == [{"name": "CA 证书办理", "fee": "200.00", "unit": "每年"}]
    assert one["signing_key"]["suite"] == "intl" and one["exchange"] == {"releases": 0, "last_release_at": None}


def test_a_registration_without_the_certification_report_is_refused_naming_it(client: TestClient) -> None:
    answer = client.post("/hub/platforms", json=registration(certification={"mark": "x"}))
    assert answer.status_code == 422 and answer.json()["field"] == "certification.report"


def test_a_paid_service_needs_a_non_negative_fee(client: TestClient) -> None:
    body = registration(services={"free": [], "paid": [{"name": "x", "fee": "-1"}]})
    assert client.post("/hub/platforms", json=body).json()["field"] == "services.paid[0].fee"


def test_a_platform_may_register_with_its_certificate(client: TestClient, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    keys_ = PlatformKeys(tmp_path / "keys")
    cert = PlatformIdentity(keys_, tmp_path / "trust", "平台甲").certificate(datetime(2025, 1, 1, tzinfo=UTC))
    body = registration(public_key_pem=None, certificate_pem=cert.decode())
    answer = client.post("/hub/platforms", json=body)
    assert answer.status_code == 201, answer.text
    doc = release(0)
    signed = {"platform_id": PLATFORM, "release": doc, "signature": protocol.sign(keys_.pair("signing", "intl"), doc)}
    assert client.post("/hub/releases", json=signed).status_code == 201


def test_registering_needs_the_administrator_token_when_one_is_set(hub: Hub) -> None:
    guarded = client_for(hub, admin_token="s3cret")
    assert guarded.post("/hub/platforms", json=registration()).status_code in (401, 403)
    ok = guarded.post("/hub/platforms", json=registration(), headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 201


def test_a_signed_release_gets_a_receipt_signed_by_the_hub(client: TestClient, hub: Hub) -> None:
    platform = Platform(client)
    answer = platform.post(release(0))
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert receipt["receipt"]["release_id"] == release(0)["id"] and receipt["receipt"]["position"] == 1
    assert receipt["receipt"]["digest"] == "sha256:" + protocol.digest(release(0))
    key = client.get("/hub/key").json()
    assert protocol.verify("intl", key["public_pem"].encode(), receipt["receipt"], receipt["signature"])


def test_the_same_release_again_returns_the_same_receipt(client: TestClient) -> None:
    platform = Platform(client)
    first = platform.post(release(0))
    again = platform.post(release(0))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(client.get("/hub/feed").json()["items"]) == 1


def test_other_content_under_a_known_release_id_is_a_conflict_naming_id(client: TestClient) -> None:
    platform = Platform(client)
    platform.post(release(0))
    changed = release(0) | {"tender": {"id": "T", "title": "另一个标题"}}
    answer = platform.post(changed)
    assert answer.status_code == 409 and answer.json()["field"] == "id"


def test_an_invalid_release_is_refused_with_its_path_and_nothing_is_stored(client: TestClient) -> None:
    platform = Platform(client)
    bad = release(0) | {"tag": ["notATag"]}
    del bad["initiationType"]
    answer = platform.post(bad)
    assert answer.status_code == 422
    body = answer.json()
    paths = {p["path"] for p in body["problems"]}
    assert "/release/tag/0" in paths and "/release" in paths and body["field"] in paths
    assert all(p["message"] for p in body["problems"])
    assert client.get("/hub/feed").json()["items"] == []
    assert client.get(f"/hub/releases/{bad['id']}").status_code == 404


def test_a_bad_signature_is_refused(client: TestClient) -> None:
    platform = Platform(client)
    signed = protocol.envelope(PLATFORM, platform.pair, release(0))
    signed["release"] = release(1)
    answer = client.post("/hub/releases", json=signed)
    assert answer.status_code in (401, 403) and answer.json()["field"] == "/signature"
    signed["signature"] = base64.b64encode(b"junk").decode() + "!"
    assert client.post("/hub/releases", json=signed).status_code in (401, 403)


def test_an_unregistered_platform_is_refused(client: TestClient) -> None:
    Platform(client)
    other = Platform.__new__(Platform)
    other.client, other.platform_id, other.pair = client, "UNKNOWN", Platform(client, "P2").pair
    answer = other.post(release(0))
    assert answer.status_code == 404 and answer.json()["field"] == "/platform_id"


def test_the_record_has_every_release_and_the_compiled_release(client: TestClient) -> None:
    platform = Platform(client)
    for n in (2, 0, 1):
        platform.post(release(n))
    record = client.get("/hub/records/ocds-thxxxx-T2025-0001").json()
    assert [r["id"][-1] for r in record["releases"]] == ["0", "1", "2"]
    assert record["compiledRelease"]["tender"]["title"] == "道路改造工程 2"
    assert client.get("/hub/records/ocds-thxxxx-none").status_code == 404


def test_the_feed_pages_with_the_cursor_in_ingest_order(client: TestClient) -> None:
    platform = Platform(client)
    for n in range(5):
        platform.post(release(n))
    first = client.get("/hub/feed", params={"limit": 2}).json()
    second = client.get("/hub/feed", params={"cursor": first["next_cursor"], "limit": 10}).json()
    ids = [i["release"]["id"] for i in first["items"] + second["items"]]
    assert ids == [release(n)["id"] for n in range(5)]
    idle = client.get("/hub/feed", params={"cursor": second["next_cursor"]}).json()
    assert idle == {"items": [], "next_cursor": second["next_cursor"], "limit": 100}
    assert client.get("/hub/feed", params={"cursor": "x"}).status_code == 422
    listed = client.get("/hub/platforms").json()[0]
    assert listed["exchange"]["releases"] == 5


def test_a_platform_cannot_publish_into_another_platforms_contracting_process(client: TestClient) -> None:
    owner, other = Platform(client), Platform(client, "TH110000002")
    assert owner.post(release(0)).status_code == 201
    intruder = release(1)  # a forged later stage (say, an award) of the owner's process, signed by the other platform
    answer = other.post(intruder)
    assert answer.status_code == 409, answer.text
    assert (answer.json()["code"], answer.json()["field"]) == ("foreign_ocid", "/release/ocid")
    batch = {"releases": [protocol.envelope(other.platform_id, other.pair, release(2)),
                          protocol.envelope(other.platform_id, other.pair, release(0, ocid="ocds-thxxxx-T2025-0002"))]}
    results = client.post(protocol.BATCH_PATH, json=batch).json()["results"]
    assert [r["status"] for r in results] == ["refused", "created"]
    assert (results[0]["error"]["code"], results[0]["error"]["field"]) == ("foreign_ocid", "/releases/0/release/ocid")
    assert [i["platform_id"] for i in client.get("/hub/feed").json()["items"]] == ["TH110000001", "TH110000002"]
    assert owner.post(release(1)).status_code == 201  # the owner's own next stage is accepted

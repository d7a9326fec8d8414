"""The hub's subject registry: USCC checked, people with roles, personal data masked in public."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from hub_support import START, Platform
from identity_support import (
    ADMIN,
    Ca,
    admin,
    certificate_sign_in,
    register_platform_subject,
    subject_body,
    uscc,
)

from tenderhub.core.shared.errors import Conflict, Forbidden, NotFound
from tenderhub.core.shared.roles import PUBLIC
from tenderhub.crypto import keys
from tenderhub.embedded import Embedded
from tenderhub.hub.context import Hub
from tenderhub.hub.protocol import sign
from tenderhub.services import subjects
from tenderhub.services.subjects import HttpSubjectDirectory, HubSubject, MemorySubjectDirectory


@pytest.fixture
def admin_token() -> str:
    return ADMIN


def test_the_administrator_registers_a_subject_and_the_public_sees_personal_data_masked(client: TestClient) -> None:
    assert client.post("/hub/subjects", json={"subject": subject_body(1)}).status_code in (401, 403)
    made = client.post("/hub/subjects", json={"subject": subject_body(1)}, headers=admin())
    assert made.status_code == 201, made.text
    assert made.json()["registered_by"] == "hub-admin"
    public = client.get(f"/hub/subjects/{uscc(1)}").json()
    assert public["name"] == "北京第1建设有限公司" and public["legal_representative"] == "王建国"
    assert public["contact_phone"] == "138****5678"
    assert public["people"][0] == {"name": "王**", "roles": ["legal_representative"], "id_number": "110***********1234", "phone": "138****5678"}
    assert public["people"][1]["phone"] == "010-****1234" and public["people"][1]["roles"] == ["authorized_agent", "contact"]
    whole = client.get(f"/hub/subjects/{uscc(1)}", headers=admin()).json()
    assert whole["people"][0]["id_number"] == "110105198001011234"
    assert "110105198001011234" not in client.get("/hub/subjects").text


def test_a_second_registration_updates_and_answers_200(client: TestClient) -> None:
    client.post("/hub/subjects", json={"subject": subject_body(2)}, headers=admin())
    again = client.post("/hub/subjects", json={"subject": subject_body(2, name="北京新名称有限公司")}, headers=admin())
    assert again.status_code == 200 and again.json()["name"] == "北京新名称有限公司"
    assert [s["uscc"] for s in client.get("/hub/subjects").json()] == [uscc(2)]


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"uscc": uscc(3)[:17] + ("0" if uscc(3)[17] != "0" else "1")}, "subject.uscc", "uscc.check_char"),
    ({"uscc": "91110105MA0000001"}, "subject.uscc", "uscc.length"),
    ({"kind": "bank"}, "subject.kind", "invalid"),
    ({"legal_representative": ""}, "subject.legal_representative", "invalid"),
    ({"name": "名" * 201}, "subject.name", "invalid"),
    ({"people": [{"name": "赵六", "roles": ["boss"]}]}, "subject.people[0].roles", "invalid"),
])
def test_a_bad_subject_is_refused_naming_the_field_and_nothing_is_stored(client: TestClient, change: dict[str, object], field: str, code: str) -> None:
    answer = client.post("/hub/subjects", json={"subject": subject_body(3, **change)}, headers=admin())
    assert answer.status_code == 422, answer.text
    assert (answer.json()["field"], answer.json()["code"]) == (field, code)
    assert client.get("/hub/subjects").json() == []


def test_a_platform_registers_with_its_signature_and_another_platform_cannot_overwrite(client: TestClient, hub: Hub) -> None:
    registrar = TestClient(client.app, headers=admin())
    first, second = Platform(registrar, "TH110000001"), Platform(registrar, "TH110000002")
    record = subject_body(4, signed_at=hub.clock.now().isoformat())
    body = {"platform_id": first.platform_id, "subject": record, "signature": sign(first.pair, record)}
    made = client.post("/hub/subjects", json=body)
    assert made.status_code == 201 and made.json()["registered_by"] == "platform:TH110000001"
    assert client.post("/hub/subjects", json=body).status_code == 200
    forged = {**body, "subject": subject_body(4, name="篡改有限公司")}
    assert client.post("/hub/subjects", json=forged).json()["code"] == "bad_signature"
    other = {"platform_id": second.platform_id, "subject": record, "signature": sign(second.pair, record)}
    assert client.post("/hub/subjects", json=other).status_code == 409
    assert client.get(f"/hub/subjects/{uscc(4)}").json()["name"] == "北京第4建设有限公司"


def test_a_subject_registers_itself_with_a_certificate_from_a_ca_on_the_trust_list(client: TestClient, hub: Hub) -> None:
    now = hub.clock.now()
    ca, stranger = Ca.make("互认CA", now), Ca.make("未互认CA", now)
    company = ca.issue("北京第5建设有限公司", "company", uscc(5), now)
    record = subject_body(5, signed_at=now.isoformat())
    body = {"certificate": company.cert.decode(), "subject": record, "signature": company.sign_doc(record)}
    assert client.post("/hub/subjects", json=body).status_code in (401, 403)  # the CA is not on the hub's list yet
    assert client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin()).status_code == 201
    made = client.post("/hub/subjects", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["registered_by"].startswith("certificate:")
    other = subject_body(6, signed_at=now.isoformat())
    refused = client.post("/hub/subjects", json={"certificate": company.cert.decode(), "subject": other, "signature": company.sign_doc(other)})
    assert refused.status_code in (401, 403) and refused.json()["field"] == "subject.uscc"
    foreign = stranger.issue("x", "company", uscc(5), now)
    assert client.post("/hub/subjects", json={**body, "certificate": foreign.cert.decode(), "signature": foreign.sign_doc(record)}).status_code in (401, 403)
    assert client.post("/hub/subjects", json={**body, "signature": company.sign_doc(subject_body(5, name="改", signed_at=now.isoformat()))}).status_code in (401, 403)


def test_the_registry_lists_by_kind_in_pages(client: TestClient) -> None:
    for n, kind in ((7, "bidder"), (8, "tenderer"), (9, "bidder")):
        client.post("/hub/subjects", json={"subject": subject_body(n, kind=kind)}, headers=admin())
    assert [s["uscc"] for s in client.get("/hub/subjects", params={"kind": "bidder"}).json()] == sorted([uscc(7), uscc(9)])
    assert len(client.get("/hub/subjects", params={"limit": 2}).json()) == 2
    assert client.get("/hub/subjects/91110105MA0000001X").status_code == 422
    assert client.get(f"/hub/subjects/{uscc(99)}").status_code == 404


# ---- register once, use on every platform ------------------------------------------------------------


def test_a_bidder_registered_on_platform_a_signs_in_on_b_without_entering_its_data_again(system: Embedded) -> None:
    a, b = system.members
    made = register_platform_subject(a, 51, "bidder-a")
    assert made["hub"] == {"shared": True}
    shared = system.client.get(f"/hub/subjects/{uscc(51)}", headers=admin(system.admin_token)).json()
    assert shared["registered_by"] == f"platform:{a.spec.code}" and shared["people"][1] == {
        "name": "李小红", "roles": ["contact"], "id_number": "", "phone": "13812345678"}
    ca = Ca.make("互认CA", START)
    system.client.post("/hub/trust-list", json={"certificate_pem": ca.cert.decode()}, headers=admin(system.admin_token))
    session = certificate_sign_in(b.platform.services, ca.issue("北京第51建设有限公司", "company", uscc(51), START))
    assert session["role"] == "bidder" and session["subject"] == "北京第51建设有限公司"
    with b.platform.services.uow(None) as uow:
        local = uow.subjects.get_by_uscc(uscc(51))
    assert (local.legal_representative, local.region, local.kind.value) == ("王建国", "110000", "bidder")


def test_the_operator_of_b_imports_a_subject_from_the_hub_and_an_unknown_one_is_not_found(system: Embedded) -> None:
    a, b = system.members
    register_platform_subject(a, 52, "tenderer-a", "tenderer")
    operator = subjects.create_operator(b.platform.services)
    imported = subjects.import_subject(b.platform.services, operator, {"uscc": uscc(52), "contact_person": "赵敏"})
    assert imported["subject"]["kind"] == "tenderer" and imported["subject"]["legal_representative"] == "王建国"
    with pytest.raises(Conflict):
        subjects.import_subject(b.platform.services, operator, {"uscc": uscc(52)})
    with pytest.raises(NotFound):
        subjects.import_subject(b.platform.services, operator, {"uscc": uscc(53)})
    with pytest.raises(Forbidden):
        subjects.import_subject(b.platform.services, PUBLIC, {"uscc": uscc(52)})


def test_the_directory_twin_and_an_unreachable_hub() -> None:
    twin = MemorySubjectDirectory()
    twin.publish(subject_body(54))
    assert twin.lookup(uscc(54)) == HubSubject(uscc(54), "北京第54建设有限公司", "bidder", "王建国", "110105", "北京市朝阳区建国路1号")
    assert twin.lookup(uscc(55)) is None

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("hub down", request=request)

    client = httpx.Client(transport=httpx.MockTransport(down), base_url="http://hub.test")
    with pytest.raises(Conflict) as refused:
        HttpSubjectDirectory(client, "TH110000001", keys.generate("intl")).lookup(uscc(54))
    assert refused.value.code == "subject_directory_unavailable"


def test_the_operator_imports_and_reports_credit_over_http(system: Embedded) -> None:
    a, b = system.members
    register_platform_subject(a, 56, "bidder-a")
    token = subjects.create_user(b.platform.services, subjects.create_operator(b.platform.services), {"role": "operator", "name": "运营"})["token"]
    with TestClient(system.app()) as web:
        headers = {"Authorization": f"Bearer {token}"}
        assert web.post("/b/api/subjects/import", json={"uscc": uscc(56)}).status_code in (401, 403)
        imported = web.post("/b/api/subjects/import", json={"uscc": uscc(56)}, headers=headers)
        assert imported.status_code == 201 and imported.json()["subject"]["name"] == "北京第56建设有限公司", imported.text
        record = {"uscc": uscc(56), "kind": "performance", "title": "合同履约评价：优良", "authority": "北京市住房和城乡建设委员会"}
        sent = web.post("/b/api/credit-records", json=record, headers=headers)
        assert sent.status_code == 201 and sent.json()["dataset"] == "305", sent.text
        assert web.post("/b/api/credit-records", json={**record, "kind": "penalty"}, headers=headers).json()["field"] == "record.basis"
    assert system.client.get(f"/hub/credit/{uscc(56)}").json()["performance"][0]["source_platform"] == b.spec.code

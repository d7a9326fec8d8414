"""Investment projects: the hub's registry, checked by every platform when a tender is created and published."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from identity_support import ADMIN, admin, register_platform_subject, uscc

from tenderhub.core.shared.clock import BEIJING
from tenderhub.core.shared.errors import RuleViolation
from tenderhub.embedded import Embedded
from tenderhub.services import subjects, tenders
from tenderhub.services.credit import MemoryProjectRegistry, Project, check_project

CODE, OTHER = "2026-110105-48-01-000123", "2026-110105-48-01-000999"


def project(code: str = CODE, **changes: Any) -> dict[str, Any]:
    return {"code": code, "name": "朝阳区道路改造工程", "owner_uscc": uscc(1), "region": "110105", "approval": "审批", **changes}


@pytest.fixture
def admin_token() -> str:
    return ADMIN


def test_the_administrator_loads_projects_and_anyone_looks_one_up(client: TestClient) -> None:
    assert client.post("/hub/projects", json={"projects": [project()]}).status_code in (401, 403)
    loaded = client.post("/hub/projects", json={"projects": [project(), project(OTHER, approval="备案")]}, headers=admin())
    assert loaded.status_code == 200, loaded.text
    assert [p["code"] for p in loaded.json()["loaded"]] == [CODE, OTHER]
    found = client.get(f"/hub/projects/{CODE}").json()
    assert (found["name"], found["owner_uscc"], found["status"]) == ("朝阳区道路改造工程", uscc(1), "valid")
    client.post("/hub/projects", json=project(status="revoked"), headers=admin())
    assert client.get(f"/hub/projects/{CODE}").json()["status"] == "revoked"
    assert client.get("/hub/projects/2026-110105-48-01-000124").status_code == 404
    assert client.get("/hub/projects/2026-110105").json()["code"] == "invest_project_code.shape"


@pytest.mark.parametrize(("bad", "field"), [
    ({"code": "2026110105480100012300"}, "projects[1].code"),
    ({"owner_uscc": "91110105MA0000001X"}, "projects[1].owner_uscc"),
    ({"approval": "批准"}, "projects[1].approval"),
    ({"region": "11"}, "projects[1].region"),
    ({"name": ""}, "projects[1].name"),
])
def test_a_batch_with_a_bad_project_is_refused_whole(client: TestClient, bad: dict[str, Any], field: str) -> None:
    answer = client.post("/hub/projects", json={"projects": [project(OTHER), project(**bad)]}, headers=admin())
    assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
    assert client.get(f"/hub/projects/{OTHER}").status_code == 404


def test_the_in_memory_twin_refuses_unknown_and_revoked_projects() -> None:
    twin = MemoryProjectRegistry()
    twin.add(Project(CODE, "道路", uscc(1)))
    twin.add(Project(OTHER, "桥梁", uscc(1), "revoked"))
    check_project(twin, CODE)
    check_project(None, OTHER)  # no registry linked: no check
    for code, kind in (("2026-110105-48-01-000555", "UNKNOWN_INVESTMENT_PROJECT"), (OTHER, "REVOKED_INVESTMENT_PROJECT")):
        with pytest.raises(RuleViolation) as refused:
            check_project(twin, code)
        assert (refused.value.code, refused.value.field) == (kind, "investment_project_code")
        assert code in refused.value.message_zh and refused.value.as_dict()["law"] == "招标投标法" and refused.value.as_dict()["article"] == 9


# ---- a platform checks the code at the hub -------------------------------------------------------


def tender_body(code: str) -> dict[str, Any]:
    lot = {"title": "标段1", "category": "works", "estimated_price": 10000000, "deadline": "2026-12-21T09:30"}
    return {"regime": "works", "title": "朝阳区道路改造工程施工", "investment_project_code": code, "lots": [lot]}


def test_a_tender_naming_an_unknown_project_is_refused_and_a_known_one_is_created_and_published(system: Embedded) -> None:
    member = system.members[0]
    svc = member.platform.services
    tenderer = subjects.actor_for_token(svc, register_platform_subject(member, 1, "tenderer", "tenderer")["token"])
    with pytest.raises(RuleViolation) as refused:
        tenders.create_tender(svc, tenderer, tender_body(CODE))
    assert refused.value.code == "UNKNOWN_INVESTMENT_PROJECT" and refused.value.field == "investment_project_code"
    assert tenders.list_tenders(svc, tenderer) == []
    assert system.client.post("/hub/projects", json=project(), headers=admin(system.admin_token)).status_code == 200
    made = tenders.create_tender(svc, tenderer, tender_body(CODE))
    assert made["investment_project_code"] == CODE
    svc.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=BEIJING))  # type: ignore[attr-defined]
    assert tenders.publish(svc, tenderer, made["id"], {"doc_sale_end": "2026-12-09"})["status"] == "active"


def test_publication_is_refused_once_the_project_is_revoked(system: Embedded) -> None:
    member = system.members[1]
    svc = member.platform.services
    tenderer = subjects.actor_for_token(svc, register_platform_subject(member, 2, "tenderer", "tenderer")["token"])
    system.client.post("/hub/projects", json=project(), headers=admin(system.admin_token))
    made = tenders.create_tender(svc, tenderer, tender_body(CODE))
    system.client.post("/hub/projects", json=project(status="revoked"), headers=admin(system.admin_token))
    with pytest.raises(RuleViolation) as refused:
        tenders.publish(svc, tenderer, made["id"], {"doc_sale_end": "2026-12-09"})
    assert refused.value.code == "REVOKED_INVESTMENT_PROJECT"
    assert tenders.get_tender(svc, tenderer, made["id"])["status"] == "draft"


class WritingRegistry(MemoryProjectRegistry):
    """A registry whose lookup waits for another writer on the same platform (a slow remote registry
    while others work): it must not be asked while the publication holds the tender's write lock."""

    def __init__(self, write: Any) -> None:
        super().__init__()
        self.write, self.finished = write, False

    def lookup(self, code: str) -> Project | None:
        worker = threading.Thread(target=self.write, daemon=True)
        worker.start()
        worker.join(timeout=3)
        self.finished = not worker.is_alive()
        return super().lookup(code)


def test_publication_asks_the_registry_outside_the_write_lock(system: Embedded) -> None:
    member = system.members[0]
    svc = member.platform.services
    tenderer = subjects.actor_for_token(svc, register_platform_subject(member, 1, "tenderer", "tenderer")["token"])
    system.client.post("/hub/projects", json=project(), headers=admin(system.admin_token))
    made = tenders.create_tender(svc, tenderer, tender_body(CODE))

    def write() -> None:  # another use case taking the same tender's write lock
        with svc.uow(tenderer) as uow:
            tenders.load(uow, made["id"], for_update=True)
            uow.commit()

    registry = WritingRegistry(write)
    registry.add(Project(CODE, "朝阳区道路改造工程", uscc(1), "valid"))
    svc.projects = registry
    svc.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=BEIJING))  # type: ignore[attr-defined]
    assert tenders.publish(svc, tenderer, made["id"], {"doc_sale_end": "2026-12-09"})["status"] == "active"
    assert registry.finished, "the other writer waited for the registry call: it was made under the write lock"

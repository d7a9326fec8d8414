"""Registration of market subjects, users, API tokens and the expert pool.

Register once, use on every platform: a subject registered here is shared with the hub's
subject registry (``SubjectDirectory.publish``, signed with the platform key), and a subject
unknown here is imported from the hub (``subject_for``) when one of its people signs in with a
certificate or by single sign-on, or when the operator imports it (``import_subject``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from tenderhub.core.evaluation.experts import Expert
from tenderhub.core.shared.clock import Clock, SystemClock
from tenderhub.core.shared.errors import Conflict, DomainError, Forbidden, NotFound
from tenderhub.core.shared.ids import validate_uscc
from tenderhub.core.shared.roles import Actor, Role
from tenderhub.core.subjects.model import Subject, SubjectKind, User
from tenderhub.crypto.keys import KeyPair
from tenderhub.hub.protocol import sign
from tenderhub.services import credit_records
from tenderhub.services import parse as p
from tenderhub.services.authz import require_role
from tenderhub.services.context import Services
from tenderhub.services.credit import hub_down, hub_get, hub_refusal
from tenderhub.services.tenders import new_id

SELF_REGISTERED = (SubjectKind.TENDERER, SubjectKind.AGENCY, SubjectKind.BIDDER)
ROLE_OF_KIND = {SubjectKind.TENDERER: Role.TENDERER, SubjectKind.AGENCY: Role.AGENCY, SubjectKind.BIDDER: Role.BIDDER,
                SubjectKind.PLATFORM: Role.OPERATOR, SubjectKind.REGULATOR: Role.REGULATOR}


def register_subject(svc: Services, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """Register a subject once (统一社会信用代码 checked, GB 32100) with its first user."""
    require_role(actor, Role.OPERATOR, Role.PUBLIC)
    uscc = validate_uscc(p.text(data, "uscc"))
    with svc.uow(actor) as uow:
        if exists(uow, uscc):
            raise Conflict(f"a subject with USCC {uscc} is already registered", message_zh=f"统一社会信用代码 {uscc} 已注册", field="uscc", code="subject_exists")
        now = svc.clock.now()
        kind = p.choice(data, "kind", SubjectKind)
        if actor.role is Role.PUBLIC and kind not in SELF_REGISTERED:
            raise Forbidden(
                f"a {kind.value} is registered by the platform operator, not by self-registration",
                message_zh=f"{kind.value} 类主体须由平台运营机构登记，不能自行注册",
                field="kind",
            )
        subject = Subject(new_id(), uscc, p.text(data, "name"), kind, now, p.text(data, "legal_representative", default=""),
                          p.text(data, "region", default="110000"), p.text(data, "address", default=""), p.text(data, "contact_phone", default=""),
                          [validate_uscc(str(u), field="related_uscc") for u in p.items(data, "related_uscc", default=[])])
        user = User(p.text(data, "user_id", default=new_id()), p.text(data, "contact_person", default=subject.name), ROLE_OF_KIND[kind], now, subject.id)
        uow.subjects.add(subject)
        uow.users.add(user)
        token = uow.tokens.issue(user.id, label="registration", at=now)
        uow.commit()
    return {"subject": subject_view(subject), "user_id": user.id, "token": token, "hub": share(svc, subject, user.name)}


def exists(uow: Any, uscc: str) -> bool:
    try:
        uow.subjects.get_by_uscc(uscc)
    except NotFound:
        return False
    return True


def subject_view(subject: Subject) -> dict[str, Any]:
    return {"id": subject.id, "uscc": subject.uscc, "name": subject.name, "kind": subject.kind.value,
            "legal_representative": subject.legal_representative, "region": subject.region}


def create_user(svc: Services, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """Platform staff create users: operators, regulators (read-only) and experts."""
    require_role(actor, Role.OPERATOR)
    role = p.choice(data, "role", Role)
    with svc.uow(actor) as uow:
        now = svc.clock.now()
        user = User(p.text(data, "id", default=new_id()), p.text(data, "name"), role, now, data.get("subject_id"))
        uow.users.add(user)
        token = uow.tokens.issue(user.id, label=p.text(data, "label", default="api"), at=now)
        uow.commit()
        return {"user_id": user.id, "role": role.value, "token": token}


def add_expert(svc: Services, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """Enter an expert into the pool (评标专家库) with a user account to score with."""
    require_role(actor, Role.OPERATOR)
    with svc.uow(actor) as uow:
        now = svc.clock.now()
        expert = Expert(p.text(data, "id", default=new_id()), p.text(data, "name"), [str(s) for s in p.items(data, "specialties")],
                        p.text(data, "region", default="110000"), p.text(data, "employer_uscc", default=""),
                        [str(c) for c in p.items(data, "conflicts", default=[])], p.boolean(data, "senior_title", default=True),
                        p.boolean(data, "equivalent_level", default=False), p.integer(data, "years_in_field", default=10),
                        id_number=p.text(data, "id_number", default=""), phone=p.text(data, "phone", default=""))
        uow.experts.add(expert)
        uow.users.add(User(expert.id, expert.name, Role.EXPERT, now))
        token = uow.tokens.issue(expert.id, label="expert", at=now)
        uow.commit()
        return {"expert_id": expert.id, "token": token}


def actor_for_token(svc: Services, raw: str, *, ip: str = "", device: str = "") -> Actor:
    """Authenticate an API token: the acting user with its role and subject (one query)."""
    found = svc.uow(None).identity_for_token(raw)
    if found is None:
        raise Forbidden("unknown or revoked API token", message_zh="API 令牌无效或已吊销", field="authorization")
    if found.subject_id is None:
        return Actor(found.id, Role(found.role), "", "", found.name, ip, device, "")
    representative = str((found.subject_doc or {}).get("legal_representative", ""))
    return Actor(found.id, Role(found.role), found.subject_id, found.uscc, found.subject_name, ip, device, representative)


def actor_of(user: User, subject: Subject | None, *, ip: str = "", device: str = "") -> Actor:
    return Actor(user.id, user.role, subject.id if subject else "", subject.uscc if subject else "",
                 subject.name if subject else user.name, ip, device, subject.legal_representative if subject else "")


def create_operator(svc: Services, *, user_id: str = "operator", name: str = "平台运营人员") -> Actor:
    """The platform's own operator account (bootstrap of a fresh system)."""
    with svc.uow(None) as uow:
        user = uow.users.find(user_id)
        if user is None:
            user = User(user_id, name, Role.OPERATOR, svc.clock.now())
            uow.users.add(user)
            uow.commit()
        return actor_of(user, None)


# ---- the hub's subject registry (register once, use on every platform) -----------------------------


@dataclass(frozen=True)
class HubSubject:
    """A subject as the hub's public registry shows it (business-registration facts)."""

    uscc: str
    name: str
    kind: str
    legal_representative: str = ""
    region: str = "110000"
    address: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HubSubject:
        return cls(data["uscc"], data["name"], data["kind"], data.get("legal_representative", ""), data.get("region", "110000"),
                   data.get("address", ""))


class SubjectDirectory(Protocol):
    def lookup(self, uscc: str) -> HubSubject | None: ...

    def publish(self, record: dict[str, Any]) -> dict[str, Any]: ...


@dataclass
class MemorySubjectDirectory:
    """The in-memory twin of the hub's registry (``publish`` stores, ``lookup`` reads back)."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def lookup(self, uscc: str) -> HubSubject | None:
        found = self.records.get(uscc)
        return None if found is None else HubSubject.from_json(found)

    def publish(self, record: dict[str, Any]) -> dict[str, Any]:
        self.records[record["uscc"]] = record
        return record


@dataclass
class HttpSubjectDirectory:
    """``GET /hub/subjects/{uscc}``; ``publish`` posts ``{platform_id, subject, signature}``."""

    client: httpx.Client
    platform_id: str
    pair: KeyPair
    clock: Clock = field(default_factory=SystemClock)  # ``signed_at``: the hub refuses a stale or replayed registration

    def lookup(self, uscc: str) -> HubSubject | None:
        found = hub_get(self.client, f"/hub/subjects/{quote(uscc, safe='')}", "subject_directory_unavailable")
        return None if found is None else HubSubject.from_json(found)

    def publish(self, record: dict[str, Any]) -> dict[str, Any]:
        signed = {**record, "signed_at": self.clock.now().isoformat()}
        body = {"platform_id": self.platform_id, "subject": signed, "signature": sign(self.pair, signed)}
        try:
            answer = self.client.post("/hub/subjects", json=body)
        except httpx.HTTPError as exc:
            raise hub_down("subject_directory_unavailable", str(exc)) from exc
        if answer.status_code not in (200, 201):
            raise hub_refusal(answer, "subject")
        shared: dict[str, Any] = answer.json()
        return shared


def hub_record(subject: Subject, contact: str) -> dict[str, Any]:
    people = [{"name": subject.legal_representative, "roles": ["legal_representative"]}] if subject.legal_representative else []
    if contact and contact != subject.legal_representative:
        people.append({"name": contact, "roles": ["contact"], "phone": subject.contact_phone})
    return {"uscc": subject.uscc, "name": subject.name, "kind": subject.kind.value, "legal_representative": subject.legal_representative,
            "region": subject.region, "address": subject.address, "contact_phone": subject.contact_phone, "people": people}


def share(svc: Services, subject: Subject, contact: str) -> dict[str, Any]:
    """Publish the new subject to the hub's registry. The local registration stands whatever the
    hub answers; the outcome is reported (``shared``, or the hub's refusal)."""
    if svc.subjects is None:
        return {"shared": False, "reason": "no hub"}
    try:
        svc.subjects.publish(hub_record(subject, contact))
    except DomainError as error:
        return {"shared": False, "reason": error.message_en, "code": error.code}
    return {"shared": True}


def subject_for(svc: Services, uow: Any, uscc: str, person: str = "") -> Subject:
    """The local subject of ``uscc``, imported from the hub (with a first user named ``person``)
    when it is unknown here; ``NotFound`` when neither knows it."""
    try:
        found: Subject = uow.subjects.get_by_uscc(uscc)
        return found
    except NotFound:
        remote = svc.subjects.lookup(uscc) if svc.subjects is not None else None
        if remote is None:
            raise
    kind = SubjectKind(remote.kind)
    if kind not in SELF_REGISTERED:
        raise Forbidden(f"a {kind.value} is registered by the platform operator, not imported", message_zh=f"{kind.value} 类主体须由平台运营机构登记",
                        field="uscc")
    now = svc.clock.now()
    subject = Subject(new_id(), remote.uscc, remote.name, kind, now, remote.legal_representative, remote.region, remote.address)
    uow.subjects.add(subject)
    uow.users.add(User(new_id(), person or remote.name, ROLE_OF_KIND[kind], now, subject.id))
    return subject


def import_subject(svc: Services, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """The operator imports a subject from the hub's registry (no data entered again)."""
    require_role(actor, Role.OPERATOR)
    uscc = validate_uscc(p.text(data, "uscc"))
    with svc.uow(actor) as uow:
        if exists(uow, uscc):
            raise Conflict(f"a subject with USCC {uscc} is already registered", message_zh=f"统一社会信用代码 {uscc} 已注册", field="uscc", code="subject_exists")
        subject = subject_for(svc, uow, uscc, p.text(data, "contact_person", default=""))
        uow.commit()
        return {"subject": subject_view(subject), "user_id": uow.users.list_for_subject(subject.id)[0].id}


# ---- credit records sent to the hub ------------------------------------------------------------


def report_credit(svc: Services, actor: Actor, data: Mapping[str, Any]) -> dict[str, Any]:
    """The platform reports a credit record (penalty, award, performance) of a subject to the hub."""
    require_role(actor, Role.OPERATOR, Role.REGULATOR)
    if svc.credit is None:
        raise Conflict("this platform is not linked to a credit platform", message_zh="本平台未接入信用信息平台", field=None, code="no_credit_platform")
    uscc = validate_uscc(p.text(data, "uscc"))
    with svc.uow(actor) as uow:
        name = uow.subjects.get_by_uscc(uscc).name if exists(uow, uscc) else p.text(data, "name")
    basis = p.mapping(data, "basis", default={}) or None
    record = {"id": p.text(data, "id", default=new_id()), "uscc": uscc, "name": name, "kind": p.text(data, "kind"), "title": p.text(data, "title"),
              "date": p.text(data, "date", default=svc.clock.now().isoformat()), "authority": p.text(data, "authority"),
              "basis": None if basis is None else {"law": p.text(basis, "law", "basis."), "article": p.integer(basis, "article", "basis.", minimum=1)},
              "tender_code": p.text(data, "tender_code", default="")}
    return credit_records.report(svc, actor, {k: v for k, v in record.items() if v not in ("", None)})  # audited, then sent

"""Registration of market subjects, users, API tokens and the expert pool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenderhub.core.evaluation.experts import Expert
from tenderhub.core.shared.errors import Conflict, Forbidden, NotFound
from tenderhub.core.shared.ids import validate_uscc
from tenderhub.core.shared.roles import Actor, Role
from tenderhub.core.subjects.model import Subject, SubjectKind, User
from tenderhub.services import parse as p
from tenderhub.services.authz import require_role
from tenderhub.services.context import Services
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
        return {"subject": subject_view(subject), "user_id": user.id, "token": token}


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
    """Authenticate an API token: the acting user with its role and subject."""
    with svc.uow(None) as uow:
        user = uow.tokens.user_for_token(raw)
        if user is None:
            raise Forbidden("unknown or revoked API token", message_zh="API 令牌无效或已吊销", field="authorization")
        subject = uow.subjects.get(user.subject_id) if user.subject_id else None
        return actor_of(user, subject, ip=ip, device=device)


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

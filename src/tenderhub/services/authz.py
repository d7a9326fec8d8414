"""Role-based authorization of the use cases; refusals are ``Forbidden`` domain errors."""

from __future__ import annotations

from tenderhub.core.procedures.model import Tender
from tenderhub.core.shared.errors import Forbidden
from tenderhub.core.shared.roles import Actor, Role

MANAGERS = (Role.TENDERER, Role.AGENCY)


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        names = ", ".join(r.value for r in roles)
        raise Forbidden(
            f"role {actor.role.value} may not do this; it needs {names}",
            message_zh=f"角色 {actor.role.value} 无权进行此操作（需要 {names}）",
            field="role",
        )


def require_manager(tender: Tender, actor: Actor) -> None:
    """The tenderer of this tender or its appointed agency."""
    require_role(actor, *MANAGERS)
    owners = {tender.tenderer.subject_id} | ({tender.agency.subject_id} if tender.agency else set())
    if actor.subject_id not in owners:
        raise Forbidden(
            f"{actor.name or actor.user_id} is neither the tenderer nor the agency of {tender.code}",
            message_zh=f"{actor.name or actor.user_id} 不是 {tender.code} 的招标人或招标代理机构",
            field="tender_id",
        )


def require_operator_or_manager(tender: Tender, actor: Actor) -> None:
    if actor.role is Role.OPERATOR:
        return
    require_manager(tender, actor)

"""The acting party of a request: ``Authorization: Bearer <token>``, client IP and device.

No header means the public (``PUBLIC``); a malformed, unknown or revoked token is a 401.
What the actor may do is decided by the use cases, never here.
"""

from __future__ import annotations

from fastapi import Depends, Header, Request
from fastapi.security import HTTPBearer

from tenderhub.core.shared.errors import Forbidden
from tenderhub.core.shared.roles import PUBLIC, Actor
from tenderhub.services.context import Services
from tenderhub.services.subjects import actor_for_token
from tenderhub.web.common.errors import Unauthenticated

bearer = HTTPBearer(auto_error=False, scheme_name="token",
                    description="Per-user API token (个人 API 令牌): `Authorization: Bearer <token>`; omit it to act as the public.")


async def services(request: Request) -> Services:
    """The platform's services (async: FastAPI would run a plain function in its thread pool)."""
    svc: Services = request.app.state.services
    return svc


def current_actor(
    request: Request,
    svc: Services = Depends(services),
    _scheme: object = Depends(bearer),
    device: str = Header("", alias="X-Device-Fingerprint", description="The client device fingerprint, kept in the audit trail"),
) -> Actor:
    raw = request.headers.get("authorization")
    actor = PUBLIC if raw is None else authenticate(svc, raw, request, device)
    request.state.actor = actor
    return actor


async def lean_actor(
    _scheme: object = Depends(bearer),
    device: str = Header("", alias="X-Device-Fingerprint", description="The client device fingerprint, kept in the audit trail"),
) -> str:
    """What ``current_actor`` declares (the same OpenAPI description) without touching the
    database: a lean route authenticates with ``actor_of_request`` in the worker thread that
    runs its use case (one thread-pool hop instead of three). Returns the device fingerprint."""
    return device


def actor_of_request(request: Request, device: str) -> Actor:
    """``current_actor`` for a lean route (blocking: call it in a worker thread)."""
    return current_actor(request, request.app.state.services, None, device)


def authenticate(svc: Services, raw: str, request: Request, device: str) -> Actor:
    scheme, _, token = raw.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'", "Authorization 头须为 'Bearer <令牌>'")
    ip = request.client.host if request.client else ""
    try:
        return actor_for_token(svc, token.strip(), ip=ip, device=device)
    except Forbidden as error:
        raise Unauthenticated(error.message_en, error.message_zh) from error

"""What every hub route needs from its request: the ``Hub`` and the administrator check.

One place for both, so the route modules (``app.py``, ``subjects.py``, ``blacklist.py``, …) do
not each carry a copy and none has to import the app.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from tenderhub.core.shared.errors import Forbidden
from tenderhub.hub.context import Hub


def the_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def require_admin(request: Request, authorization: str | None) -> None:
    """``Authorization: Bearer <hub admin token>``; an app made with ``admin_token=None`` is open (tests)."""
    expected = request.app.state.admin_token
    given = (authorization or "").removeprefix("Bearer ").strip()
    if expected is not None and not hmac.compare_digest(given.encode(), str(expected).encode()):
        raise Forbidden("this needs the hub administrator token", message_zh="此操作需要公共服务平台管理员令牌", field="authorization")

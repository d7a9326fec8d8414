"""The investment-project registry at the hub (link to 全国投资项目在线审批监管平台).

A tender of a project that needs approval names the project's code (投资项目统一代码, 24
characters ``YYYY-RRRRRR-II-TT-NNNNNN``, ``core/shared/ids.validate_invest_project_code``);
招标投标法 第9条 requires the approval before tendering. The hub keeps the projects the
investment platform has coded, loaded by the hub administrator:

* ``POST /hub/projects`` (hub administrator): ``{projects: [{code, name, owner_uscc, region?,
  approval?, status?}]}`` or one project; a known code is replaced. ``status`` is ``valid``
  (default) or ``revoked``.
* ``GET /hub/projects/{code}``: the project, or 404. Platforms check it through
  ``services/credit.HttpProjectRegistry`` when a tender is created and published.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import Body, FastAPI, Header, Request

from tenderhub.core.shared.errors import Invalid, NotFound
from tenderhub.core.shared.ids import validate_invest_project_code, validate_uscc
from tenderhub.db.types import UtcDateTime
from tenderhub.hub import tables
from tenderhub.hub.access import require_admin, the_hub
from tenderhub.hub.context import Hub

STATUSES = ("valid", "revoked")
APPROVALS = ("审批", "核准", "备案")

projects = sa.Table(
    "hub_projects",
    tables.metadata,
    sa.Column("code", sa.String(24), primary_key=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("owner_uscc", sa.String(18), nullable=False, index=True),
    sa.Column("region", sa.String(6), nullable=False),
    sa.Column("approval", sa.String(8), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
)


def field_text(data: dict[str, Any], key: str, path: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 300:
        raise Invalid(f"{path}{key}: a non-empty text of at most 300 characters is required", message_zh=f"{path}{key}：须为不超过300字的文本",
                      field=f"{path}{key}")
    return value.strip()


def choice(data: dict[str, Any], key: str, path: str, allowed: tuple[str, ...]) -> str:
    value = field_text(data, key, path, allowed[0])
    if value not in allowed:
        raise Invalid(f"{path}{key}: one of {', '.join(allowed)}", message_zh=f"{path}{key}：须为 {'、'.join(allowed)} 之一", field=f"{path}{key}")
    return value


def parse_project(data: Any, path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid(f"{path}: an object is required", message_zh=f"{path}：必须是对象", field=path or "body")
    prefix = f"{path}." if path else ""
    region = field_text(data, "region", prefix, "110000")
    if not (region.isascii() and region.isdigit() and len(region) == 6):
        raise Invalid(f"{prefix}region: 6 digits (GB/T 2260)", message_zh=f"{prefix}region：须为6位行政区划代码（GB/T 2260）", field=f"{prefix}region")
    return {"code": validate_invest_project_code(field_text(data, "code", prefix), field=f"{prefix}code"),
            "name": field_text(data, "name", prefix),
            "owner_uscc": validate_uscc(field_text(data, "owner_uscc", prefix), field=f"{prefix}owner_uscc"),
            "region": region, "approval": choice(data, "approval", prefix, APPROVALS), "status": choice(data, "status", prefix, STATUSES)}


def parse_batch(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("projects"), list):
        return [parse_project(p, f"projects[{i}]") for i, p in enumerate(body["projects"])]
    return [parse_project(body, "")]


def load(hub: Hub, body: Any) -> list[dict[str, Any]]:
    """Validate every project first, then replace or insert them in one transaction."""
    batch, now = parse_batch(body), hub.clock.now()
    with hub.engine.begin() as conn:
        for project in batch:
            conn.execute(sa.delete(projects).where(projects.c.code == project["code"]))
            conn.execute(sa.insert(projects).values(loaded_at=now, **project))
    return [get(hub, p["code"]) for p in batch]


def get(hub: Hub, code: str) -> dict[str, Any]:
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(projects).where(projects.c.code == code)).first()
    if row is None:
        raise NotFound(f"no investment project {code}", message_zh=f"没有投资项目 {code}", field="code")
    return {"code": row.code, "name": row.name, "owner_uscc": row.owner_uscc, "region": row.region,
            "approval": row.approval, "status": row.status, "loaded_at": row.loaded_at.isoformat()}


# ---- the routes ----------------------------------------------------------------------------


def post_projects(request: Request, body: Any = Body(...), authorization: str | None = Header(None)) -> dict[str, Any]:
    """载入投资项目 / Load investment projects from the investment platform (hub administrator token)."""
    require_admin(request, authorization)
    return {"loaded": load(the_hub(request), body)}


def get_project(request: Request, code: str) -> dict[str, Any]:
    """查询投资项目 / One investment project by its 24-character code, or 404."""
    return get(the_hub(request), validate_invest_project_code(code, field="code"))


ROUTES = (
    ("/hub/projects", post_projects, "POST"),
    ("/hub/projects/{code}", get_project, "GET"),
)


def install(app: FastAPI, hub: Hub) -> None:
    for path, handler, method in ROUTES:
        app.add_api_route(path, handler, methods=[method], tags=["hub", "projects"])

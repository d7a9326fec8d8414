"""Credit records at the hub (信用信息共享; cn-rules §8, 条例 第78条, 京条例 第45条).

Trading platforms send the credit records that arise on them, good and bad, signed with their
registered key like a release: ``POST /hub/credit`` ``{platform_id, record, signature}``, the
signature over the canonical JSON of ``record``:

``{id, uscc, name, kind, title, date, authority, basis: {law, article}?, tender_code?}`` with
``kind`` one of ``penalty`` (dataset 300 违法违规/不良行为; ``basis`` required), ``award``
(304 奖励/荣誉) and ``performance`` (305 履约). Idempotent by ``(platform_id, id)``: the same
content again is 200 with the stored entry, other content under the same id 409.

``GET /hub/credit/{uscc}`` serves ``credit_summary``: the subject's records by kind, newest first,
and its active blacklist entries (``blacklist.py``). The portal calls ``credit_summary(hub, uscc)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse

from tenderhub.core.shared.clock import parse_beijing
from tenderhub.core.shared.errors import Conflict, Invalid
from tenderhub.core.shared.ids import validate_uscc
from tenderhub.db.types import JsonType, UtcDateTime
from tenderhub.hub import blacklist, protocol, tables
from tenderhub.hub.access import the_hub
from tenderhub.hub.context import Hub
from tenderhub.hub.subjects import platform_signed

DATASETS = {"penalty": "300", "award": "304", "performance": "305"}

records = sa.Table(
    "hub_credit_records",
    tables.metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform_id", sa.String(64), sa.ForeignKey("hub_platforms.id"), nullable=False),
    sa.Column("record_id", sa.String(64), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("date", UtcDateTime, nullable=False),
    sa.Column("record", JsonType, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("platform_id", "record_id", name="uq_hub_credit_platform_record"),
)


def text(data: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"record.{key}: a non-empty text is required", message_zh=f"record.{key}：必填文本", field=f"record.{key}")
    if len(value.strip()) > (64 if key == "id" else 2000):
        raise Invalid(f"record.{key}: too long", message_zh=f"record.{key}：过长", field=f"record.{key}")
    return value.strip()


def basis_of(data: dict[str, Any], kind: str) -> dict[str, Any] | None:
    if data.get("basis") is None and kind != "penalty":
        return None
    wrapped = {"basis": data.get("basis")}
    try:
        return blacklist.basis_of(wrapped)
    except Invalid as error:
        raise Invalid(f"record.{error.field}: {error.message_en}", message_zh=f"record.{error.field}：{error.message_zh}",
                      field=f"record.{error.field}") from error


def parse_record(data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("kind")
    if kind not in DATASETS:
        raise Invalid(f"record.kind: one of {', '.join(DATASETS)}", message_zh="record.kind：须为 penalty（不良行为）、award（奖励）或 performance（履约）",
                      field="record.kind")
    try:
        day = parse_beijing(text(data, "date"))
    except ValueError as error:
        raise Invalid("record.date: an ISO 8601 date or time is required", message_zh="record.date：须为 ISO 8601 日期或时间", field="record.date") from error
    return {"id": text(data, "id"), "uscc": validate_uscc(text(data, "uscc"), field="record.uscc"), "name": text(data, "name"),
            "kind": kind, "dataset": DATASETS[kind], "title": text(data, "title"), "date": day.isoformat(),
            "authority": text(data, "authority"), "basis": basis_of(data, kind), "tender_code": text(data, "tender_code", required=False)}


def receive(hub: Hub, body: Any) -> tuple[bool, dict[str, Any]]:
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object", message_zh="请求体须为 JSON 对象", field="body")
    platform_id, raw = platform_signed(hub, body, "record")
    record, digest = parse_record(raw), protocol.digest(raw)
    where = sa.and_(records.c.platform_id == platform_id, records.c.record_id == record["id"])
    with hub.engine.begin() as conn:
        known = conn.execute(sa.select(records).where(where)).first()
        if known is not None and known.digest != digest:
            raise Conflict(f"record {record['id']} of {platform_id} was received with other content",
                           message_zh=f"{platform_id} 的信用记录 {record['id']} 已以不同内容报送", field="record.id")
        if known is None:
            conn.execute(sa.insert(records).values(platform_id=platform_id, record_id=record["id"], uscc=record["uscc"], kind=record["kind"],
                                                   date=parse_beijing(record["date"]), record=record, digest=digest,
                                                   signature=body["signature"], received_at=hub.clock.now()))
        return known is None, view(conn.execute(sa.select(records).where(where)).one())


def view(row: Any) -> dict[str, Any]:
    return {**row.record, "source_platform": row.platform_id, "received_at": row.received_at.isoformat(), "signature": row.signature}


def credit_summary(hub: Hub, uscc: str, *, at: datetime | None = None) -> dict[str, Any]:
    """What the hub knows of a subject's credit: records by kind (newest first) and its active
    blacklist entries (all empty for a subject with no record)."""
    code = validate_uscc(uscc)
    query = sa.select(records).where(records.c.uscc == code).order_by(records.c.date.desc(), records.c.seq.desc())
    with hub.engine.connect() as conn:
        found = [view(r) for r in conn.execute(query)]
    listed = blacklist.active(hub, at or hub.clock.now(), code)
    by_kind = {kind: [r for r in found if r["kind"] == kind] for kind in DATASETS}
    return {"uscc": code, "penalties": by_kind["penalty"], "awards": by_kind["award"], "performance": by_kind["performance"],
            "blacklist": listed, "counts": {"penalties": len(by_kind["penalty"]), "awards": len(by_kind["award"]),
                                            "performance": len(by_kind["performance"]), "blacklist": len(listed)}}


# ---- the routes ----------------------------------------------------------------------------


def post_record(request: Request, body: Any = Body(...)) -> JSONResponse:
    """报送信用记录 / A platform's signed credit record: 201 new, 200 the same again, 409 other content."""
    created, entry = receive(the_hub(request), body)
    return JSONResponse(entry, status_code=201 if created else 200)


def get_credit(request: Request, uscc: str) -> dict[str, Any]:
    """信用信息 / A subject's credit records (penalties, awards, performance) and blacklist entries."""
    return credit_summary(the_hub(request), uscc)


ROUTES = (
    ("/hub/credit", post_record, "POST"),
    ("/hub/credit/{uscc}", get_credit, "GET"),
)


def install(app: FastAPI, hub: Hub) -> None:
    for path, handler, method in ROUTES:
        app.add_api_route(path, handler, methods=[method], tags=["hub", "credit"])

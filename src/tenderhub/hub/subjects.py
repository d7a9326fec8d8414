"""The hub's subject registry (市场主体共享注册): register once, use on every trading platform.

A subject is keyed by its 统一社会信用代码 (GB 32100, check character verified) and carries its
name, kind, legal representative, region, address and the people who act for it with their
roles. Three ways to register (and to update: a later registration replaces the record):

* a trading platform, signed with its registered key like a release:
  ``{platform_id, subject: {…}, signature}`` (signature over the canonical JSON of ``subject``;
  ``subject.signed_at`` required and checked as below, so a captured registration of the
  platform cannot be posted again to undo its later update);
* the subject itself, signed with its certificate from a CA on the hub's trust list
  (``trust.py``) whose ``serialNumber`` is the same USCC: ``{certificate, subject, signature}``
  (and ``chain``, the PEMs of the intermediate CAs, when the CA on the list is a root above them);
  ``subject.signed_at`` (ISO 8601 with its offset) is signed with the record: it must be within
  ``FRESHNESS`` before the hub's clock (``CLOCK_SKEW`` after it) and later than the subject's last
  accepted update (its ``signed_at`` if that was signed by a certificate or a platform, else the
  hub's ``updated_at``), so a captured registration cannot be posted again to undo a later
  update; a platform's same registration again (same record) is 200, nothing changed;
* the hub administrator (``Authorization: Bearer <hub admin token>``): ``{subject: {…}}``.

``GET /hub/subjects`` (``kind``, ``limit``, ``offset``) and ``GET /hub/subjects/{uscc}`` are
public: the business-registration facts in clear, personal data masked with
``exchange.privacy`` (people's names, ID numbers, telephones; 个人信息保护法 第6、51条). The
administrator token shows the whole record.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import Body, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from tenderhub.core.shared.ids import validate_uscc
from tenderhub.crypto import certs, keys, signing
from tenderhub.crypto.errors import CryptoError
from tenderhub.db.types import JsonType, UtcDateTime
from tenderhub.exchange.privacy import mask_id_number, mask_name, mask_phone
from tenderhub.hub import protocol, tables
from tenderhub.hub.access import require_admin, the_hub
from tenderhub.hub.context import Hub

KINDS = ("tenderer", "agency", "bidder", "platform", "regulator")
SELF_KINDS = ("tenderer", "agency", "bidder")
ROLES = ("legal_representative", "authorized_agent", "contact", "project_manager", "technical_lead", "finance", "other")
PAGE = 100
MAX_TEXT = 200
FRESHNESS = timedelta(minutes=5)  # a self-signed registration older than this is refused
CLOCK_SKEW = timedelta(seconds=30)  # allowed for a subject's clock ahead of the hub's
SIGNED_BY = ("certificate:", "platform:")  # registrants whose record carries a signed ``signed_at``

subjects = sa.Table(
    "hub_subjects",
    tables.metadata,
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, index=True),
    sa.Column("record", JsonType, nullable=False),
    sa.Column("registered_by", sa.String(200), nullable=False),
    sa.Column("registered_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)


# ---- parsing -------------------------------------------------------------------------------


def text(data: dict[str, Any], key: str, path: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(f"{path}{key}: a non-empty text is required", message_zh=f"{path}{key}：必填文本", field=f"{path}{key}")
    if len(value.strip()) > MAX_TEXT:
        raise Invalid(f"{path}{key}: at most {MAX_TEXT} characters", message_zh=f"{path}{key}：最多 {MAX_TEXT} 个字符", field=f"{path}{key}")
    return value.strip()


def person(data: Any, path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid(f"{path}: an object is required", message_zh=f"{path}：必须是对象", field=path)
    roles = data.get("roles")
    if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles):
        raise Invalid(f"{path}.roles: a non-empty list of {', '.join(ROLES)}", message_zh=f"{path}.roles：须为非空角色列表（{'、'.join(ROLES)}）",
                      field=f"{path}.roles")
    return {"name": text(data, "name", f"{path}."), "roles": sorted(set(roles)),
            "id_number": text(data, "id_number", f"{path}.", required=False), "phone": text(data, "phone", f"{path}.", required=False)}


def parse_subject(data: Any) -> dict[str, Any]:
    """The record as stored (``subject.`` paths in errors)."""
    if not isinstance(data, dict):
        raise Invalid("subject: an object is required", message_zh="subject：必须是对象", field="subject")
    kind = data.get("kind")
    if kind not in KINDS:
        raise Invalid(f"subject.kind: one of {', '.join(KINDS)}", message_zh=f"subject.kind：须为 {'、'.join(KINDS)} 之一", field="subject.kind")
    people = data.get("people", [])
    if not isinstance(people, list):
        raise Invalid("subject.people: a list is required", message_zh="subject.people：必须是列表", field="subject.people")
    return {"uscc": validate_uscc(text(data, "uscc", "subject."), field="subject.uscc"), "name": text(data, "name", "subject."),
            "kind": kind, "legal_representative": text(data, "legal_representative", "subject."),
            "region": text(data, "region", "subject.", required=False) or "110000",
            "address": text(data, "address", "subject.", required=False),
            "contact_phone": text(data, "contact_phone", "subject.", required=False),
            "people": [person(p, f"subject.people[{i}]") for i, p in enumerate(people)]}


# ---- who registers --------------------------------------------------------------------------


def signature_bytes(value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid("signature: base64 is required", message_zh="signature：须为 base64", field="signature") from exc


def platform_signed(hub: Hub, body: dict[str, Any], key: str) -> tuple[str, dict[str, Any]]:
    """``{platform_id, <key>, signature}`` verified with the platform's registered key."""
    from tenderhub.hub.ingest import Envelope, authenticate

    payload, signature, platform_id = body.get(key), body.get("signature"), body.get("platform_id")
    if not isinstance(payload, dict) or not isinstance(signature, str) or not isinstance(platform_id, str):
        raise Invalid(f"{{platform_id, {key}, signature}} is required", message_zh=f"须为 {{platform_id, {key}, signature}}", field=key)
    authenticate(hub, Envelope(platform_id, payload, signature))
    return platform_id, payload


def certificate_signed(hub: Hub, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The subject's own registration: its certificate (on the hub's trust list) signs ``subject``."""
    from tenderhub.hub.trust import trust_list

    payload = body.get("subject")
    if not isinstance(payload, dict):
        raise Invalid("subject: an object is required", message_zh="subject：必须是对象", field="subject")
    chain = certs.chain_field(body.get("chain"))
    try:
        info = trust_list(hub).validate(str(body.get("certificate") or "").encode(), hub.clock.now(), chain=chain)
    except CryptoError as error:
        raise Forbidden(error.message_en, message_zh=error.message_zh, field="certificate") from error
    if not signing.verify(keys.suite_of(info.public_pem), info.public_pem, protocol.canonical(payload), signature_bytes(body.get("signature"))):
        raise Forbidden("the signature does not verify with the certificate's key", message_zh="签名无法用证书公钥验证", field="signature")
    if info.uscc != payload.get("uscc") or payload.get("kind") not in SELF_KINDS:
        raise Forbidden("a certificate registers only its own subject (same USCC; tenderer, agency or bidder)",
                        message_zh="证书只能登记其本身的主体（统一社会信用代码一致，且为招标人、代理机构或投标人）", field="subject.uscc")
    return f"certificate:{info.fingerprint[:16]}", payload


def signed_at_of(hub: Hub, payload: dict[str, Any]) -> datetime:
    """The signed ``subject.signed_at``, within the freshness window of the hub's clock."""
    try:
        at = datetime.fromisoformat(str(payload.get("signed_at") or ""))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise Invalid("subject.signed_at: an ISO 8601 time with its offset is required, signed with the record",
                      message_zh="subject.signed_at：须为带时区的 ISO 8601 时间，并随登记信息一并签名", field="subject.signed_at")
    now = hub.clock.now()
    if not now - FRESHNESS <= at <= now + CLOCK_SKEW:
        raise Forbidden(f"subject.signed_at {at.isoformat()} is outside the freshness window ({int(FRESHNESS.total_seconds())} s before "
                        f"the hub's time {now.isoformat()}, {int(CLOCK_SKEW.total_seconds())} s after it): sign the registration again",
                        message_zh=f"subject.signed_at {at.isoformat()} 超出时效（公共服务平台时间 {now.isoformat()} 之前 {int(FRESHNESS.total_seconds())} 秒至"
                                   f"之后 {int(CLOCK_SKEW.total_seconds())} 秒）：请重新签名登记", field="subject.signed_at", code="stale_registration")
    return at


def last_update(known: Any) -> datetime:
    """When the subject's record was last accepted: its signed time if signed by a certificate or a
    platform, else the hub's."""
    signed = known.record.get("signed_at") if known.registered_by.startswith(SIGNED_BY) else None
    return datetime.fromisoformat(signed) if signed else known.updated_at  # type: ignore[no-any-return]


def refuse_replay(known: Any, signed_at: datetime | None) -> None:
    if signed_at is not None and known is not None and signed_at <= last_update(known):
        raise Conflict(f"subject.signed_at {signed_at.isoformat()} is not later than the subject's last accepted update "
                       f"({last_update(known).isoformat()}): a replayed or out-of-order registration is refused",
                       message_zh=f"subject.signed_at {signed_at.isoformat()} 不晚于该主体最近一次被接受的更新（{last_update(known).isoformat()}）："
                                  "重放或顺序错乱的登记被拒绝", field="subject.signed_at", code="replayed_registration")


def registrant(hub: Hub, request: Request, body: Any, authorization: str | None) -> tuple[str, dict[str, Any]]:
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object", message_zh="请求体须为 JSON 对象", field="body")
    if "platform_id" in body:
        platform_id, payload = platform_signed(hub, body, "subject")
        return f"platform:{platform_id}", payload
    if "certificate" in body:
        return certificate_signed(hub, body)
    require_admin(request, authorization)
    return "hub-admin", body.get("subject", body)


# ---- the store -----------------------------------------------------------------------------


def save(hub: Hub, record: dict[str, Any], by: str, signed_at: datetime | None = None) -> tuple[bool, dict[str, Any]]:
    now, t = hub.clock.now(), subjects
    values = {"name": record["name"], "kind": record["kind"], "record": record, "registered_by": by, "updated_at": now}
    with hub.engine.begin() as conn:
        known = conn.execute(sa.select(t.c.uscc, t.c.registered_by, t.c.record, t.c.updated_at).where(t.c.uscc == record["uscc"]).with_for_update()).first()
        if known is not None and by.startswith("platform:") and known.registered_by == by and known.record == record:
            return False, full_view(conn.execute(sa.select(t).where(t.c.uscc == record["uscc"])).one())  # a platform's same again: 200
        refuse_replay(known, signed_at)
        if known is None:
            try:
                conn.execute(sa.insert(t).values(uscc=record["uscc"], registered_at=now, **values))
            except sa.exc.IntegrityError as error:  # registered at the same moment by another request
                raise Conflict(f"{record['uscc']} was just registered; try again", message_zh=f"{record['uscc']} 刚被登记，请重试",
                               field="subject.uscc", code="subject_exists") from error
        elif by.startswith("platform:") and known.registered_by != by:
            raise Conflict(f"{record['uscc']} is already registered at the hub by {known.registered_by}",
                           message_zh=f"{record['uscc']} 已由 {known.registered_by} 在公共服务平台登记", field="subject.uscc", code="subject_exists")
        else:
            conn.execute(sa.update(t).where(t.c.uscc == record["uscc"]).values(**values))
        return known is None, full_view(conn.execute(sa.select(t).where(t.c.uscc == record["uscc"])).one())


def full_view(row: Any) -> dict[str, Any]:
    return {**row.record, "registered_by": row.registered_by, "registered_at": row.registered_at.isoformat(),
            "updated_at": row.updated_at.isoformat()}


def public_view(row: Any) -> dict[str, Any]:
    """Business-registration facts in clear; people's names, ID numbers and telephones masked."""
    view = full_view(row)
    view["contact_phone"] = mask_phone(view["contact_phone"]) if view["contact_phone"] else ""
    view["people"] = [{"name": mask_name(p["name"]), "roles": p["roles"], "id_number": mask_id_number(p["id_number"]) if p["id_number"] else "",
                       "phone": mask_phone(p["phone"]) if p["phone"] else ""} for p in view["people"]]
    return view


def find(hub: Hub, uscc: str) -> Any:
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(subjects).where(subjects.c.uscc == uscc)).first()
    if row is None:
        raise NotFound(f"{uscc} is not registered at the hub", message_zh=f"{uscc} 未在公共服务平台登记", field="uscc")
    return row


def listing(hub: Hub, kind: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    query = sa.select(subjects).order_by(subjects.c.uscc).limit(max(1, min(limit, PAGE))).offset(max(0, offset))
    if kind is not None:
        query = query.where(subjects.c.kind == kind)
    with hub.engine.connect() as conn:
        return [public_view(r) for r in conn.execute(query)]


# ---- the routes ----------------------------------------------------------------------------


def is_admin(request: Request, authorization: str | None) -> bool:
    try:
        require_admin(request, authorization)
    except Forbidden:
        return False
    return True


def post_subject(request: Request, body: Any = Body(...), authorization: str | None = Header(None)) -> JSONResponse:
    """登记市场主体 / Register (or update) a subject: signed by a platform, by the subject's certificate, or by the administrator."""
    hub = the_hub(request)
    by, payload = registrant(hub, request, body, authorization)
    record = parse_subject(payload)
    signed_at = signed_at_of(hub, payload) if by.startswith(SIGNED_BY) else None
    if signed_at is not None:
        record["signed_at"] = signed_at.isoformat()
    created, view = save(hub, record, by, signed_at)
    return JSONResponse(view, status_code=201 if created else 200)


def list_subjects(request: Request, kind: str | None = None, limit: int = PAGE, offset: int = 0) -> list[dict[str, Any]]:
    """市场主体名录 / The public registry of subjects (personal data masked)."""
    return listing(the_hub(request), kind, limit, offset)


def get_subject(request: Request, uscc: str, authorization: str | None = Header(None)) -> dict[str, Any]:
    """查询市场主体 / One subject: public view, or the whole record with the administrator token."""
    row = find(the_hub(request), validate_uscc(uscc))
    return full_view(row) if is_admin(request, authorization) else public_view(row)


ROUTES = (
    ("/hub/subjects", post_subject, "POST"),
    ("/hub/subjects", list_subjects, "GET"),
    ("/hub/subjects/{uscc}", get_subject, "GET"),
)


def install(app: FastAPI, hub: Hub) -> None:
    for path, handler, method in ROUTES:
        app.add_api_route(path, handler, methods=[method], tags=["hub", "subjects"])

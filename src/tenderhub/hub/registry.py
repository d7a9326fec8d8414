"""The registry of trading platforms (交易平台登记), listed publicly.

A platform registers with its signing key (PEM, ``intl`` P-256 or ``gm`` SM2) or a
certificate carrying it, and the information item 11 of the work plan (京发改[2017]1671号)
requires every trading platform to publish: the units that build, operate, develop and
maintain it and their responsible people, the testing and certification report (and mark),
the technical specifications of its tool software and interfaces, and its free and paid
services with their fees. The listing adds the platform's live exchange figures
(平台对接和数据交互动态): releases accepted and the time of the last one.

Members of ``kind`` ``hub`` are lower hubs of the tree (电子招标投标办法 第45条, ``hub/tree.py``):
they register their key only and sign no releases (``platform_key`` finds platforms only);
``via`` names the lower hub a forwarded platform came through.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from tenderhub.core.shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from tenderhub.crypto import keys, x509
from tenderhub.crypto.errors import CryptoError
from tenderhub.db.engine import sqlite_write_lock
from tenderhub.hub import tables
from tenderhub.hub.context import Hub

PLATFORM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
# the OCP prefix, perhaps narrowed (ocds-abc123-TH11-, or by a fixed-length platform code: ocds-abc123-TH110000001)
OCID_PREFIX = re.compile(r"^ocds-[A-Za-z0-9]{6}-([A-Za-z0-9._]+-)*[A-Za-z0-9._]*$")
UNITS = ("construction", "operation", "development", "maintenance")
KINDS = ("platform", "hub")
REGISTRY_LOCK_KEY = 0x7E61_5701  # pg_advisory_xact_lock key of registrations (``lock``)


def text(data: Any, path: str, *, required: bool = True) -> str:
    value = data.get(path.rsplit(".", 1)[-1].split("[")[0]) if isinstance(data, dict) else None
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{path}: a non-empty text is required", message_zh=f"{path}：必填文本", field=path)
    return value.strip()


def section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise Invalid(f"{name}: an object is required", message_zh=f"{name}：必须是对象", field=name)
    return value


def items(data: dict[str, Any], name: str, *, allow_empty: bool = True) -> list[dict[str, Any]]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value) or (not value and not allow_empty):
        raise Invalid(f"{name}: a list of objects is required", message_zh=f"{name}：必须是对象列表", field=name)
    return value


def fee(value: Any, path: str) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal(-1)
    if isinstance(value, float) or not amount.is_finite() or amount < 0:
        raise Invalid(f"{path}: a non-negative decimal amount (as a string) is required", message_zh=f"{path}：收费标准须为非负金额", field=path)
    return str(amount)


def parse_info(data: dict[str, Any]) -> dict[str, Any]:
    units, cert, specs, services = (section(data, n) for n in ("units", "certification", "specifications", "services"))
    people = items(data, "responsible_people", allow_empty=False)
    return {
        "units": {u: text(units, f"units.{u}") for u in UNITS},
        "responsible_people": [{"name": text(p, f"responsible_people[{i}].name"), "role": text(p, f"responsible_people[{i}].role")}
                               for i, p in enumerate(people)],
        "certification": {"report": text(cert, "certification.report"), "mark": text(cert, "certification.mark", required=False)},
        "specifications": {"tool_software": text(specs, "specifications.tool_software"), "interface": text(specs, "specifications.interface")},
        "services": parse_services(services),
    }


def parse_services(services: dict[str, Any]) -> dict[str, Any]:
    free = [{"name": text(s, f"services.free[{i}].name")} for i, s in enumerate(items(services, "free"))]
    paid = [{"name": text(s, f"services.paid[{i}].name"), "fee": fee(s.get("fee"), f"services.paid[{i}].fee"),
             "unit": text(s, f"services.paid[{i}].unit", required=False)} for i, s in enumerate(items(services, "paid"))]
    return {"free": free, "paid": paid}


def signing_key(data: dict[str, Any]) -> tuple[bytes, bytes | None]:
    """The public key PEM, and the certificate when one was given instead of a bare key."""
    cert, pem = data.get("certificate_pem"), data.get("public_key_pem")
    try:
        if isinstance(cert, str) and cert.strip():
            return x509.cert_info(cert.encode()).public_pem, cert.encode()
        if isinstance(pem, str) and pem.strip():
            keys.suite_of(pem.encode())
            return pem.encode(), None
    except (CryptoError, ValueError) as exc:
        field = "certificate_pem" if cert else "public_key_pem"
        raise Invalid(f"{field}: {exc}", message_zh=f"{field}：无法读取签名公钥或证书", field=field) from None
    raise Invalid("public_key_pem or certificate_pem is required", message_zh="须提供签名公钥或证书", field="public_key_pem")


def register(hub: Hub, data: Any) -> dict[str, Any]:
    row = member_row(hub, data)
    with hub.engine.begin() as conn:
        lock(conn)
        if conn.execute(sa.select(tables.platforms.c.id).where(tables.platforms.c.id == row["id"])).first():
            raise Conflict(f"platform {row['id']} is already registered", message_zh=f"交易平台 {row['id']} 已登记", field="id")
        refuse_overlap(conn, row["ocid_prefix"])
        conn.execute(sa.insert(tables.platforms).values(**row))
    return get(hub, row["id"])


def ocid_prefix(data: dict[str, Any]) -> str | None:
    """The platform's OCDS ocid prefix (optional): its contracting processes, and no other's."""
    value = data.get("ocid_prefix")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64 or not OCID_PREFIX.match(value):
        raise Invalid("ocid_prefix: ocds-, six letters or digits and '-', optionally narrowed (ocds-abc123-TH11-, ocds-abc123-TH110000001)",
                      message_zh="ocid_prefix：须为 ocds- 加六位字母数字和 -，可再细分（ocds-abc123-TH11-、ocds-abc123-TH110000001）",
                      field="ocid_prefix")
    return value


def lock(conn: sa.Connection) -> None:
    """The registry's lock, held to the commit: the first statement of a transaction that checks
    the registry and then inserts into it (SQLite: the database's write lock, taken before the
    first read, so the read is not stale; PostgreSQL: a transaction-scoped advisory lock, the
    reads after it see every registration committed before it). Registrations are rare."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(REGISTRY_LOCK_KEY)))
    else:
        sqlite_write_lock(conn, tables.platforms)


def refuse_overlap(conn: sa.Connection, prefix: str | None) -> None:
    """No two platforms' prefixes overlap (one a prefix of the other), so each ocid has at most one
    owner. Call it under ``lock`` (taken before the transaction's first read), and insert in the
    same transaction: a check and an insert under one lock, not a read-then-insert race."""
    if prefix is None:
        return
    p = tables.platforms
    for row in conn.execute(sa.select(p.c.id, p.c.ocid_prefix).where(p.c.ocid_prefix.is_not(None))):
        if row.ocid_prefix.startswith(prefix) or prefix.startswith(row.ocid_prefix):
            raise Conflict(f"ocid_prefix {prefix} overlaps {row.ocid_prefix} of platform {row.id}",
                           message_zh=f"ocid_prefix {prefix} 与交易平台 {row.id} 的 {row.ocid_prefix} 重叠", field="ocid_prefix")


def member_row(hub: Hub, data: Any, *, via: str | None = None) -> dict[str, Any]:
    """The registry row of a trading platform (item-11 information required) or, with ``kind``
    ``hub``, of a lower hub of the tree (its id, name and signing key only; ``hub/tree.py``)."""
    if not isinstance(data, dict):
        raise Invalid("a JSON object is required", message_zh="须为 JSON 对象", field=None)
    platform_id, name, kind = text(data, "id"), text(data, "name"), data.get("kind", "platform")
    if not PLATFORM_ID.match(platform_id):
        raise Invalid("id: letters, digits, '.', '_' or '-' (2–64)", message_zh="id：只能含字母、数字、点、下划线、连字符", field="id")
    if kind not in KINDS:
        raise Invalid(f"kind: one of {', '.join(KINDS)}", message_zh="kind：须为 platform 或 hub", field="kind")
    public, cert = signing_key(data)
    return {"id": platform_id, "name": name, "suite": keys.suite_of(public), "public_pem": public.decode(),
            "certificate_pem": cert.decode() if cert else None, "key_fingerprint": keys.fingerprint(public),
            "info": parse_info(data) if kind == "platform" else {}, "registered_at": hub.clock.now(), "kind": kind, "via": via,
            "ocid_prefix": ocid_prefix(data) if kind == "platform" else None}


def misrouted(conn: sa.Connection, rows: Sequence[Any], via: str | None) -> dict[str, DomainError]:
    """The platforms of ``rows`` (``id``, ``via``) whose items may not come by this route (ADR 0029):
    a platform registered through a lower hub reaches this hub only through that hub, with proof
    of inclusion in its log (``via`` is that hub's id: ``hub/proven.py``), unless that hub was
    flagged (a fork, a false claim: ``hub/flags.py``; ADR 0015: its platforms' own signatures
    still count, posted by anyone); a lower hub forwards only the platforms registered through it."""
    from tenderhub.hub import flags  # flags imports transparency, which imports this module

    forked = flags.flagged(conn, (r.via for r in rows if r.via is not None and r.via != via))
    return {r.id: error for r in rows if (error := _route_error(r.id, r.via, via, forked)) is not None}


def _route_error(platform_id: str, registered: str | None, via: str | None, forked: set[str]) -> DomainError | None:
    if registered == via or (via is None and registered in forked):
        return None
    if via is None:
        return Forbidden(f"platform {platform_id} is registered through lower hub {registered}: its releases and chain heads reach "
                         f"this hub through that hub, with proof of inclusion in its log", field="/platform_id", code="forwarded_only",
                         message_zh=f"交易平台 {platform_id} 经下级公共服务平台 {registered} 登记：其发布和审计链头须经该平台转发并附其日志的包含证明")
    return Forbidden(f"platform {platform_id} is not registered through hub {via}", field="/platform_id", code="not_via_this_hub",
                     message_zh=f"交易平台 {platform_id} 并非经公共服务平台 {via} 登记")


def platform_key(hub: Hub, platform_id: str) -> tuple[str, bytes] | None:
    t = tables.platforms
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(t.c.suite, t.c.public_pem).where(t.c.id == platform_id, t.c.kind == "platform")).first()
    return (row.suite, row.public_pem.encode()) if row else None


def listing(hub: Hub) -> list[dict[str, Any]]:
    with hub.engine.connect() as conn:
        rows = conn.execute(_listing_query().order_by(tables.platforms.c.id)).all()
    return [view(r) for r in rows]


def get(hub: Hub, platform_id: str) -> dict[str, Any]:
    with hub.engine.connect() as conn:
        row = conn.execute(_listing_query().where(tables.platforms.c.id == platform_id)).first()
    if row is None:
        raise NotFound(f"no platform {platform_id}", message_zh=f"没有交易平台 {platform_id}", field="platform_id")
    return view(row)


def _listing_query() -> sa.Select[Any]:
    p, r = tables.platforms, tables.releases
    stats = (sa.select(r.c.platform_id, sa.func.count().label("count"), sa.func.max(r.c.received_at).label("last_at"))
             .group_by(r.c.platform_id).subquery())
    return sa.select(p, stats.c.count, stats.c.last_at).outerjoin(stats, stats.c.platform_id == p.c.id)


def view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "kind": row.kind, "via": row.via, "ocid_prefix": row.ocid_prefix, **row.info,
            "signing_key": {"suite": row.suite, "public_pem": row.public_pem, "fingerprint": row.key_fingerprint},
            "certificate_pem": row.certificate_pem, "registered_at": row.registered_at.isoformat(),
            "exchange": {"releases": row.count or 0, "last_release_at": row.last_at.isoformat() if row.last_at else None}}

"""Certificate revocation lists of the hub's trust list (CA 互认 includes revocations, DESIGN §4).

* ``POST /hub/trust-list/crls`` (hub administrator): ``{crl_pem, issuer_pem?}`` publishes a CA's
  CRL. Without ``issuer_pem`` the CRL must be signed by an active CA of the trust list; with it
  (an intermediate CA, optionally followed by the intermediates above it) the CRL must be signed
  by that CA and the CA must chain to an active CA of the list (``crypto/chain.py``). One CRL is
  kept per issuing CA (by the SHA-256 fingerprint of its certificate): a newer one
  (``thisUpdate``) replaces it, an older one is refused (409 ``crl_not_newer``), the same one
  again (the same DER) is a repeat (200). A CRL already past its ``nextUpdate`` is refused. The
  hub also fetches CRLs itself and publishes them here (``crlpull.py``, ADR 0030).
* ``GET /hub/trust-list/crls``: every kept CRL with its issuer, times and PEM (public); the same
  list is the ``crls`` member of ``GET /hub/trust-list``, so platforms that take the trust list
  take the revocations with it (``services/identity.HttpTrustList``).

Every certificate check of the hub (``trust.trust_list``: single sign-on, self-registration)
uses these CRLs: a revoked holder or intermediate is refused, and past a CRL's ``nextUpdate``
the status of the certificates under that CA is unknown, so they are refused until a current
CRL is published (fail closed, as on the platform: ``crypto/crl.py``; 电子签名法 第13条).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import serialization
from fastapi import Body, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from tenderhub.core.shared.errors import Conflict, Invalid
from tenderhub.crypto import certs, crl
from tenderhub.crypto import chain as ca_chain
from tenderhub.crypto.errors import CryptoError
from tenderhub.db.engine import sqlite_write_lock
from tenderhub.db.types import UtcDateTime
from tenderhub.hub import tables
from tenderhub.hub.access import require_admin, the_hub
from tenderhub.hub.context import Hub

PATH = "/hub/trust-list/crls"

crls = sa.Table(
    "hub_trust_crls",
    tables.metadata,
    sa.Column("issuer_fingerprint", sa.String(64), primary_key=True),  # SHA-256 of the issuing CA's certificate
    sa.Column("issuer_name", sa.String(500), nullable=False),
    sa.Column("issuer_pem", sa.Text, nullable=False),
    sa.Column("crl_pem", sa.Text, nullable=False),
    sa.Column("this_update", UtcDateTime, nullable=False),
    sa.Column("next_update", UtcDateTime, nullable=True),
    sa.Column("revoked", sa.Integer, nullable=False),
    sa.Column("published_at", UtcDateTime, nullable=False),
)


def invalid(field: str, error: CryptoError) -> Invalid:
    return Invalid(f"{field}: {error.message_en}", message_zh=f"{field}：{error.message_zh}", field=field)


def text_of(data: Any, name: str, *, required: bool) -> str | None:
    value = data.get(name) if isinstance(data, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{name}: a PEM text is required", message_zh=f"{name}：须提供 PEM 文本", field=name)
    return value.strip() + "\n"


def issuer_of(hub: Hub, found: cx509.CertificateRevocationList, issuer_pem: str | None) -> cx509.Certificate:
    """The CA that signed the CRL: an active CA of the list, or ``issuer_pem`` chained to one."""
    from tenderhub.hub.trust import anchors

    listed, data = anchors(hub), found.public_bytes(serialization.Encoding.PEM)
    if issuer_pem is None:
        return crl.checked(data, listed).issuer
    try:
        given = certs.load_all(issuer_pem.encode(), field="issuer_pem")
        issuer = crl.checked(data, given[:1]).issuer
        if not certs.is_ca(issuer):
            raise Invalid("issuer_pem: not a CA certificate", message_zh="issuer_pem：不是 CA 证书", field="issuer_pem")
        if not any(certs.same_ca(issuer, ca) for ca in listed):
            now = hub.clock.now()
            ca_chain.validate(issuer, listed, ca_chain.pool_of(listed, given[1:]), now, now, ca_chain.crl_check([], []))
    except CryptoError as error:
        raise invalid("issuer_pem" if error.field != "crl" else "crl_pem", error) from error
    return issuer


def parse(hub: Hub, data: Any) -> tuple[cx509.CertificateRevocationList, cx509.Certificate, str]:
    pem = text_of(data, "crl_pem", required=True)
    assert pem is not None
    try:
        found = crl.load(pem.encode())
        issuer = issuer_of(hub, found, text_of(data, "issuer_pem", required=False))
    except CryptoError as error:
        raise invalid("crl_pem", error) from error
    following = found.next_update_utc
    if following is not None and following <= hub.clock.now():
        raise Invalid(f"crl_pem: the CRL expired at {following.isoformat()} (nextUpdate): publish a current one",
                      message_zh="crl_pem：该证书吊销列表已过期（nextUpdate），请发布当前的吊销列表", field="crl_pem")
    return found, issuer, pem


def publish(hub: Hub, data: Any) -> tuple[bool, dict[str, Any]]:
    """Keep the CRL when it is its CA's newest: (stored, the kept entry)."""
    found, issuer, pem = parse(hub, data)
    try:
        return _store(hub, found, issuer, pem)
    except sa.exc.IntegrityError:  # the first CRL of this CA published concurrently: judge against it
        return _store(hub, found, issuer, pem)


def _store(hub: Hub, found: cx509.CertificateRevocationList, issuer: cx509.Certificate, pem: str) -> tuple[bool, dict[str, Any]]:
    key = certs.fingerprint(issuer)
    row: dict[str, Any] = {"issuer_name": issuer.subject.rfc4514_string(), "issuer_pem": certs.pem(issuer).decode(), "crl_pem": pem,
           "this_update": found.last_update_utc, "next_update": found.next_update_utc, "revoked": len(found),
           "published_at": hub.clock.now()}
    with hub.engine.begin() as conn:
        sqlite_write_lock(conn, crls)
        known = conn.execute(sa.select(crls).where(crls.c.issuer_fingerprint == key).with_for_update()).first()
        if known is not None and same(known.crl_pem, found):
            return False, view(known)
        if known is not None and known.this_update >= row["this_update"]:
            raise not_newer(row["issuer_name"], known.this_update)
        if known is None:
            conn.execute(sa.insert(crls).values(issuer_fingerprint=key, **row))
        else:
            conn.execute(sa.update(crls).where(crls.c.issuer_fingerprint == key).values(**row))
        return True, view(conn.execute(sa.select(crls).where(crls.c.issuer_fingerprint == key)).one())


def same(kept_pem: str, found: cx509.CertificateRevocationList) -> bool:
    """The same CRL again (pushed as PEM text of another layout, or fetched as DER): the same DER."""
    return crl.load(kept_pem.encode()).public_bytes(serialization.Encoding.DER) == found.public_bytes(serialization.Encoding.DER)


def not_newer(issuer: str, kept: Any) -> Conflict:
    return Conflict(f"crl_pem: the hub keeps a CRL of {issuer} issued at {kept.isoformat()} or later: only a newer CRL replaces it",
                    message_zh=f"crl_pem：已保存 {issuer} 同时或更晚签发的证书吊销列表，只接受更新的吊销列表",
                    field="crl_pem", code="crl_not_newer")


def view(row: Any) -> dict[str, Any]:
    return {"issuer_fingerprint": row.issuer_fingerprint, "issuer_name": row.issuer_name,
            "this_update": row.this_update.isoformat(), "next_update": row.next_update.isoformat() if row.next_update else None,
            "revoked": row.revoked, "published_at": row.published_at.isoformat(), "issuer_pem": row.issuer_pem,
            "crl_pem": row.crl_pem}


def entries(hub: Hub) -> list[dict[str, Any]]:
    with hub.engine.connect() as conn:
        return [view(r) for r in conn.execute(sa.select(crls).order_by(crls.c.issuer_fingerprint))]


def pems(hub: Hub) -> list[bytes]:
    """Every kept CRL (checked again on use by ``x509.TrustList``)."""
    return [e["crl_pem"].encode() for e in entries(hub)]


# ---- the routes ----------------------------------------------------------------------------


def get_crls(request: Request) -> dict[str, Any]:
    """证书吊销列表 / The CRLs of the trust list's CAs (and of intermediates under them)."""
    return {"crls": entries(the_hub(request))}


def post_crl(request: Request, body: Any = Body(...), authorization: str | None = Header(None)) -> JSONResponse:
    """发布证书吊销列表 / Publish a CA's CRL (hub administrator token); the newest per CA is kept."""
    require_admin(request, authorization)
    stored, entry = publish(the_hub(request), body)
    return JSONResponse(entry, status_code=201 if stored else 200)


def install(app: FastAPI) -> None:
    app.add_api_route(PATH, get_crls, methods=["GET"], tags=["hub", "trust"])
    app.add_api_route(PATH, post_crl, methods=["POST"], tags=["hub", "trust"])

"""The hub's trust list (CA 互认, mutual recognition of certificates, DESIGN §4).

* ``GET /hub/trust-list``: every CA the hub has listed, with its name, fingerprint (SHA-256 of
  the certificate), status (``active`` or ``removed``), times and the certificate PEM.
* ``POST /hub/trust-list`` (hub administrator): ``{certificate_pem, name?}`` adds a CA
  certificate (it must be a CA: basic constraints ``ca`` and key usage ``keyCertSign``); adding
  a removed CA again makes it active.
* ``DELETE /hub/trust-list/{fingerprint}?reason=…`` (hub administrator): the CA is removed; the
  entry stays with its removal time and reason.
* ``GET``/``POST /hub/trust-list/crls``: the CAs' certificate revocation lists (``crls.py``);
  ``GET /hub/trust-list`` carries them as ``crls`` next to ``cas``. ``POST /hub/trust-list/crls:fetch``
  fetches them from the CAs' distribution points and registered URLs (``crlpull.py``,
  ``/hub/trust-list/crl-urls``: ``crlsources.py``).

Every trading platform accepts a certificate that chains to an active CA of this list (its
client is ``services/identity.HttpTrustList``, which takes the CRLs too); the hub uses it, with
the CRLs, for its own certificate checks (self-registration, single sign-on). The listed CAs are trust anchors (roots): the intermediate
CAs under them come with each certificate (``chain``) and the whole path is checked
(``crypto/chain.py``, ADR 0017).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from cryptography.x509.oid import NameOID
from fastapi import Body, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from tenderhub.core.shared.errors import Invalid, NotFound
from tenderhub.crypto import certs, x509
from tenderhub.crypto.errors import CryptoError
from tenderhub.db.types import UtcDateTime
from tenderhub.hub import crlpull, crls, crlsources, tables
from tenderhub.hub.access import require_admin, the_hub
from tenderhub.hub.context import Hub

ACTIVE, REMOVED = "active", "removed"

cas = sa.Table(
    "hub_trust_cas",
    tables.metadata,
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("certificate_pem", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("added_at", UtcDateTime, nullable=False),
    sa.Column("removed_at", UtcDateTime, nullable=True),
    sa.Column("removal_reason", sa.Text, nullable=True),
)


def parse_ca(data: Any) -> tuple[str, str, str]:
    """(fingerprint, name, PEM) of a CA certificate, or ``Invalid`` naming ``certificate_pem``."""
    pem = data.get("certificate_pem") if isinstance(data, dict) else None
    if not isinstance(pem, str) or not pem.strip():
        raise Invalid("certificate_pem: a PEM CA certificate is required", message_zh="certificate_pem：须提供 PEM 格式的 CA 证书", field="certificate_pem")
    try:
        x509.TrustList([pem.encode()])
        info = x509.load(pem.encode())
    except CryptoError as error:
        raise Invalid(f"certificate_pem: {error.message_en}", message_zh=f"certificate_pem：{error.message_zh}", field="certificate_pem") from error
    names = info.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = data.get("name") or (str(names[0].value) if names else "")
    if not isinstance(name, str) or not name.strip():
        raise Invalid("name: the CA needs a name", message_zh="name：须注明 CA 名称", field="name")
    return certs.fingerprint(info), name.strip(), pem.strip() + "\n"


def add(hub: Hub, data: Any) -> tuple[bool, dict[str, Any]]:
    fingerprint, name, pem = parse_ca(data)
    with hub.engine.begin() as conn:
        known = conn.execute(sa.select(cas.c.status).where(cas.c.fingerprint == fingerprint)).first()
        values = {"name": name, "certificate_pem": pem, "status": ACTIVE, "removed_at": None, "removal_reason": None}
        if known is None:
            conn.execute(sa.insert(cas).values(fingerprint=fingerprint, added_at=hub.clock.now(), **values))
        else:
            conn.execute(sa.update(cas).where(cas.c.fingerprint == fingerprint).values(**values))
        return known is None, view(conn.execute(sa.select(cas).where(cas.c.fingerprint == fingerprint)).one())


def remove(hub: Hub, fingerprint: str, reason: str) -> dict[str, Any]:
    where = sa.and_(cas.c.fingerprint == fingerprint, cas.c.status == ACTIVE)
    with hub.engine.begin() as conn:
        done = conn.execute(sa.update(cas).where(where).values(status=REMOVED, removed_at=hub.clock.now(), removal_reason=reason))
        if done.rowcount == 0:
            raise NotFound(f"no active CA {fingerprint} on the trust list", message_zh=f"信任列表中没有有效的 CA {fingerprint}", field="fingerprint")
        return view(conn.execute(sa.select(cas).where(cas.c.fingerprint == fingerprint)).one())


def view(row: Any) -> dict[str, Any]:
    return {"fingerprint": row.fingerprint, "name": row.name, "status": row.status, "added_at": row.added_at.isoformat(),
            "removed_at": row.removed_at.isoformat() if row.removed_at else None, "removal_reason": row.removal_reason,
            "certificate_pem": row.certificate_pem}


def entries(hub: Hub) -> list[dict[str, Any]]:
    with hub.engine.connect() as conn:
        return [view(r) for r in conn.execute(sa.select(cas).order_by(cas.c.added_at, cas.c.fingerprint))]


def active_pems(hub: Hub) -> list[bytes]:
    return [e["certificate_pem"].encode() for e in entries(hub) if e["status"] == ACTIVE]


def anchors(hub: Hub) -> list[Any]:
    """The active CAs, loaded (the issuers a published CRL is checked against)."""
    return x509.TrustList(active_pems(hub)).cas


def trust_list(hub: Hub) -> x509.TrustList:
    """The hub's own ``TrustList`` of the active CAs and the CRLs published for them (``crls.py``)."""
    return x509.TrustList(active_pems(hub), crls.pems(hub))


# ---- the routes ----------------------------------------------------------------------------


def get_trust_list(request: Request) -> dict[str, Any]:
    """信任列表 / The CAs recognised by every trading platform (CA mutual recognition)."""
    hub = the_hub(request)
    return {"cas": entries(hub), "crls": crls.entries(hub)}


def post_ca(request: Request, body: Any = Body(...), authorization: str | None = Header(None)) -> JSONResponse:
    """加入信任列表 / Add a CA certificate (hub administrator token)."""
    require_admin(request, authorization)
    created, entry = add(the_hub(request), body)
    return JSONResponse(entry, status_code=201 if created else 200)


def delete_ca(request: Request, fingerprint: str, reason: str = "移出信任列表", authorization: str | None = Header(None)) -> dict[str, Any]:
    """移出信任列表 / Remove a CA (hub administrator token); the entry stays, marked removed."""
    require_admin(request, authorization)
    return remove(the_hub(request), fingerprint.lower(), reason)


ROUTES = (
    ("/hub/trust-list", get_trust_list, "GET"),
    ("/hub/trust-list", post_ca, "POST"),
    ("/hub/trust-list/{fingerprint}", delete_ca, "DELETE"),
)


def install(app: FastAPI, hub: Hub) -> None:
    crls.install(app)  # before ``/hub/trust-list/{fingerprint}``
    crlsources.install(app)  # /hub/trust-list/crl-urls
    crlpull.install(app)  # POST /hub/trust-list/crls:fetch
    for path, handler, method in ROUTES:
        app.add_api_route(path, handler, methods=[method], tags=["hub", "trust"])

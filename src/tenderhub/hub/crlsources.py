"""Where the hub fetches CRLs from: the distribution points in the CA certificates it has, and
URLs its administrator registered per CA (``crlpull.py`` fetches them).

RFC 5280 §4.2.1.13: the cRLDistributionPoints of a certificate say where the CRL that covers
*that certificate* is, a CRL signed by the certificate's issuer. So the distribution point of a
self-signed trust-list CA names its own CRL (which also covers the certificates it issues); that
of an intermediate the hub knows of (by a CRL kept for it, ``hub_trust_crls``) names its
issuer's CRL; the CRL of an intermediate (or of a root whose certificate names no point) for its
holders is named only in the holders' certificates, which the hub does not keep: the
administrator registers that URL for the CA (``hub_trust_crl_urls``).

* ``GET /hub/trust-list/crl-urls``: the registered URLs and every source with the CA expected to
  sign what is found there (public: distribution points are public).
* ``POST /hub/trust-list/crl-urls`` (hub administrator): ``{ca_fingerprint, url}``, the CA an
  active CA of the trust list or an intermediate with a kept CRL; http(s) only.
* ``DELETE /hub/trust-list/crl-urls?ca_fingerprint=…&url=…`` (hub administrator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from cryptography import x509 as cx509
from fastapi import Body, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

from tenderhub.core.shared.errors import Invalid, NotFound
from tenderhub.crypto import certs
from tenderhub.crypto.errors import CryptoError
from tenderhub.db.types import UtcDateTime
from tenderhub.hub import crls, tables
from tenderhub.hub.access import require_admin, the_hub
from tenderhub.hub.context import Hub

PATH = "/hub/trust-list/crl-urls"
REGISTERED, CERTIFICATE = "registered", "certificate"

urls = sa.Table(
    "hub_trust_crl_urls",
    tables.metadata,
    sa.Column("ca_fingerprint", sa.String(64), primary_key=True),  # the CA whose CRL is published there
    sa.Column("url", sa.String(2000), primary_key=True),
    sa.Column("added_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True)
class Source:
    """One URL to fetch: who names it, and the CA that must have signed the CRL found there
    (``None``: a CA the hub does not know, named as ``issuer_name``)."""

    url: str
    origin: str  # ``registered`` or ``certificate`` (a cRLDistributionPoints URL)
    named_by: str  # the fingerprint of the CA whose registration or certificate names the URL
    issuer: cx509.Certificate | None
    issuer_name: str


@dataclass(frozen=True)
class Known:
    """The CAs the hub knows: the active anchors and the intermediates it keeps a CRL of."""

    anchors: list[cx509.Certificate]
    intermediates: list[cx509.Certificate]

    @property
    def every(self) -> list[cx509.Certificate]:
        return [*self.anchors, *self.intermediates]

    def by_fingerprint(self, fingerprint: str) -> cx509.Certificate | None:
        return next((c for c in self.every if certs.fingerprint(c) == fingerprint), None)

    def issuer_of(self, cert: cx509.Certificate) -> cx509.Certificate | None:
        return next((ca for ca in self.every if certs.issued_by(cert, ca)), None)


def known(hub: Hub) -> Known:
    from tenderhub.hub.trust import anchors

    listed = anchors(hub)
    kept = [cx509.load_pem_x509_certificate(e["issuer_pem"].encode()) for e in crls.entries(hub)]
    return Known(listed, [c for c in kept if not any(certs.same_ca(c, a) for a in listed)])


def sources(hub: Hub, cas: Known) -> list[Source]:
    """Every URL once: the registered ones first, then the distribution points of the CAs' certificates."""
    found: dict[str, Source] = {}
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(urls).order_by(urls.c.added_at, urls.c.url)).all()
    for row in rows:
        ca = cas.by_fingerprint(row.ca_fingerprint)
        name = ca.subject.rfc4514_string() if ca else f"the CA {row.ca_fingerprint}"
        found.setdefault(row.url, Source(row.url, REGISTERED, row.ca_fingerprint, ca, name))
    for cert in cas.every:
        issuer = cert if certs.issued_by(cert, cert) else cas.issuer_of(cert)
        for url in certs.crl_urls(cert):
            found.setdefault(url, Source(url, CERTIFICATE, certs.fingerprint(cert), issuer, cert.issuer.rfc4514_string()))
    return list(found.values())


def register(hub: Hub, data: Any) -> tuple[bool, dict[str, Any]]:
    fingerprint, url = _text(data, "ca_fingerprint").lower(), _text(data, "url")
    try:
        certs.crl_url(url, "url")
    except CryptoError as error:
        raise Invalid(error.message_en, message_zh=error.message_zh, field="url") from error
    if known(hub).by_fingerprint(fingerprint) is None:
        raise NotFound(f"ca_fingerprint: no active CA of the trust list nor intermediate with a kept CRL has fingerprint {fingerprint}",
                       message_zh=f"ca_fingerprint：信任列表中没有指纹为 {fingerprint} 的有效 CA 或已保存吊销列表的中级 CA", field="ca_fingerprint")
    with hub.engine.begin() as conn:
        where = sa.and_(urls.c.ca_fingerprint == fingerprint, urls.c.url == url)
        present = conn.execute(sa.select(urls).where(where)).first()
        if present is None:
            conn.execute(sa.insert(urls).values(ca_fingerprint=fingerprint, url=url, added_at=hub.clock.now()))
        return present is None, view(conn.execute(sa.select(urls).where(where)).one())


def unregister(hub: Hub, fingerprint: str, url: str) -> None:
    with hub.engine.begin() as conn:
        gone = conn.execute(sa.delete(urls).where(urls.c.ca_fingerprint == fingerprint.lower(), urls.c.url == url))
    if gone.rowcount == 0:
        raise NotFound(f"url: {url} is not registered for the CA {fingerprint}", message_zh=f"url：未为该 CA 登记 {url}", field="url")


def _text(data: Any, name: str) -> str:
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{name}: required", message_zh=f"{name}：必填", field=name)
    return value.strip()


def view(row: Any) -> dict[str, Any]:
    return {"ca_fingerprint": row.ca_fingerprint, "url": row.url, "added_at": row.added_at.isoformat()}


def listing(hub: Hub) -> dict[str, Any]:
    with hub.engine.connect() as conn:
        registered = [view(r) for r in conn.execute(sa.select(urls).order_by(urls.c.ca_fingerprint, urls.c.url))]
    every = [{"url": s.url, "origin": s.origin, "named_by": s.named_by, "issuer": s.issuer_name,
              "issuer_known": s.issuer is not None} for s in sources(hub, known(hub))]
    return {"registered": registered, "sources": every}


# ---- the routes ----------------------------------------------------------------------------


def get_urls(request: Request) -> dict[str, Any]:
    """吊销列表地址 / The registered CRL URLs and every URL the hub fetches CRLs from."""
    return listing(the_hub(request))


def post_url(request: Request, body: Any = Body(...), authorization: str | None = Header(None)) -> JSONResponse:
    """登记吊销列表地址 / Register the URL where a CA publishes its CRL (hub administrator token)."""
    require_admin(request, authorization)
    created, entry = register(the_hub(request), body)
    return JSONResponse(entry, status_code=201 if created else 200)


def delete_url(request: Request, ca_fingerprint: str, url: str, authorization: str | None = Header(None)) -> Response:
    """删除吊销列表地址 / Remove a registered CRL URL (hub administrator token)."""
    require_admin(request, authorization)
    unregister(the_hub(request), ca_fingerprint, url)
    return Response(status_code=204)


def install(app: FastAPI) -> None:
    app.add_api_route(PATH, get_urls, methods=["GET"], tags=["hub", "trust"])
    app.add_api_route(PATH, post_url, methods=["POST"], tags=["hub", "trust"])
    app.add_api_route(PATH, delete_url, methods=["DELETE"], tags=["hub", "trust"])

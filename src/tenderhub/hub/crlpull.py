"""The hub fetches its CAs' CRLs itself (CA 互认; 电子签名法 第13条: a signature is reliable only
while the certificate's status is known, and past a CRL's nextUpdate it is not).

Each URL of ``crlsources.sources`` (registered per CA, or a cRLDistributionPoints URL of a CA
certificate the hub has) is downloaded within bounds (``crlfetch.download``: http(s) only, a
timeout, a size limit), read as DER or PEM, and must be signed by the CA expected there (the
registered CA; for a distribution point, the certificate's issuer); then it goes through the
same checks and storage as a pushed CRL (``crls.publish``: signature, path of an intermediate to
an active CA, not past its nextUpdate, newer than the kept one; the same errors). One result per
URL, ``stored``, ``repeat`` or ``refused`` with the reason; one URL failing stops no other.

* ``POST /hub/trust-list/crls:fetch`` (hub administrator): fetch every source now.
* ``tenderhub hub crls fetch`` does the same on the hub's database; ``serve --role hub`` fetches
  periodically (``crlloop.py``).
"""

from __future__ import annotations

from typing import Any

from cryptography import x509 as cx509
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI, Header, Request

from tenderhub.core.shared.errors import DomainError, Invalid
from tenderhub.crypto import certs, crl
from tenderhub.hub import crls, crlsources
from tenderhub.hub.access import require_admin, the_hub
from tenderhub.hub.context import Hub
from tenderhub.hub.crlfetch import Limits, download
from tenderhub.hub.crlsources import Known, Source

PATH = "/hub/trust-list/crls:fetch"
STORED, REPEAT, REFUSED = "stored", "repeat", "refused"


def fetch_all(hub: Hub, limits: Limits = Limits()) -> list[dict[str, Any]]:
    """Fetch every source once, in order; one result each."""
    cas = crlsources.known(hub)
    return [fetch_one(hub, cas, source, limits) for source in crlsources.sources(hub, cas)]


def fetch_one(hub: Hub, cas: Known, source: Source, limits: Limits) -> dict[str, Any]:
    base = {"url": source.url, "origin": source.origin, "named_by": source.named_by, "issuer": source.issuer_name}
    try:
        stored, entry = take(hub, cas, source, limits)
    except DomainError as error:
        return {**base, "outcome": REFUSED, "kind": error.kind, "code": error.code, "field": error.field,
                "reason": {"zh": error.message_zh, "en": error.message_en}}
    kept = {k: entry[k] for k in ("issuer_fingerprint", "issuer_name", "this_update", "next_update", "revoked")}
    return {**base, "outcome": STORED if stored else REPEAT, "crl": kept}


def take(hub: Hub, cas: Known, source: Source, limits: Limits) -> tuple[bool, dict[str, Any]]:
    """Download, check the signer, and publish as a pushed CRL would be."""
    issuer = source.issuer
    if issuer is None:
        raise unknown_issuer(source)
    found = crl.load(download(source.url, limits))
    if not crl.claims(found, issuer) or not crl.signed_by(found, issuer):
        raise wrong_signer(source, found, issuer)
    body: dict[str, Any] = {"crl_pem": found.public_bytes(serialization.Encoding.PEM).decode()}
    if not any(certs.same_ca(issuer, anchor) for anchor in cas.anchors):  # an intermediate: its path goes along
        above = [c for c in cas.intermediates if not certs.same_ca(c, issuer)]
        body["issuer_pem"] = b"".join(certs.pem(c) for c in [issuer, *above]).decode()
    return crls.publish(hub, body)


def unknown_issuer(source: Source) -> Invalid:
    return Invalid(f"url: {source.url} names the CRL of {source.issuer_name}, which is neither an active CA of the trust list "
                   "nor an intermediate the hub keeps a CRL of: not fetched",
                   message_zh=f"url：{source.url} 所指的吊销列表由 {source.issuer_name} 签发，该 CA 既不在信任列表中，也不是已保存吊销列表的中级 CA，未获取",
                   field="url", code="crl_issuer_unknown")


def wrong_signer(source: Source, found: cx509.CertificateRevocationList, issuer: cx509.Certificate) -> Invalid:
    expected, named = issuer.subject.rfc4514_string(), found.issuer.rfc4514_string()
    return Invalid(f"crl_pem: the CRL at {source.url} names {named} as its issuer and is not signed by {expected}, "
                   "the CA whose CRL is published there",
                   message_zh=f"crl_pem：{source.url} 的吊销列表签发者为 {named}，不是由该地址所属的 CA（{expected}）签发",
                   field="crl_pem", code="crl_wrong_signer")


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {name: sum(r["outcome"] == name for r in results) for name in (STORED, REPEAT, REFUSED)}
    return {"results": results, **counts}


# ---- the route -----------------------------------------------------------------------------


def post_fetch(request: Request, authorization: str | None = Header(None)) -> dict[str, Any]:
    """获取吊销列表 / Fetch every CA's CRL from its URLs now (hub administrator token); one result per URL."""
    require_admin(request, authorization)
    return summary(fetch_all(the_hub(request)))


def install(app: FastAPI) -> None:
    app.add_api_route(PATH, post_fetch, methods=["POST"], tags=["hub", "trust"])

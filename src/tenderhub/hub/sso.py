"""Single sign-on (统一身份认证) at the hub, OIDC-style: one sign-in, a signed assertion for a platform.

1. ``POST /hub/sso/challenge`` ``{audience, nonce}`` → ``{challenge, audience, nonce,
   signed_text, expires_in_s}`` (``crypto/challenge.py``; good once, for five minutes, for this
   audience and nonce only; kept in ``hub_sso_challenges``, with a tag of each, so any hub process
   can check it). ``signed_text`` is ``tenderhub-sso\n{hub id}\n{audience}\n{nonce}\n{challenge}``,
   the hub id being its key's fingerprint (the JWKS ``kid``): the person's tool shows it.
2. ``POST /hub/sso/assertion`` ``{certificate, chain?, challenge, signature, audience, nonce}``: the
   person signs ``signed_text`` with the key of a certificate from a CA on the hub's trust list
   (directly, or through the intermediate CAs in ``chain``)
   (so a platform driving the signing cannot get an assertion for another platform or nonce);
   the certificate's USCC must be a subject of the hub's registry and, for a personal
   certificate, the person must be one of its people. ``audience`` is the platform id (a
   registered platform), ``nonce`` the one that platform issued. The answer is a compact JWS
   (``header.payload.signature``, base64url, ``alg`` ES256 = ECDSA P-256/SHA-256 with the raw
   ``r‖s`` signature, RFC 7515/7518) signed by the hub's key, with claims ``iss sub aud exp iat
   nonce uscc roles kind name``; ``exp`` is five minutes after ``iat``.
3. ``GET /hub/.well-known/openid-configuration`` and ``GET /hub/sso/jwks`` (the hub key as a
   JWK, ``kid`` = its fingerprint) let a platform verify the assertion
   (``services/identity.sso_login``, route ``POST /api/identity/sso``). The JWS codec is in
   ``hub/protocol.py`` (``jws_sign``, ``jws_verify``), the wire format shared with the platforms.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import Body, FastAPI, Request

from tenderhub.core.shared.errors import Forbidden, Invalid, NotFound
from tenderhub.crypto import certs, keys, signing
from tenderhub.crypto.challenge import new_challenge
from tenderhub.crypto.errors import CryptoError
from tenderhub.crypto.x509 import CertInfo
from tenderhub.db.types import UtcDateTime
from tenderhub.hub import registry, tables
from tenderhub.hub.access import the_hub
from tenderhub.hub.context import Hub
from tenderhub.hub.protocol import JWS_ALG as ALG
from tenderhub.hub.protocol import jwk, jws_sign
from tenderhub.hub.subjects import find, signature_bytes
from tenderhub.hub.trust import trust_list

LIFETIME = timedelta(minutes=5)
SIGNED_PREFIX = "tenderhub-sso"

challenges = sa.Table(
    "hub_sso_challenges",
    tables.metadata,
    sa.Column("challenge", sa.String(128), primary_key=True),
    sa.Column("issued_at", UtcDateTime, nullable=False, index=True),
)


# ---- issuing ---------------------------------------------------------------------------------


def digest(value: str) -> str:
    """A 128-bit tag of ``value``, kept with the challenge (the table has one text column)."""
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()[:16]).decode().rstrip("=")


def hub_id(hub: Hub) -> str:
    """The hub's id in the signed text: the fingerprint of its signing key (the JWKS ``kid``)."""
    return keys.fingerprint(hub.signing_pair().public_pem)


def signed_text(hub: Hub, audience: str, nonce: str, issued: str) -> str:
    """What the person signs: the challenge bound to the platform and the nonce it is for."""
    return f"{SIGNED_PREFIX}\n{hub_id(hub)}\n{audience}\n{nonce}\n{issued}"


def text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{key}: a non-empty text is required", message_zh=f"{key}：必填文本", field=key)
    return value.strip()


def bound_to(hub: Hub, data: Any) -> tuple[str, str]:
    """The ``audience`` (a registered platform) and ``nonce`` of a challenge or assertion request."""
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", message_zh="请求体须为 JSON 对象", field="body")
    audience, nonce = text(data, "audience"), text(data, "nonce")
    if "\n" in audience or "\n" in nonce or len(nonce) > 200:
        raise Invalid("audience, nonce: one line each, the nonce at most 200 characters",
                      message_zh="audience、nonce 须为单行文本，nonce 不超过 200 个字符", field="nonce")
    if registry.platform_key(hub, audience) is None:
        raise NotFound(f"audience: no platform {audience}", message_zh=f"audience：没有交易平台 {audience}", field="audience")
    return audience, nonce


def issue_challenge(hub: Hub, data: Any) -> dict[str, Any]:
    audience, nonce = bound_to(hub, data)
    now = hub.clock.now()
    issued = new_challenge(now)
    with hub.engine.begin() as conn:
        conn.execute(sa.delete(challenges).where(challenges.c.issued_at < now - LIFETIME))
        conn.execute(sa.insert(challenges).values(challenge=f"{issued}.{digest(audience)}.{digest(nonce)}", issued_at=now))
    return {"challenge": issued, "audience": audience, "nonce": nonce, "signed_text": signed_text(hub, audience, nonce, issued),
            "expires_in_s": int(LIFETIME.total_seconds())}


def mismatch(field: str) -> Forbidden:
    return Forbidden(f"{field}: the challenge was issued for another {field}; sign in again for this one",
                     message_zh=f"{field}：挑战码签发时的 {field} 与本次请求不一致，请重新获取挑战码", field=field, code="challenge_mismatch")


def use_challenge(hub: Hub, issued: str, audience: str, nonce: str) -> None:
    """Delete the challenge; refused when it was never issued, was used, has expired or was
    issued for another ``audience`` or ``nonce`` (then it is kept: nothing changes)."""
    fresh = sa.and_(challenges.c.challenge.startswith(f"{issued}.", autoescape=True), challenges.c.issued_at >= hub.clock.now() - LIFETIME)
    unknown = Forbidden("unknown, expired or already used challenge", message_zh="挑战码无效、已过期或已使用", field="challenge")
    with hub.engine.begin() as conn:
        stored = conn.execute(sa.select(challenges.c.challenge).where(fresh)).scalars().all()
        if len(stored) != 1:
            raise unknown
        for field, value, tag in zip(("audience", "nonce"), (audience, nonce), stored[0].split(".")[-2:], strict=True):
            if not hmac.compare_digest(digest(value), tag):
                raise mismatch(field)
        if conn.execute(sa.delete(challenges).where(challenges.c.challenge == stored[0])).rowcount != 1:
            raise unknown


def signed_in(hub: Hub, data: dict[str, Any], audience: str, nonce: str) -> CertInfo:
    issued, chain = text(data, "challenge"), certs.chain_field(data.get("chain"))
    use_challenge(hub, issued, audience, nonce)
    signature, now = signature_bytes(data.get("signature")), hub.clock.now()
    try:
        info = trust_list(hub).validate(text(data, "certificate").encode(), now, chain=chain)
    except CryptoError as error:
        raise Forbidden(error.message_en, message_zh=error.message_zh, field=error.field or "certificate") from error
    if not signing.verify(keys.suite_of(info.public_pem), info.public_pem, signed_text(hub, audience, nonce, issued).encode(), signature):
        raise Forbidden("signature: does not verify over the signed text (tenderhub-sso, hub id, audience, nonce, challenge)",
                        message_zh="signature：对签名原文（tenderhub-sso、公共服务平台标识、audience、nonce、挑战码）验签失败", field="signature")
    return info


def roles_of(info: CertInfo, record: dict[str, Any]) -> list[str]:
    if info.kind != "person":
        return ["legal_entity"]
    roles = sorted({r for p in record["people"] if p["name"] == info.subject_cn for r in p["roles"]})
    if not roles:
        raise Forbidden(f"{info.subject_cn} is not one of the people registered for {info.uscc}",
                        message_zh=f"{info.subject_cn} 不是 {info.uscc} 登记的人员", field="certificate")
    return roles


def subject_of(hub: Hub, info: CertInfo) -> dict[str, Any]:
    if not info.uscc:
        raise Forbidden("the certificate names no unified social credit code", message_zh="证书未载明统一社会信用代码", field="certificate")
    try:
        record: dict[str, Any] = find(hub, info.uscc).record
    except NotFound as error:
        raise Forbidden(f"{info.uscc} is not registered at the hub (POST /hub/subjects first)",
                        message_zh=f"{info.uscc} 尚未在公共服务平台登记", field="certificate") from error
    return record


def assertion(hub: Hub, issuer: str, data: Any) -> dict[str, Any]:
    audience, nonce = bound_to(hub, data)
    info = signed_in(hub, data, audience, nonce)
    record = subject_of(hub, info)
    now = hub.clock.now()
    claims = {"iss": issuer, "sub": info.fingerprint, "aud": audience, "iat": int(now.timestamp()),
              "exp": int((now + LIFETIME).timestamp()), "nonce": nonce, "uscc": record["uscc"], "kind": record["kind"],
              "roles": roles_of(info, record), "name": info.subject_cn, "subject_name": record["name"]}
    pair = hub.signing_pair()
    return {"assertion": jws_sign(pair.private_pem, keys.fingerprint(pair.public_pem), claims), "token_type": "JWS", "expires_in_s": int(LIFETIME.total_seconds())}


# ---- the routes ----------------------------------------------------------------------------


def issuer_of(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/hub"


def post_challenge(request: Request, body: Any = Body(...)) -> dict[str, Any]:
    """统一身份认证挑战码 / A sign-in challenge for single sign-on, bound to ``audience`` and ``nonce``."""
    return issue_challenge(the_hub(request), body)


def post_assertion(request: Request, body: Any = Body(...)) -> dict[str, Any]:
    """签发身份断言 / Sign in with a certificate and get a signed assertion for one platform (``audience``)."""
    return assertion(the_hub(request), issuer_of(request), body)


def openid_configuration(request: Request) -> dict[str, Any]:
    """OIDC 发现文档 / The discovery document (OpenID Connect Discovery style)."""
    issuer = issuer_of(request)
    return {"issuer": issuer, "jwks_uri": f"{issuer}/sso/jwks", "challenge_endpoint": f"{issuer}/sso/challenge",
            "assertion_endpoint": f"{issuer}/sso/assertion", "id_token_signing_alg_values_supported": [ALG],
            "subject_types_supported": ["public"], "response_types_supported": ["id_token"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "uscc", "kind", "roles", "name", "subject_name"]}


def get_jwks(request: Request) -> dict[str, Any]:
    """验签公钥（JWK）/ The hub's signing key as a JSON Web Key Set."""
    return {"keys": [jwk(the_hub(request).signing_pair().public_pem)]}


ROUTES = (
    ("/hub/sso/challenge", post_challenge, "POST"),
    ("/hub/sso/assertion", post_assertion, "POST"),
    ("/hub/sso/jwks", get_jwks, "GET"),
    ("/hub/.well-known/openid-configuration", openid_configuration, "GET"),
)


def install(app: FastAPI, hub: Hub) -> None:
    for path, handler, method in ROUTES:
        app.add_api_route(path, handler, methods=[method], tags=["hub", "sso"])

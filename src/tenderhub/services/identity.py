"""Certificate sign-in and single sign-on (电子签名法 第13条).

People sign in with their certificate (a challenge signed with the key of a certificate from a
recognised CA) or with an assertion the hub signed after such a sign-in (``sso_login``); API
tokens stay for machines. A challenge and an SSO nonce are good once, for five minutes; both
are kept in the platform's database (``OneTime``: the ``sequences`` table, so every worker
process of the platform sees a use), not in process memory.

**CA mutual recognition.** A certificate is accepted when it chains to the platform's own trust
list (its local CA and ``DATA_DIR/trust/*.pem``) or to an active CA of the hub's trust list
(``TrustListPort``: ``HttpTrustList`` asks ``GET /hub/trust-list`` and keeps the answer for
``ttl``; when the hub cannot answer it keeps using the last answer, or the local list alone).
Those CAs are trust anchors: a certificate issued by an intermediate CA comes with its ``chain``
(PEMs of the intermediates, or one PEM bundle), or the intermediates are listed in
``DATA_DIR/trust/intermediates/``; the path to an anchor is checked (``crypto/chain.py``).

**Single sign-on.** ``sso_nonce`` issues a nonce; the person gets an assertion for this
platform from the hub (``POST /hub/sso/challenge`` then ``POST /hub/sso/assertion`` with
``audience`` = this platform's code and that nonce, both covered by the person's signature) and
posts it to ``POST /api/identity/sso``. The assertion must verify with the hub's key
(``HubIdentity``: the JWKS of ``GET /hub/.well-known/openid-configuration``), name the hub as
``iss``, this platform as ``aud``, not be expired, and carry a nonce this platform issued and
has not yet seen. A subject unknown here is imported from the hub's registry.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from tenderhub.core.shared.clock import Clock
from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from tenderhub.core.shared.events import DomainEvent
from tenderhub.crypto import certs, crl, x509
from tenderhub.crypto.challenge import issued_at, new_challenge, verify_response
from tenderhub.crypto.errors import CryptoError
from tenderhub.hub.protocol import assertion_refused as refused
from tenderhub.hub.protocol import jws_verify
from tenderhub.services import parse as p
from tenderhub.services.context import Services
from tenderhub.services.credit import hub_get
from tenderhub.services.sealed import vault_of
from tenderhub.services.subjects import actor_of, subject_for

MAX_AGE = timedelta(minutes=5)
CLOCK_SKEW = timedelta(seconds=30)


# ---- the hub's trust list ----------------------------------------------------------------------


class TrustListPort(Protocol):
    def ca_pems(self) -> list[bytes]: ...

    def crl_pems(self) -> list[bytes]: ...


@dataclass
class MemoryTrustList:
    """The in-memory twin of the hub's trust list (the active CA certificates and the CRLs)."""

    pems: list[bytes] = field(default_factory=list)
    crls: list[bytes] = field(default_factory=list)

    def ca_pems(self) -> list[bytes]:
        return list(self.pems)

    def crl_pems(self) -> list[bytes]:
        return list(self.crls)


@dataclass
class HttpTrustList:
    """The active CAs and the CRLs of ``GET /hub/trust-list``, kept for ``ttl`` on the platform's clock."""

    client: httpx.Client
    clock: Clock
    ttl: timedelta = timedelta(seconds=30)
    cache: tuple[datetime, list[bytes], list[bytes]] | None = None

    def ca_pems(self) -> list[bytes]:
        return self.fetched()[0]

    def crl_pems(self) -> list[bytes]:
        return self.fetched()[1]

    def fetched(self) -> tuple[list[bytes], list[bytes]]:
        now = self.clock.now()
        if self.cache is None or now - self.cache[0] >= self.ttl:
            try:
                found = hub_get(self.client, "/hub/trust-list", "trust_list_unavailable") or {"cas": []}
                self.cache = (now, [c["certificate_pem"].encode() for c in found["cas"] if c["status"] == "active"],
                              [c["crl_pem"].encode() for c in found.get("crls", [])])
            except Conflict:  # the hub is down: the last answer, or the local list alone
                return (self.cache[1], self.cache[2]) if self.cache else ([], [])
        return self.cache[1], self.cache[2]


def trust_for(svc: Services, now: datetime) -> x509.TrustList:
    """The platform's own trust list plus the hub's active CAs and the CRLs the hub published."""
    trust: x509.TrustList = vault_of(svc).identity.trust_list(now)
    if svc.trust is not None:
        trust.cas.extend(x509.TrustList(svc.trust.ca_pems()).cas)  # anchors: intermediates come with the certificate
        known, pending = crl.sort(svc.trust.crl_pems(), [*trust.cas, *trust.intermediates])
        trust.revocations.extend(known)
        trust.pending_crls.extend(pending)
    return trust


# ---- certificate sign-in ---------------------------------------------------------------------


@dataclass(frozen=True)
class OneTime:
    """One-time values (sign-in challenges, SSO nonces) in the ``sequences`` table: a value is a
    row ``<prefix><value>``, 1 when issued; using it counts it up, so only the first use sees 2
    (on PostgreSQL a concurrent use waits for the row and sees 3). Values begin with their UTC
    issue time (``crypto.challenge`` format), so the names sort by age and each issue deletes
    the expired ones in one range (``SequenceRepository.forget``)."""

    prefix: str  # "signin:" (a whole challenge ``thc1.<time>.<random>``) or "sso-nonce:" (``<time>.<random>``)
    stamped: str  # what a value starts with before its time: "thc1." or ""

    def issue(self, svc: Services, value: str) -> None:
        with svc.uow(None) as uow:
            cutoff = new_challenge(svc.clock.now() - MAX_AGE).split(".")
            uow.sequences.forget(f"{self.prefix}{self.stamped}", f"{self.prefix}{self.stamped}{cutoff[1]}.{cutoff[2]}")
            uow.sequences.next(self.prefix + value)
            uow.commit()

    def use(self, svc: Services, value: str) -> bool:
        """True once for a value issued here less than ``MAX_AGE`` ago; nothing kept otherwise."""
        if len(value) > 90 or not self.fresh(svc, value):
            return False
        with svc.uow(None) as uow:
            if uow.sequences.next(self.prefix + value) != 2:
                return False  # never issued (the row just made is rolled back) or used before
            uow.commit()
        return True

    def fresh(self, svc: Services, value: str) -> bool:
        try:
            age = svc.clock.now() - issued_at(value if self.stamped else f"thc1.{value}")
        except CryptoError:
            return False
        return -CLOCK_SKEW <= age <= MAX_AGE


CHALLENGES, NONCES = OneTime("signin:", "thc1."), OneTime("sso-nonce:", "")


def challenge(svc: Services) -> dict[str, Any]:
    issued = new_challenge(svc.clock.now())
    CHALLENGES.issue(svc, issued)
    return {"challenge": issued, "expires_in_s": int(MAX_AGE.total_seconds())}


def certificate_login(svc: Services, data: Mapping[str, Any], *, ip: str = "", device: str = "") -> dict[str, Any]:
    """Verify the signed challenge and open a session token for the certificate's subject."""
    now = svc.clock.now()
    issued, chain = p.text(data, "challenge"), certs.chain_field(data.get("chain"))
    if not CHALLENGES.use(svc, issued):
        raise Forbidden("unknown, expired or already used challenge", message_zh="挑战码无效、已过期或已使用", field="challenge")
    try:
        signature = base64.b64decode(p.text(data, "signature"), validate=True)
        info = verify_response(trust_for(svc, now), p.text(data, "certificate").encode(), issued, signature, now, chain=chain)
    except (binascii.Error, ValueError) as error:
        raise Invalid(f"unreadable sign-in response: {error}", message_zh="签名登录数据无法解析", field="signature") from error
    except CryptoError as error:
        raise Forbidden(error.message_en, message_zh=error.message_zh, field=error.field or "certificate") from error
    if not info.uscc:
        raise Forbidden("the certificate names no unified social credit code", message_zh="证书未载明统一社会信用代码", field="certificate")
    session = open_session(svc, info.uscc, info.subject_cn, f"certificate {info.serial}",
                           {"certificate": info.fingerprint, "issuer": info.issuer_cn, "ip": ip, "device": device})
    return {**session, "certificate": info.subject_cn}


def open_session(svc: Services, uscc: str, person: str, label: str, audit: dict[str, Any]) -> dict[str, Any]:
    """A session token for the first user of the subject (imported from the hub when unknown here)."""
    now = svc.clock.now()
    with svc.uow(None) as uow:
        try:
            subject = subject_for(svc, uow, uscc, person)
        except NotFound as error:
            raise Forbidden(f"{uscc} is not registered here nor at the hub", message_zh=f"{uscc} 尚未在本平台或公共服务平台注册", field="certificate") from error
        users = uow.users.list_for_subject(subject.id)
        if not users:
            raise Forbidden("the subject has no user account", message_zh="该主体没有用户账号", field="certificate")
        user = users[0]
        token = uow.tokens.issue(user.id, label=label, at=now)
        uow.record(DomainEvent("auth:session:opened", user.id, now, user.id, label.split(" ")[0] + " sign-in", audit))
        uow.commit()
        actor = actor_of(user, subject)
        return {"token": token, "user_id": user.id, "role": actor.role.value, "subject": subject.name}


# ---- single sign-on ----------------------------------------------------------------------------


class HubIdentity(Protocol):
    def issuer(self) -> str: ...

    def keys(self) -> list[dict[str, Any]]: ...


@dataclass
class MemoryHubIdentity:
    """The in-memory twin: the issuer name and the JWKS keys the assertions verify with."""

    name: str
    jwks: list[dict[str, Any]]

    def issuer(self) -> str:
        return self.name

    def keys(self) -> list[dict[str, Any]]:
        return self.jwks


@dataclass
class HttpHubIdentity:
    """The hub's discovery document and JWKS, fetched once (the hub key does not change)."""

    client: httpx.Client
    found: dict[str, Any] = field(default_factory=dict)

    def discovery(self) -> dict[str, Any]:
        if not self.found:
            config = hub_get(self.client, "/hub/.well-known/openid-configuration", "sso_unavailable")
            jwks = hub_get(self.client, config["jwks_uri"], "sso_unavailable") if config else None
            if config is None or jwks is None:
                raise Conflict("the hub publishes no single sign-on keys", message_zh="公共服务平台未提供统一身份认证公钥", field=None, code="sso_unavailable")
            self.found = {"issuer": config["issuer"], "keys": jwks["keys"]}
        return self.found

    def issuer(self) -> str:
        return str(self.discovery()["issuer"])

    def keys(self) -> list[dict[str, Any]]:
        return list(self.discovery()["keys"])


def sso_nonce(svc: Services) -> dict[str, Any]:
    """A nonce for one assertion (give it to the hub with ``audience`` = this platform)."""
    issued = new_challenge(svc.clock.now()).split(".", 1)[1]  # <UTC time>.<random>: sorts by age
    NONCES.issue(svc, issued)
    return {"nonce": issued, "audience": svc.platform_code, "expires_in_s": int(MAX_AGE.total_seconds())}


def check_claims(svc: Services, hub: HubIdentity, claims: dict[str, Any]) -> None:
    now = svc.clock.now().timestamp()
    if claims.get("iss") != hub.issuer():
        raise refused("assertion_issuer", f"the assertion was not issued by the hub ({hub.issuer()})", "断言不是公共服务平台签发的")
    if claims.get("aud") != svc.platform_code:
        raise refused("assertion_audience", f"the assertion is for {claims.get('aud')}, not for this platform ({svc.platform_code})",
                      f"断言的接收方是 {claims.get('aud')}，不是本平台（{svc.platform_code}）")
    if not isinstance(claims.get("exp"), int) or now >= claims["exp"]:
        raise refused("assertion_expired", "the assertion has expired", "断言已过期")
    if not isinstance(claims.get("iat"), int) or claims["iat"] > now + CLOCK_SKEW.total_seconds():
        raise refused("assertion_not_yet_valid", "the assertion is issued in the future", "断言签发时间晚于当前时间")
    if not NONCES.use(svc, str(claims.get("nonce"))):
        raise refused("assertion_replayed", "the assertion's nonce was not issued here or was already used (replay)", "断言的随机数不是本平台签发的或已使用（重放）")


def sso_login(svc: Services, data: Mapping[str, Any], *, ip: str = "", device: str = "") -> dict[str, Any]:
    """Verify the hub's assertion and open this platform's own session for the subject."""
    if svc.hub_identity is None:
        raise Conflict("this platform is not linked to the hub's single sign-on", message_zh="本平台未接入统一身份认证", field=None, code="sso_unavailable")
    claims = jws_verify(p.text(data, "assertion"), svc.hub_identity.keys())
    check_claims(svc, svc.hub_identity, claims)
    session = open_session(svc, str(claims.get("uscc")), str(claims.get("name", "")), f"sso {str(claims.get('sub'))[:16]}",
                           {"issuer": claims["iss"], "sub": claims.get("sub"), "roles": claims.get("roles"), "ip": ip, "device": device})
    return {**session, "roles": claims.get("roles", []), "name": claims.get("name", "")}

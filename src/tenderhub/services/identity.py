"""Certificate sign-in: a challenge signed with the key of a certificate from a recognised CA.

People sign in with their certificate (电子签名法 第13条; the hub's trust list makes
certificates of every recognised CA valid here); API tokens stay for machines. A challenge is
good once, for five minutes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from tenderhub.core.shared.errors import Forbidden, Invalid, NotFound
from tenderhub.core.shared.events import DomainEvent
from tenderhub.crypto.challenge import new_challenge, verify_response
from tenderhub.crypto.errors import CryptoError
from tenderhub.services import parse as p
from tenderhub.services.context import Services, Vault
from tenderhub.services.sealed import vault_of
from tenderhub.services.subjects import actor_of

MAX_AGE = timedelta(minutes=5)


def challenge(svc: Services) -> dict[str, Any]:
    vault, now = vault_of(svc), svc.clock.now()
    forget_expired(vault, now)
    issued = new_challenge(now)
    vault.challenges[issued] = now
    return {"challenge": issued, "expires_in_s": int(MAX_AGE.total_seconds())}


def forget_expired(vault: Vault, now: Any) -> None:
    for old in [c for c, at in vault.challenges.items() if now - at > MAX_AGE]:
        del vault.challenges[old]


def certificate_login(svc: Services, data: Mapping[str, Any], *, ip: str = "", device: str = "") -> dict[str, Any]:
    """Verify the signed challenge and open a session token for the certificate's subject."""
    vault, now = vault_of(svc), svc.clock.now()
    issued = p.text(data, "challenge")
    if vault.challenges.pop(issued, None) is None:
        raise Forbidden("unknown or already used challenge", message_zh="挑战码无效或已使用", field="challenge")
    try:
        signature = base64.b64decode(p.text(data, "signature"), validate=True)
        info = verify_response(vault.identity.trust_list(now), p.text(data, "certificate").encode(), issued, signature, now)
    except (binascii.Error, ValueError) as error:
        raise Invalid(f"unreadable sign-in response: {error}", message_zh="签名登录数据无法解析", field="signature") from error
    except CryptoError as error:
        raise Forbidden(error.message_en, message_zh=error.message_zh, field=error.field or "certificate") from error
    with svc.uow(None) as uow:
        if not info.uscc:
            raise Forbidden("the certificate names no unified social credit code", message_zh="证书未载明统一社会信用代码", field="certificate")
        try:
            subject = uow.subjects.get_by_uscc(info.uscc)
        except NotFound as error:
            raise Forbidden(f"{info.uscc} is not registered here", message_zh=f"{info.uscc} 尚未在本平台注册", field="certificate") from error
        users = uow.users.list_for_subject(subject.id)
        if not users:
            raise Forbidden("the subject has no user account", message_zh="该主体没有用户账号", field="certificate")
        user = users[0]
        token = uow.tokens.issue(user.id, label=f"certificate {info.serial}", at=now)
        uow.record(DomainEvent("auth:session:opened", user.id, now, user.id, "certificate sign-in",
                               {"certificate": info.fingerprint, "issuer": info.issuer_cn, "ip": ip, "device": device}))
        uow.commit()
        actor = actor_of(user, subject)
        return {"token": token, "user_id": user.id, "role": actor.role.value, "subject": subject.name, "certificate": info.subject_cn}

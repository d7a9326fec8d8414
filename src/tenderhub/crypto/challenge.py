"""Certificate sign-in: the platform sends a challenge, the user signs it with the certificate
key. A challenge is ``thc1.<UTC timestamp>.<32 random bytes, base64url>``. Replay protection
(each challenge accepted once) is the caller's job: remember challenges until they expire.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from datetime import UTC, datetime

from tenderhub.core.shared.clock import as_utc
from tenderhub.crypto import keys, signing
from tenderhub.crypto.errors import SignatureError
from tenderhub.crypto.x509 import CertInfo, TrustList

PREFIX = "thc1"
CLOCK_SKEW_S = 30


def new_challenge(now: datetime) -> str:
    stamp = as_utc(now).strftime("%Y%m%dT%H%M%S.%fZ")
    nonce = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    return f"{PREFIX}.{stamp}.{nonce}"


def issued_at(challenge: str) -> datetime:
    parts = challenge.split(".")
    try:
        if len(parts) != 4 or parts[0] != PREFIX:
            raise ValueError
        return datetime.strptime(f"{parts[1]}.{parts[2]}", "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise SignatureError("not a tenderhub challenge", field="challenge") from None


def verify_response(trust: TrustList, cert_pem: bytes, challenge: str, signature: bytes,
                    now: datetime, max_age_s: int = 300, *, chain: Sequence[bytes] = ()) -> CertInfo:
    """The signer's certificate facts when the response is good; a typed refusal otherwise.
    ``chain``: intermediate CA certificates that came with the certificate (PEM)."""
    age = (as_utc(now) - issued_at(challenge)).total_seconds()
    if age > max_age_s or age < -CLOCK_SKEW_S:
        raise SignatureError("the challenge has expired", field="challenge", message_zh="挑战码已过期")
    info = trust.validate(cert_pem, now, chain=chain)
    suite = keys.suite_of(info.public_pem)
    if not signing.verify(suite, info.public_pem, challenge.encode(), signature):
        raise SignatureError("the challenge signature does not verify", field="signature",
                             message_zh="签名验证失败")
    return info

"""Builders for the shared registration and identity tests: codes, CAs, certificates, bodies."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tenderhub.core.shared.ids import uscc_check_char
from tenderhub.crypto import keys, signing, x509
from tenderhub.hub.protocol import canonical

ADMIN = "hub-admin-secret"


def uscc(n: int) -> str:
    body = f"91110105MA{n:07d}"
    return body + uscc_check_char(body)


def admin(token: str = ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Ca:
    cert: bytes
    key: bytes

    @classmethod
    def make(cls, name: str, now: datetime) -> Ca:
        return cls(*x509.init_ca(name, days=365, now=now))

    def issue(self, cn: str, kind: str, code: str | None, now: datetime) -> Holder:
        pair = keys.generate("intl")
        return Holder(x509.issue(self.cert, self.key, subject_cn=cn, kind=kind, uscc=code, public_pem=pair.public_pem, days=365, now=now),
                      pair.private_pem)


@dataclass
class Holder:
    """A certificate and its private key."""

    cert: bytes
    key: bytes

    def sign(self, data: bytes) -> str:
        return base64.b64encode(signing.sign("intl", self.key, data)).decode()

    def sign_doc(self, doc: Any) -> str:
        return self.sign(canonical(doc))


def subject_body(n: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uscc": uscc(n), "name": f"北京第{n}建设有限公司", "kind": "bidder", "legal_representative": "王建国",
        "region": "110105", "address": "北京市朝阳区建国路1号", "contact_phone": "13812345678",
        "people": [{"name": "王建国", "roles": ["legal_representative"], "id_number": "110105198001011234", "phone": "13812345678"},
                   {"name": "李小红", "roles": ["authorized_agent", "contact"], "phone": "010-65001234"}],
    }
    body.update(changes)
    return body


def register_platform_subject(member: Any, n: int, alias: str, kind: str = "bidder") -> dict[str, Any]:
    """Register a subject on one platform of the embedded system (it is shared with the hub)."""
    from tenderhub.core.shared.roles import PUBLIC
    from tenderhub.services import subjects

    return subjects.register_subject(member.platform.services, PUBLIC, {
        "uscc": uscc(n), "name": f"北京第{n}建设有限公司", "kind": kind, "user_id": alias, "legal_representative": "王建国",
        "contact_person": "李小红", "contact_phone": "13812345678"})


def certificate_sign_in(svc: Any, holder: Holder) -> dict[str, Any]:
    from tenderhub.services import identity

    issued = identity.challenge(svc)["challenge"]
    return identity.certificate_login(svc, {"certificate": holder.cert.decode(), "challenge": issued, "signature": holder.sign(issued.encode())})

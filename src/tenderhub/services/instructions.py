"""Supervision instructions (监督指令) received online from the hub or a supervision authority.

An instruction is signed over its canonical JSON (``hub/protocol.py``) by a key the platform
trusts: the hub's (fetched from ``GET /hub/key`` when the platform joins a hub) or a supervision
authority's (``TENDERHUB_SUPERVISION_KEYS``). Kinds: ``suspend`` (暂停) and ``resume`` act through
the suspension use case (招标投标法实施条例 第62条, 政府采购法 第57条: the supervision
department may order a suspension while it investigates); ``correct`` (责令改正) and ``inquire``
(询问) are recorded for the tenderer and the operator. Every accepted instruction is one audit
event ``supervision:instruction:received`` (target: the instruction id) holding the
instruction, its signature and the platform's signed acknowledgement, so a repeat of the same
id gets the same acknowledgement; other content under a known id is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenderhub.core.procedures import suspension
from tenderhub.core.procedures.model import Tender
from tenderhub.core.shared.clock import beijing
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from tenderhub.core.shared.events import DomainEvent
from tenderhub.core.shared.roles import Actor, Role
from tenderhub.crypto import keys
from tenderhub.crypto.errors import CryptoError
from tenderhub.hub import protocol
from tenderhub.services import parse as p
from tenderhub.services.authz import require_role
from tenderhub.services.context import Services
from tenderhub.services.sealed import vault_of
from tenderhub.services.tenders import load

TAG = "supervision:instruction:received"
KINDS = {"suspend": "暂停", "resume": "恢复", "correct": "责令改正", "inquire": "询问"}
FIELDS = frozenset({"id", "kind", "tender_id", "reason", "basis", "issued_at", "issuer"})
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
ACK_TYPE = "instruction-acknowledgement"


@dataclass(frozen=True)
class TrustedKey:
    """A key whose signed instructions this platform obeys."""

    name: str
    suite: str
    public_pem: bytes

    @property
    def fingerprint(self) -> str:
        return keys.fingerprint(self.public_pem)


def trusted_key(name: str, public_pem: bytes | str) -> TrustedKey:
    pem = public_pem.encode() if isinstance(public_pem, str) else public_pem
    return TrustedKey(name, keys.suite_of(pem), pem)


def trust(svc: Services, key: TrustedKey) -> None:
    svc.supervision_keys[key.fingerprint] = key


def trusted_from_files(paths: Iterable[Path | str]) -> list[TrustedKey]:
    """Supervision authority keys from PEM files (the file name is the authority's name)."""
    return [trusted_key(Path(path).stem, Path(path).read_bytes()) for path in paths]


@dataclass(frozen=True)
class Instruction:
    id: str
    kind: str
    tender_id: str
    reason: str
    issuer: str
    fingerprint: str


def receive(svc: Services, data: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Verify, record and apply one instruction; ``(created, signed acknowledgement)``."""
    body, signature = p.mapping(data, "instruction"), p.text(data, "signature")
    parsed = parse(body)
    signer = signer_of(svc, parsed, body, signature)
    digest = "sha256:" + protocol.digest(dict(body))
    with svc.uow(supervisor(signer)) as uow:
        tender = load(uow, parsed.tender_id, for_update=True)  # the tender's lock first, as every use case takes it
        uow.audit.lock_chain()  # then one instruction at a time: the check below sees every commit
        stored = find(uow, parsed.id)
        if stored is not None:
            return False, repeated(stored, digest)
        outcome = apply(tender, parsed, svc.act(supervisor(signer), parsed.reason))
        ack = acknowledge(svc, parsed, digest, outcome)
        uow.record(DomainEvent(TAG, parsed.id, svc.clock.now(), supervisor(signer).user_id, parsed.reason, data={
            "instruction": dict(body), "signature": signature, "signer": signer.fingerprint, "acknowledgement": ack}))
        uow.commit()
        return True, ack


def parse(body: Mapping[str, Any]) -> Instruction:
    path = "instruction."
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise Invalid(f"{path}{unknown[0]} is not a field of an instruction", message_zh=f"指令不含字段 {path}{unknown[0]}", field=f"{path}{unknown[0]}")
    ident, kind = p.text(body, "id", path), p.text(body, "kind", path)
    if not ID_RE.fullmatch(ident):
        raise Invalid(f"{path}id must be 1-64 letters, digits or . _ : -", message_zh=f"{path}id 须为 1–64 个字母、数字或 . _ : -", field=f"{path}id")
    if kind not in KINDS:
        raise Invalid(f"{path}kind must be one of {', '.join(KINDS)}", message_zh=f"{path}kind 须为 {'、'.join(KINDS)} 之一", field=f"{path}kind")
    basis, issuer = p.mapping(body, "basis", path), p.mapping(body, "issuer", path)
    p.text(basis, "law", f"{path}basis."), p.integer(basis, "article", f"{path}basis.", minimum=1)
    p.timestamp(body, "issued_at", path)
    reason = p.text(body, "reason", path)
    if not reason.strip():
        raise Invalid(f"{path}reason must not be empty", message_zh="指令须说明理由", field=f"{path}reason")
    return Instruction(ident, kind, p.text(body, "tender_id", path), reason,
                       p.text(issuer, "name", f"{path}issuer."), p.text(issuer, "key_fingerprint", f"{path}issuer."))


def signer_of(svc: Services, parsed: Instruction, body: Mapping[str, Any], signature: str) -> TrustedKey:
    key = svc.supervision_keys.get(parsed.fingerprint)
    if key is None:
        raise Forbidden(f"instruction.issuer.key_fingerprint {parsed.fingerprint[:16]}… is not a key this platform trusts",
                        message_zh="签发指令的密钥不是本平台信任的监督密钥", field="instruction.issuer.key_fingerprint", code="untrusted_key")
    try:
        valid = protocol.verify(key.suite, key.public_pem, dict(body), signature)
    except (CryptoError, ValueError, TypeError):
        valid = False
    if not valid:
        raise Forbidden("the signature does not verify over the canonical JSON of the instruction",
                        message_zh="指令签名验证失败", field="signature", code="bad_signature")
    return key


def supervisor(key: TrustedKey) -> Actor:
    return Actor(f"supervision:{key.fingerprint[:16]}", Role.REGULATOR, name=key.name)


def find(uow: Any, instruction_id: str) -> Any:
    found = uow.audit.list(target=instruction_id, tag=TAG, limit=1)
    return found[0] if found else None


def repeated(stored: Any, digest: str) -> dict[str, Any]:
    ack: dict[str, Any] = stored.data["acknowledgement"]
    if ack["acknowledgement"]["digest"] != digest:
        raise Conflict(f"instruction {stored.target} was received with other content; an instruction is immutable",
                       message_zh=f"指令 {stored.target} 已以不同内容接收，指令不可更改", field="instruction.id", code="instruction_changed")
    return ack


def apply(tender: Tender, parsed: Instruction, act: Act) -> dict[str, Any]:
    """Suspend or resume the tender; record the other kinds. The outcome for the acknowledgement."""
    if parsed.kind not in ("suspend", "resume"):
        return {"status": "recorded", "tender_status": tender.status.value}
    try:
        if parsed.kind == "suspend":
            suspension.suspend(tender, act)
        else:
            suspension.resume(tender, act)
    except Conflict as refused:
        return {"status": "not_applied", "tender_status": tender.status.value,
                "detail": {"zh": refused.message_zh, "en": refused.message_en}}
    return {"status": "applied", "tender_status": tender.status.value}


def acknowledge(svc: Services, parsed: Instruction, digest: str, outcome: dict[str, Any]) -> dict[str, Any]:
    """The acknowledgement signed with the platform's signing key (the one its releases use)."""
    pair = vault_of(svc).keys.pair("signing", "intl")
    body = {"type": ACK_TYPE, "instruction_id": parsed.id, "kind": parsed.kind, "tender_id": parsed.tender_id,
            "digest": digest, "platform_id": svc.platform_code, "received_at": beijing(svc.clock.now()).isoformat(),
            "outcome": outcome, "platform_key": keys.fingerprint(pair.public_pem)}
    return {"acknowledgement": body, "signature": protocol.sign(pair, body), "suite": pair.suite}


def get(svc: Services, actor: Actor, instruction_id: str) -> dict[str, Any]:
    """An instruction received, its signature and the acknowledgement (operator, supervision)."""
    require_role(actor, Role.OPERATOR, Role.REGULATOR)
    with svc.uow(actor) as uow:
        stored = find(uow, instruction_id) if ID_RE.fullmatch(instruction_id) else None
    if stored is None:
        raise NotFound(f"no instruction {instruction_id[:64]!r}", message_zh="没有该监督指令", field="instruction_id")
    return {"instruction": stored.data["instruction"], "signature": stored.data["signature"], "signer": stored.data["signer"],
            "received": stored.data["acknowledgement"]}

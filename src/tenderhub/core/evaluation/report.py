"""The written evaluation report (书面评标报告) and its signatures.

All members sign; a member who disagrees states the dissent and reasons in writing; refusing
to sign without a written reason counts as consent (条例 第53条; 政府采购法实施条例 第41条).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tenderhub.core.evaluation.legal import rule_for
from tenderhub.core.evaluation.methods import Method
from tenderhub.core.evaluation.scoring import RankedBid, Rejection
from tenderhub.core.shared.errors import Conflict, Forbidden, RuleViolation


@dataclass
class Signature:
    member_id: str
    at: datetime
    dissent: str = ""
    # The member's own electronic signature over the report (电子签名法 第13条), as verified by
    # the platform: a detached signature object of ``tenderhub.crypto.documents``.
    document_signature: dict[str, Any] | None = None


@dataclass
class EvaluationReport:
    evaluation_id: str
    lot_id: str
    regime: str
    method: Method
    committee: list[str]
    replaced: list[str]
    ranking: list[RankedBid]
    rejections: list[Rejection]
    candidates: list[str]
    seeds: list[str]
    finished_at: datetime
    failed: bool = False
    failure_rule: str = ""
    rejected_all_reason: str = ""
    signatures: list[Signature] = field(default_factory=list)

    def unsigned(self) -> list[str]:
        """Members who have not signed; without a written dissent they are deemed to consent."""
        signed = {s.member_id for s in self.signatures}
        return [m for m in self.committee if m not in signed]

    def dissents(self) -> list[Signature]:
        return [s for s in self.signatures if s.dissent]


def sign(report: EvaluationReport, member_id: str, *, at: datetime, dissents: bool = False, reason: str = "") -> Signature:
    """``member_id`` signs; a dissenting member must give the reasons in writing."""
    if member_id not in report.committee:
        raise Forbidden(f"{member_id!r} is not a sitting member", message_zh=f"{member_id} 不是在任评标委员会成员", field="member_id")
    if member_id not in report.unsigned():
        raise Conflict(f"{member_id!r} has already signed", message_zh=f"{member_id} 已签字", field="member_id", code="report_signed")
    if dissents and not reason.strip():
        rule = rule_for(report.regime, "report_dissent")
        assert rule is not None
        raise RuleViolation(rule, field="reason", member=member_id)
    signature = Signature(member_id=member_id, at=at, dissent=reason.strip() if dissents else "")
    report.signatures.append(signature)
    return signature

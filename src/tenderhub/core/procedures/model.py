"""The tender aggregate: a procedure with its lots, documents, clarifications and objections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tenderhub.core.awards.model import AwardNotice, Publicity, PublicizedCandidate
from tenderhub.core.bids.model import Bid, BidStatus, OpeningRecord, Registration
from tenderhub.core.contracts.model import Contract, PerformanceRecord
from tenderhub.core.evaluation.evaluation import Evaluation
from tenderhub.core.evaluation.methods import MethodConfig
from tenderhub.core.procedures.states import (
    LOT_EDGE_TAGS,
    LOT_TAGS,
    LOT_TRANSITIONS,
    TENDER_EDGE_TAGS,
    TENDER_TAGS,
    TENDER_TRANSITIONS,
    Category,
    LotStatus,
    Method,
    Regime,
    Sealing,
    TenderStatus,
)
from tenderhub.core.shared.events import DomainEvent
from tenderhub.core.shared.lifecycle import check_transition


@dataclass
class Party:
    subject_id: str
    uscc: str
    name: str


@dataclass
class Document:
    id: str
    title: str
    version: int
    digest: str
    issued_at: datetime
    kind: str = "tender_documents"  # 招标文件 / clarification / amendment


@dataclass
class Clarification:
    id: str
    at: datetime
    text: str
    lot_ids: list[str]
    moved_deadline_to: datetime | None = None


class ObjectionStage(StrEnum):
    DOCUMENTS = "documents"  # 对招标文件的异议 (条例 22) / 质疑 (GP法 52)
    OPENING = "opening"  # 开标现场异议 (条例 44)
    RESULT = "result"  # 对评标结果的异议 (条例 54)


class ObjectionStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


@dataclass
class Objection:
    id: str
    lot_id: str
    stage: ObjectionStage
    raised_by: str
    raised_at: datetime
    text: str
    answer_due: date
    answer_due_provisional: bool
    status: ObjectionStatus = ObjectionStatus.OPEN
    answer: str = ""
    answered_at: datetime | None = None
    answered_late: bool = False


@dataclass
class Suspension:
    at: datetime
    by: str
    reason: str
    resumed_at: datetime | None = None
    objection_id: str | None = None
    resumed_status: str = "active"


@dataclass
class Round:
    """One earlier, failed round of a re-tendered lot (dataset 502 BID_SECTION_NUM)."""

    number: int
    deadline: datetime
    failed_at: datetime | None
    failure_reason: str
    bids: list[Bid]


@dataclass
class Lot:
    id: str
    code: str
    title: str
    category: Category
    estimated_price: Decimal
    deadline: datetime
    status: LotStatus = LotStatus.DRAFT
    round: int = 1
    deadline_provisional: bool = False
    max_price: Decimal | None = None  # 最高投标限价, published (条例 第27条)
    base_price: Decimal | None = None  # 标底: secret until the opening (条例 第27、50条)
    bid_validity_days: int = 90  # 投标有效期, from the deadline (条例 第25条)
    decryption_window_minutes: int = 30  # 解密时限 written in the tender documents (电子办法 第30条)
    decryption_closes_at: datetime | None = None
    bid_security: Decimal = Decimal(0)
    performance_security_percent: Decimal = Decimal(0)
    evaluation_method: MethodConfig | None = None  # as written in the tender documents (条例 第49条)
    registrations: list[Registration] = field(default_factory=list)
    bids: list[Bid] = field(default_factory=list)
    opening: OpeningRecord | None = None
    evaluation: Evaluation | None = None
    report_at: datetime | None = None
    candidates: list[PublicizedCandidate] = field(default_factory=list)
    publicity: Publicity | None = None
    award: AwardNotice | None = None
    contract: Contract | None = None
    performance: list[PerformanceRecord] = field(default_factory=list)
    failure_reason: str = ""
    failed_at: datetime | None = None
    history: list[Round] = field(default_factory=list)


@dataclass
class Tender:
    id: str
    code: str
    regime: Regime
    method: Method
    title: str
    tenderer: Party
    lots: list[Lot]
    created_at: datetime
    status: TenderStatus = TenderStatus.DRAFT
    agency: Party | None = None
    state_funded: bool = True
    region: str = "110000"
    industry: str = ""
    investment_project_code: str = ""
    description: str = ""
    invitees: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    doc_sale_end: date | None = None
    documents: list[Document] = field(default_factory=list)
    clarifications: list[Clarification] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)
    suspensions: list[Suspension] = field(default_factory=list)
    cancel_reason: str = ""
    sealing: Sealing = Sealing.NONE

    def __post_init__(self) -> None:
        # Not a dataclass field: events are never persisted with the aggregate; the unit of
        # work pulls them into the audit trail and the outbox.
        self.pending_events: list[DomainEvent] = []

    @property
    def tenderer_id(self) -> str:
        return self.tenderer.subject_id

    def lot(self, lot_id: str) -> Lot:
        from tenderhub.core.shared.errors import NotFound

        for lot in self.lots:
            if lot.id == lot_id or lot.code == lot_id:
                return lot
        raise NotFound(f"no lot {lot_id!r} in tender {self.code}", message_zh=f"招标项目 {self.code} 中没有标段 {lot_id}", field="lot_id")

    def record(self, tag: str, target: str, at: datetime, by: str, reason: str = "", **data: Any) -> None:
        self.pending_events.append(DomainEvent(tag, target, at, by, reason, data))

    def transition_to(self, new: TenderStatus, *, at: datetime, by: str, reason: str = "") -> None:
        """The one guarded setter of the tender status (STYLE rule 3)."""
        check_transition(TENDER_TRANSITIONS, self.status, new, what="tender")
        old, self.status = self.status, new
        self.record(TENDER_EDGE_TAGS.get((old, new), TENDER_TAGS[new]), self.id, at, by, reason)

    def lot_transition(self, lot: Lot, new: LotStatus, *, at: datetime, by: str, reason: str = "") -> None:
        """The one guarded setter of a lot status (STYLE rule 3)."""
        check_transition(LOT_TRANSITIONS, lot.status, new, what="lot")
        old, lot.status = lot.status, new
        tag = LOT_EDGE_TAGS.get((old, new), LOT_TAGS[new])
        self.record(tag, lot.id, at, by, reason, previous=old.value, round=lot.round)

    def bid_transition(self, bid: Bid, new: BidStatus, *, at: datetime, by: str, reason: str = "") -> None:
        """Move a bid through its guarded setter and keep its event with the tender's."""
        bid.transition_to(new, at=at, by=by, reason=reason)
        self.pending_events.extend(bid.pull_events())

    def pull_events(self) -> list[DomainEvent]:
        events, self.pending_events = self.pending_events, []
        return events

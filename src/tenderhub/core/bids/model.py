"""Registrations, bids with their structured price form (开标一览表), and the opening record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from tenderhub.core.shared.events import DomainEvent
from tenderhub.core.shared.lifecycle import check_transition

T = TypeVar("T")


@dataclass
class Registration:
    """A bidder registered for a lot (投标报名 / 获取招标文件). Never shown to other bidders."""

    id: str
    bidder_id: str
    uscc: str
    name: str
    registered_at: datetime
    legal_representative: str = ""


class SecurityForm(StrEnum):
    CASH = "cash"  # 现金（基本账户转账）
    CHEQUE = "cheque"
    DRAFT = "draft"
    PROMISSORY_NOTE = "promissory_note"
    BANK_GUARANTEE = "bank_guarantee"
    GUARANTEE = "guarantee"  # 担保机构保函 / 电子保函
    INSURANCE = "insurance"  # 保证保险


@dataclass
class PriceForm:
    """开标一览表: what is read out at opening (dataset 506/507)."""

    price: Decimal
    period_days: int
    quality: str = "合格"
    security_amount: Decimal = Decimal(0)
    security_form: SecurityForm = SecurityForm.BANK_GUARANTEE
    project_manager: str = ""
    rate: Decimal | None = None  # 费率/下浮率 when the price is a rate


@dataclass
class DocumentRef:
    name: str
    digest: str
    size: int = 0


class BidStatus(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"  # 撤回 before the deadline, or decryption failed by others (电子办法 第31条)
    REVOKED = "revoked"  # 撤销: decryption failed by the bidder's fault
    OPENED = "opened"
    ARCHIVED = "archived"  # kept from a failed round


BID_TRANSITIONS: dict[BidStatus, frozenset[BidStatus]] = {
    BidStatus.SUBMITTED: frozenset({BidStatus.WITHDRAWN, BidStatus.REVOKED, BidStatus.OPENED, BidStatus.ARCHIVED}),
    BidStatus.OPENED: frozenset({BidStatus.ARCHIVED}),
    BidStatus.WITHDRAWN: frozenset({BidStatus.ARCHIVED}),
    BidStatus.REVOKED: frozenset({BidStatus.ARCHIVED}),
    BidStatus.ARCHIVED: frozenset(),
}

BID_TAGS: dict[BidStatus, str] = {
    BidStatus.SUBMITTED: "bids:bid:submitted",
    BidStatus.WITHDRAWN: "bids:bid:withdrawn",
    BidStatus.REVOKED: "bids:bid:revoked",
    BidStatus.OPENED: "bids:bid:opened",
    BidStatus.ARCHIVED: "bids:bid:archived",
}


class Decryption(StrEnum):
    """Online decryption at the opening (电子招标投标办法 第30–31条)."""

    PENDING = "pending"
    DECRYPTED = "decrypted"
    FAILED_BY_BIDDER = "failed_by_bidder"  # → 撤销 (revoked)
    FAILED_BY_OTHERS = "failed_by_others"  # → 撤回 (withdrawn); the bidder may claim its losses


@dataclass
class SealedPackage:
    """What the platform holds of a sealed bid before the opening: ciphertext only."""

    suite: str  # intl | gm
    digest: str  # SHA-256 of the ciphertext: the blob-store address
    size: int
    signature: str  # the bidder's signature over the ciphertext digest (base64)
    bidder_key: str  # fingerprint of the bidder's public key
    receipt_id: str
    received_at: datetime
    summary_digest: str = ""  # suite digest (SHA-256 / SM3) of the ciphertext, which the bidder signed
    bidder_public_key: str = ""  # PEM of the key that signed the package and its manifest
    claimed_manifest_digest: str = ""  # what the bidder's summary says the manifest digests to
    manifest_digest: str = ""  # verified at decryption
    decryption: Decryption = Decryption.PENDING
    decrypted_at: datetime | None = None
    failure: str = ""
    bid_version: int = 0  # the bid's version this package made (0: stored before it was kept; the bid's own)


@dataclass
class Bid:
    id: str
    lot_id: str
    bidder_id: str
    uscc: str
    name: str
    submitted_at: datetime
    price_form: PriceForm | None  # None while sealed: read from the manifest at decryption
    documents: list[DocumentRef] = field(default_factory=list)
    sealed: SealedPackage | None = None
    status: BidStatus = BidStatus.SUBMITTED
    version: int = 1
    modified_at: datetime | None = None
    withdrawn_at: datetime | None = None
    security_refund_due: datetime | None = None
    replaced: list[SealedPackage] = field(default_factory=list)  # earlier packages, each with its receipt (法 第29条)

    def __post_init__(self) -> None:
        # Not a field: the owning tender takes these into its own events (Tender.bid_transition).
        self.pending_events: list[DomainEvent] = []

    def transition_to(self, new: BidStatus, *, at: datetime, by: str = "", reason: str = "") -> None:
        """The one guarded setter of the bid status (STYLE rule 3); records one event."""
        check_transition(BID_TRANSITIONS, self.status, new, what="bid")
        self.status = new
        if new is BidStatus.WITHDRAWN:
            self.withdrawn_at = at
        self.pending_events.append(DomainEvent(BID_TAGS[new], self.id, at, by, reason))

    def pull_events(self) -> list[DomainEvent]:
        events, self.pending_events = self.pending_events, []
        return events


class PartialBidList(RuntimeError):
    """A programming error: an operation that needs every bid of a lot got a partial list."""


class PartialList(list[T]):
    """Only some of a lot's bids or registrations (those one use case asked for: a bidder's
    own, one bid id), loaded from storage (ADR 0010). ``stored`` is how many the lot had when
    loaded, so a new one still gets the next number; rules that need every bid refuse such a
    list (``procedures.guards.all_bids``)."""

    def __init__(self, items: list[T] | tuple[T, ...] = (), *, stored: int | Callable[[], int]) -> None:
        super().__init__(items)
        self._stored, self.loaded = stored, len(self)

    @property
    def stored(self) -> int:
        """How many the lot had when loaded (counted on first use when given as a function)."""
        if callable(self._stored):
            self._stored = self._stored()
        return self._stored

    @property
    def total(self) -> int:
        """How many the lot has in all, counting the ones appended since loading."""
        return self.stored + len(self) - self.loaded


def total_of(items: list[Any]) -> int:
    """The number of a lot's bids (or registrations), whether loaded whole or in part."""
    return items.total if isinstance(items, PartialList) else len(items)


@dataclass
class OpeningEntry:
    """One line of the opening record (唱标)."""

    bid_id: str
    bidder_name: str
    uscc: str
    price: Decimal
    period_days: int
    quality: str
    security_amount: Decimal
    security_form: str
    submitted_at: datetime


@dataclass
class OpeningRecord:
    """开标记录 (dataset 506)."""

    at: datetime
    opened_by: str
    entries: list[OpeningEntry]
    bid_count: int
    base_price: Decimal | None = None
    objections: list[str] = field(default_factory=list)
    signatures: list[OpeningSignature] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)  # bids revoked or withdrawn at decryption (第31条)


@dataclass
class OpeningSignature:
    """A bidder confirms the opening record (条例 第44条: objections on the spot, else it signs)."""

    bidder_id: str
    at: datetime
    signature: str = ""  # detached electronic signature (base64) when the bidder signs with a key

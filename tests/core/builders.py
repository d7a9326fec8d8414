"""Builders with keyword defaults for the domain tests of tenders, lots, bids and awards.

Every builder returns a fresh object; pass only what the test is about. Times are Beijing
time; the calendar is the in-memory ``WeekendCalendar`` twin (weekends plus given holidays).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from tenderhub.core.awards.model import PublicizedCandidate
from tenderhub.core.bids.model import Bid, DocumentRef, PriceForm, SecurityForm
from tenderhub.core.bids.submission import BidderInfo, register, submit
from tenderhub.core.procedures.model import Document, Lot, Party, Tender
from tenderhub.core.procedures.publishing import publish
from tenderhub.core.procedures.states import Category, LotStatus, Method, Regime
from tenderhub.core.shared.clock import BEIJING
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.days import WeekendCalendar, WorkdayCalendar

# Wednesday 6 March 2024, 09:00 Beijing: D+19 (Mon 25 Mar) and D+20 (Tue 26 Mar) are both
# working days, so a period boundary is never hidden behind a weekend.
ISSUE_DAY = date(2024, 3, 6)
T0 = datetime.combine(ISSUE_DAY, time(9), tzinfo=BEIJING)
DEADLINE = datetime.combine(date(2024, 4, 10), time(9, 30), tzinfo=BEIJING)  # a Wednesday
CALENDAR = WeekendCalendar()
ONE_US = timedelta(microseconds=1)


def beijing_at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BEIJING)


def an_act(*, at: datetime = T0, by: str = "agent-1", calendar: WorkdayCalendar | None = None,
           reason: str = "") -> Act:
    return Act(at, by, calendar or CALENDAR, reason)


def a_lot(*, index: int = 1, category: Category = Category.WORKS, estimated_price: Decimal | str = "10000000",
          deadline: datetime = DEADLINE, bid_security: Decimal | str = "0",
          performance_security_percent: Decimal | str = "0", status: LotStatus = LotStatus.DRAFT) -> Lot:
    return Lot(id=f"lot-{index}", code=f"BD{index:02d}", title=f"第{index}标段", category=category,
               estimated_price=Decimal(estimated_price), deadline=deadline, status=status,
               bid_security=Decimal(bid_security),
               performance_security_percent=Decimal(performance_security_percent))


def a_tender(*, regime: str | Regime = "works", method: str | Method = "open", lots: int = 1,
             deadline: datetime = DEADLINE, invitees: list[str] | None = None, title: str = "某某道路改造工程",
             category: Category = Category.WORKS, estimated_price: Decimal | str = "10000000",
             bid_security: Decimal | str = "0", performance_security_percent: Decimal | str = "0") -> Tender:
    built = [a_lot(index=i, category=category, estimated_price=estimated_price, deadline=deadline,
                   bid_security=bid_security, performance_security_percent=performance_security_percent)
             for i in range(1, lots + 1)]
    return Tender(id="tender-1", code="ZB2024-001", regime=Regime(regime), method=Method(method), title=title,
                  tenderer=Party("subject-t", "91110000TENDERER01", "某某建设单位"), lots=built,
                  created_at=T0 - timedelta(days=1), invitees=list(invitees or []))


def a_document(*, title: str = "招标文件", version: int = 1) -> Document:
    return Document(id=f"doc-{version}", title=title, version=version, digest=f"sha256-{version}", issued_at=T0)


def sale_end_for(regime: str | Regime) -> date:
    """A document sale end that satisfies both regimes (5 days / 5 working days after T0)."""
    return ISSUE_DAY + timedelta(days=7)


def a_published_tender(*, regime: str | Regime = "works", at: datetime = T0, **tender: object) -> Tender:
    built = a_tender(regime=regime, **tender)  # type: ignore[arg-type]
    publish(built, an_act(at=at), doc_sale_end=sale_end_for(regime), documents=[a_document()])
    built.pull_events()
    return built


def a_bidder(n: int = 1) -> BidderInfo:
    return BidderInfo(bidder_id=f"bidder-{n}", uscc=f"91110000BIDDER{n:04d}", name=f"投标人{n}")


def a_form(*, price: Decimal | str = "9000000", period_days: int = 365, security_amount: Decimal | str = "0",
           security_form: SecurityForm = SecurityForm.BANK_GUARANTEE) -> PriceForm:
    return PriceForm(price=Decimal(price), period_days=period_days, security_amount=Decimal(security_amount),
                     security_form=security_form)


def a_bid(*, status=None, n: int = 1) -> Bid:  # type: ignore[no-untyped-def]
    bid = Bid(id=f"bid-{n}", lot_id="lot-1", bidder_id=f"bidder-{n}", uscc=f"91110000BIDDER{n:04d}",
              name=f"投标人{n}", submitted_at=T0, price_form=a_form())
    if status is not None:
        bid.status = status
    return bid


def a_submitted_bid(tender: Tender, *, n: int = 1, lot_id: str = "lot-1", at: datetime = T0 + timedelta(days=1),
                    form: PriceForm | None = None) -> Bid:
    bidder = a_bidder(n)
    act = an_act(at=at, by=bidder.bidder_id)
    register(tender, act, lot_id=lot_id, bidder=bidder)
    return submit(tender, act, lot_id=lot_id, bidder=bidder, form=form or a_form(price=str(9_000_000 + n)),
                  documents=[DocumentRef("投标文件.pdf", f"sha-{n}")])


def with_bids(tender: Tender, count: int, *, lot_id: str = "lot-1") -> list[Bid]:
    bids = [a_submitted_bid(tender, n=n, lot_id=lot_id) for n in range(1, count + 1)]
    tender.pull_events()
    return bids


def candidates(count: int = 3) -> list[PublicizedCandidate]:
    return [PublicizedCandidate(rank, f"bid-{rank}", f"bidder-{rank}", f"投标人{rank}", f"91110000BIDDER{rank:04d}",
                                Decimal(9_000_000 + rank)) for rank in range(1, count + 1)]


def an_evaluated_tender(*, regime: str | Regime = "works", report_at: datetime | None = None,
                        candidate_count: int = 3) -> Tender:
    """A published tender whose first lot holds a finished evaluation report with candidates.

    The evaluation itself is tested in ``tests/core/evaluation``; here the lot is put straight
    into ``evaluated`` through the guarded setter so the award rules can be tested alone.
    """
    tender = a_published_tender(regime=regime)
    lot = tender.lots[0]
    at = report_at or DEADLINE + timedelta(days=1)
    for status in (LotStatus.OPENED, LotStatus.EVALUATING, LotStatus.EVALUATED):
        tender.lot_transition(lot, status, at=at, by="agent-1")
    lot.report_at, lot.candidates = at, candidates(candidate_count)
    tender.pull_events()
    return tender

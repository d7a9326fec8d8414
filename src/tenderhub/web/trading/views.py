"""Response models: the views of ``tenderhub.queries.tenders`` as documented JSON.

Views are role-filtered by the queries (电子招标投标办法 第20–21条; 招标投标法 第37条): a
sealed lot carries ``my_registration``/``my_bids`` instead of ``bids``; committee members
are anonymous until the award.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tenderhub.web.common.bodies import Out


class Party(Out):
    name: str
    uscc: str


class LotSummary(Out):
    id: str
    code: str
    title: str
    status: str


class TenderSummary(Out):
    id: str
    code: str = Field(examples=["TH110000001-2026-000001-001"])
    title: str
    regime: str
    method: str
    status: str
    tenderer: str
    published_at: str | None
    lots: list[LotSummary]


class BidView(Out):
    id: str
    bidder: str
    uscc: str
    status: str
    version: int
    submitted_at: str | None
    price: str | None = Field(examples=["11500000.00"], description="null while the bid is sealed")
    period_days: int | None
    security_amount: str | None
    security_form: str | None
    sealed: dict[str, Any] | None = Field(default=None, description="the sealed package, its receipt and decryption state")


class Member(Out):
    id: str | None = Field(description="Hidden (null) until the award, except to the member itself")
    name: str = Field(description="Hidden until the award: （评标结果公布前保密）")
    kind: str
    active: bool


class Committee(Out):
    size: int
    status: str
    members: list[Member]


class LotView(Out):
    id: str
    code: str
    title: str
    category: str
    status: str
    round: int
    estimated_price: str
    deadline: str | None
    my_registration: str | None = Field(default=None, description="Before opening: the viewer's own registration only")
    my_bids: list[BidView] | None = Field(default=None, description="Before opening: the viewer's own bids only")
    bids: list[BidView] | None = Field(default=None, description="From the opening on: every bid")
    committee: Committee | None = None


class TenderView(TenderSummary):
    tenderer: Party  # type: ignore[assignment]
    agency: Party | None
    lots: list[LotView]  # type: ignore[assignment]


class SubjectView(Out):
    id: str
    uscc: str
    name: str
    kind: str


class Registered(Out):
    subject: SubjectView
    user_id: str
    token: str = Field(description="The first user's API token, shown only once")


class UserCreated(Out):
    user_id: str
    role: str
    token: str = Field(description="Shown only once")


class ExpertAdded(Out):
    expert_id: str
    token: str = Field(description="Shown only once")


class Registration(Out):
    registration: str
    lot: str


class Objection(Out):
    objection: str
    answer_due: str
    tender: TenderView


class Opened(Out):
    lot: str
    status: str
    failure_reason: str | None = None
    tender: TenderView


class Drawn(Out):
    lot: str
    seed: str = Field(description="The recorded random seed: the draw can be replayed")
    committee_size: int
    tender: TenderView


class Scored(Out):
    lot: str
    bid: str


class Finished(Out):
    lot: str
    status: str
    failed: bool
    ranking: list[dict[str, str | int]]
    tender: TenderView


class Signed(Out):
    lot: str
    signed: str


class NoticeLoaded(Out):
    year: int
    source: str
    deadlines_changed: int


class Health(Out):
    status: str = Field(examples=["ok"])

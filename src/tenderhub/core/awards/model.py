"""Candidate publicity (中标候选人公示 / 中标结果公告) and the award notice (中标通知书)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass
class PublicizedCandidate:
    rank: int
    bid_id: str
    bidder_id: str
    name: str
    uscc: str
    price: Decimal
    score: Decimal | None = None


@dataclass
class Publicity:
    start: datetime
    end: datetime
    days: int
    end_provisional: bool
    extended_by_days: int = 0


@dataclass
class AwardNotice:
    at: datetime
    bidder_id: str
    bid_id: str
    name: str
    uscc: str
    amount: Decimal
    rank: int
    contract_due: datetime
    contract_due_provisional: bool
    reason_not_first: str = ""
    report_due: datetime | None = None  # 招标投标情况书面报告 (法 第47条)

"""The contract (合同) and its performance records (履约)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass
class Contract:
    signed_at: datetime
    amount: Decimal
    performance_security: Decimal
    period_days: int
    security_refund_due: datetime
    publish_due: datetime | None = None


@dataclass
class PerformanceRecord:
    """履约记录 (dataset 512/522): progress, acceptance, payment, completion."""

    at: datetime
    kind: str  # progress | acceptance | payment | completion | change
    text: str
    amount: Decimal | None = None

"""Small OCDS value builders: dates in Beijing time, CNY amounts, organizations by USCC."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tenderhub.core.shared.clock import beijing

SCHEME = "CN-USCC"  # 统一社会信用代码 (GB 32100)
CURRENCY = "CNY"


def when(at: datetime) -> str:
    """ISO 8601 with the +08:00 offset (stored in UTC, shown in Beijing time)."""
    return beijing(at).isoformat()


def number(amount: Decimal) -> int | float:
    """A JSON number for a Decimal amount: an int when whole, else the float whose shortest
    representation is the same decimal (exact for amounts up to 15 significant digits)."""
    if amount == amount.to_integral_value():
        return int(amount)
    as_float = float(amount)
    if Decimal(repr(as_float)) != amount:
        raise ValueError(f"{amount} has no exact JSON number representation")
    return as_float


def money(amount: Decimal) -> dict[str, Any]:
    return {"amount": number(amount), "currency": CURRENCY}


def party_id(uscc: str) -> str:
    return f"{SCHEME}-{uscc}"


def org(uscc: str, name: str) -> dict[str, Any]:
    """An OrganizationReference."""
    return {"id": party_id(uscc), "name": name}


def identifier(uscc: str, name: str) -> dict[str, Any]:
    return {"scheme": SCHEME, "id": uscc, "legalName": name}

"""Values in the formats of 公共资源交易平台系统数据规范 (cn-rules.md §9.8, "Key identifier
formats"): times as 14-digit ``yyyyMMddHHmmss`` in Beijing time, currency as the GB/T 12406
numeric code (156 = CNY), amounts as JSON numbers (the spec's ``N`` type; the OCDS value is
copied, never rounded), subject codes as the (masked) identifier the release carries, and the
header fields every record carries (``TENDER_PROJECT_CODE``, ``BID_SECTION_CODE``,
``TRADE_PLAT``, ``DATA_TIMESTAMP``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

BEIJING = timezone(timedelta(hours=8), "CST")  # China has kept UTC+8 without DST since 1991
# GB/T 12406 (= ISO 4217) numeric codes of the currencies a Chinese platform meets.
CURRENCY = {"CNY": "156", "HKD": "344", "MOP": "446", "TWD": "901", "USD": "840", "EUR": "978",
            "GBP": "826", "JPY": "392"}


def stamp(value: str | None) -> str | None:
    """``2026-12-21T09:30:00+08:00`` → ``20261221093000`` (Beijing time; a naive time is
    taken as Beijing time)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BEIJING)
    return moment.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


def money(field: str, value: dict[str, Any] | None) -> dict[str, Any]:
    """``{field: 11500000, "CURRENCY_CODE": "156"}`` from an OCDS ``Value`` (nothing if absent;
    an unknown currency leaves ``CURRENCY_CODE`` out rather than guessing)."""
    found = value or {}
    if found.get("amount") is None:
        return {}
    currency = CURRENCY.get(str(found.get("currency") or ""))
    return {field: found["amount"], **({"CURRENCY_CODE": currency} if currency else {})}


def clean(record: dict[str, Any]) -> dict[str, Any]:
    """The record without empty values (the schemas make every non-key field optional)."""
    return {k: v for k, v in record.items() if v is not None and v != [] and v != ""}


def header(compiled: dict[str, Any], lot: str | None = None, date: str | None = None) -> dict[str, Any]:
    """The identifiers every record carries: tender project (C20), lot (C23), trading platform
    (C11) and the data timestamp (the date of the release the data was taken from)."""
    codes = compiled.get("tenderhub") or {}
    return clean({"TENDER_PROJECT_CODE": codes.get("tenderProjectCode"), "BID_SECTION_CODE": lot,
                  "TRADE_PLAT": codes.get("platformCode"), "DATA_TIMESTAMP": stamp(date or compiled.get("date"))})


def party_code(compiled: dict[str, Any], party_id: str | None) -> str | None:
    """The subject code (USCC, or a masked ID number) of a party, from ``parties[].identifier``."""
    for party in compiled.get("parties") or []:
        if party.get("id") == party_id:
            return (party.get("identifier") or {}).get("id")
    return None


def identifier_code(identifier: dict[str, Any] | None) -> str | None:
    return (identifier or {}).get("id")

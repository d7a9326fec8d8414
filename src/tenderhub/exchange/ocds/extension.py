"""The schemas shipped with the package and the tenderhub extension (national data-spec fields).

The release schema is OCDS 1.1.5 patched with the bids and lots v1.1.5 extensions; the
tenderhub extension (``schema/tenderhub-extension.json``) is a JSON Merge Patch (RFC 7396)
applied on top, the way OCDS extensions are applied.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from tenderhub.core.awards.model import Publicity, PublicizedCandidate
from tenderhub.core.bids.model import Bid, OpeningEntry, OpeningRecord
from tenderhub.core.evaluation.committee import Committee
from tenderhub.core.procedures.model import Lot
from tenderhub.exchange.ocds.values import identifier, money, number, party_id, when

OCDS_BASE = "https://standard.open-contracting.org/schema/1__1__5/"
RELEASE_SCHEMA_URL = OCDS_BASE + "release-schema.json"
VERSIONED_SCHEMA_URL = OCDS_BASE + "versioned-release-validation-schema.json"
EXTENSIONS = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
)
PATCHED_RELEASE = "release-schema-1.1.5+bids+lots-v1.1.5.json"
TENDERHUB_PATCH = "tenderhub-extension.json"


def load(name: str) -> dict[str, Any]:
    """A schema shipped in ``exchange/ocds/schema/`` (a fresh copy: callers may change it)."""
    return copy.deepcopy(_load(name))


@cache
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(files("tenderhub.exchange.ocds").joinpath("schema").joinpath(name).read_text(encoding="utf-8"))
    return data


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge recursively, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def release_schema() -> dict[str, Any]:
    """The release schema used for validation and merge rules: core + bids + lots + tenderhub."""
    return copy.deepcopy(_release_schema())


@cache
def _release_schema() -> dict[str, Any]:
    patch = {k: v for k, v in _load(TENDERHUB_PATCH).items() if not k.startswith("$")}
    schema: dict[str, Any] = merge_patch(_load(PATCHED_RELEASE), patch)
    return schema


def package_schema(kind: str) -> dict[str, Any]:
    """``release`` or ``record``: the OCDS 1.1.5 package schema."""
    return load(f"{kind}-package-schema.json")


# ---- the national data-spec objects carried in ``release.tenderhub`` ----------------------
# Builders take core objects and return plain JSON; they are called by the mapping only at the
# stage where the data-spec makes them public (see docs/exchange.md).


def section(lot: Lot, number: int, deadline: datetime, failed_at: datetime | None = None, reason: str = "") -> dict[str, Any]:
    """Dataset 502: one round of a lot (BID_SECTION_NUM)."""
    found: dict[str, Any] = {"id": f"{lot.code}-{number}", "relatedLot": lot.code, "round": number, "bidDeadline": when(deadline)}
    if failed_at is not None:
        found.update(failedAt=when(failed_at), failureReason=reason or None)
    return found


def opening_record(lot: Lot, opening: OpeningRecord) -> dict[str, Any]:
    """Dataset 506 开标记录."""
    record: dict[str, Any] = {
        "id": f"{lot.code}-{lot.round}", "relatedLot": lot.code, "round": lot.round, "date": when(opening.at),
        "bidCount": opening.bid_count, "entries": [opening_entry(e) for e in opening.entries],
        "revokedBids": list(opening.revoked),
    }
    if opening.base_price is not None:
        record["basePrice"] = money(opening.base_price)
    return record


def opening_entry(entry: OpeningEntry) -> dict[str, Any]:
    return {
        "id": entry.bid_id, "relatedBid": entry.bid_id, "bidderName": entry.bidder_name,
        "bidderIdentifier": identifier(entry.uscc, entry.bidder_name), "price": money(entry.price),
        "periodDays": entry.period_days, "quality": entry.quality, "securityAmount": money(entry.security_amount),
        "securityForm": entry.security_form, "submittedAt": when(entry.submitted_at),
    }


def bidder_list(lot: Lot, bids: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Dataset 507 投标人名单, from (bid id, USCC, name) of the bids opened or revoked."""
    return {"id": f"{lot.code}-{lot.round}", "relatedLot": lot.code, "round": lot.round, "bidders": [
        {"id": party_id(uscc), "name": name, "identifier": identifier(uscc, name), "relatedBid": bid_id} for bid_id, uscc, name in bids
    ]}


def experts(lot: Lot, committee: Committee) -> dict[str, Any]:
    """Dataset 508 评标专家: sitting members by name only (never ID numbers or phones)."""
    members = [m for m in committee.members if m.active]
    return {"id": f"{lot.code}-{lot.round}", "relatedLot": lot.code, "round": lot.round, "members": [
        {"id": str(n), "name": m.name, "kind": m.kind.value} for n, m in enumerate(members, 1)
    ]}


def candidates(lot: Lot, publicity: Publicity) -> dict[str, Any]:
    """Datasets 510/511 中标候选人 and 中标候选人公示."""
    return {
        "id": f"{lot.code}-{lot.round}", "relatedLot": lot.code, "round": lot.round,
        "reportDate": when(lot.report_at) if lot.report_at else None,
        "publicityPeriod": {"startDate": when(publicity.start), "endDate": when(publicity.end)},
        "candidates": [candidate(c) for c in lot.candidates],
    }


def candidate(c: PublicizedCandidate) -> dict[str, Any]:
    return {"id": str(c.rank), "rank": c.rank, "relatedBid": c.bid_id, "name": c.name, "identifier": identifier(c.uscc, c.name),
            "price": money(c.price), "score": None if c.score is None else number(c.score)}


def fingerprint(lot: Lot, bid: Bid) -> dict[str, Any]:
    """Dataset 519 投标文件特征码: digests of the sealed package and the bid documents, never content."""
    sealed = bid.sealed
    found: dict[str, Any] = {"id": bid.id, "relatedBid": bid.id, "relatedLot": lot.code, "documents": [
        {"id": str(n), "name": d.name, "digest": d.digest, "size": d.size} for n, d in enumerate(bid.documents, 1) if d.digest
    ]}
    if sealed is not None:
        found.update(suite=sealed.suite, packageDigest=sealed.digest, summaryDigest=sealed.summary_digest or None,
                     manifestDigest=sealed.manifest_digest or None)
    return found


def bid_security(lot: Lot, entry: OpeningEntry) -> dict[str, Any]:
    """Dataset 523: the bid security (投标保证金 / 保函) read out at the opening."""
    return {"id": f"bid-security-{entry.bid_id}", "kind": "bidSecurity", "form": entry.security_form, "relatedLot": lot.code,
            "relatedBid": entry.bid_id, "provider": party_id(entry.uscc), "amount": money(entry.security_amount)}


def performance_security(lot: Lot, contract_id: str, supplier_uscc: str, amount: Decimal) -> dict[str, Any]:
    """Dataset 523: the performance security (履约保证金) of the contract."""
    return {"id": f"performance-security-{contract_id}", "kind": "performanceSecurity", "relatedLot": lot.code,
            "relatedContract": contract_id, "provider": party_id(supplier_uscc), "amount": money(amount)}

"""What a procedure's later announcements need from its earlier releases: a summary stored
with each release in ``portal_procedures`` (the latest one per ocid is the starting point of
the next), instead of compiling every stored release of the ocid again for each new one.
Insert-only, so two ingests of one procedure at once never lock each other (each starts from
the last committed summary; what one adds reaches the other's successors).

The summary has the shape of a (small) compiled release, so the announcement builders read it
like one: ``tender`` (``id``, ``title``, ``value``, ``procuringEntity.name``, ``lots[]`` with
``id``/``title``/``value``), ``buyer``, ``tenderhub`` (the dataset-501 codes), ``parties``
(only the buyer's ``address.region``) and ``awards[]`` (``id`` and supplier names). It holds
names, codes and amounts only: no identifier, no contact point. Releases are merged in the
order they arrive (a platform relays them in date order).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tenderhub.hub.portal.store import procedures

CODES = ("tenderProjectCode", "platformCode", "regime", "method", "regionCode", "industryCode")


def load(conn: sa.Connection, ocid: str) -> dict[str, Any] | None:
    """The latest summary of the procedure (as of the last release stored for it)."""
    p = procedures
    found = conn.execute(sa.select(p.c.summary).where(p.c.ocid == ocid).order_by(p.c.n.desc()).limit(1)).scalar()
    return None if found is None else dict(found)


def save(conn: sa.Connection, release: dict[str, Any], summary: dict[str, Any]) -> None:
    """One row per release (insert-only: no row lock shared between concurrent ingests)."""
    conn.execute(sa.insert(procedures).values(release_id=release["id"], ocid=release["ocid"], summary=summary))


def merged(summary: dict[str, Any] | None, release: dict[str, Any]) -> dict[str, Any]:
    """``summary`` with what ``release`` adds (a new dict; ``summary`` is not changed)."""
    found: dict[str, Any] = {"ocid": release["ocid"], "tender": {}, "tenderhub": {}, "parties": [], "awards": []}
    found.update({k: v for k, v in (summary or {}).items()})
    found["tender"] = merge_tender(found["tender"], release.get("tender") or {})
    found["tenderhub"] = {**found["tenderhub"], **{k: v for k, v in (release.get("tenderhub") or {}).items() if k in CODES}}
    if release.get("buyer"):
        found["buyer"] = {"id": release["buyer"].get("id"), "name": release["buyer"].get("name")}
    found["parties"] = buyer_region(found, release) or found["parties"]
    found["awards"] = merge_by_id(found["awards"], [award_names(a) for a in release.get("awards") or []])
    return found


def merge_tender(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    tender = {**old, **{k: new[k] for k in ("id", "title", "value") if new.get(k) is not None}}
    if (new.get("procuringEntity") or {}).get("name"):
        tender["procuringEntity"] = {"name": new["procuringEntity"]["name"]}
    lots = [{k: lot[k] for k in ("id", "title", "value") if lot.get(k) is not None} for lot in new.get("lots") or []]
    tender["lots"] = merge_by_id(old.get("lots") or [], lots)
    return tender


def merge_by_id(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = {item["id"]: dict(item) for item in old}
    for item in new:
        items[item["id"]] = {**items.get(item["id"], {}), **item}
    return list(items.values())


def award_names(award: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"id": award["id"]}
    if award.get("suppliers"):
        found["suppliers"] = [{"name": s.get("name", "")} for s in award["suppliers"]]
    return found


def buyer_region(summary: dict[str, Any], release: dict[str, Any]) -> list[dict[str, Any]]:
    buyer = (summary.get("buyer") or {}).get("id")
    for party in release.get("parties") or []:
        region = (party.get("address") or {}).get("region")
        if buyer and party.get("id") == buyer and region:
            return [{"id": buyer, "address": {"region": str(region)}}]
    return []

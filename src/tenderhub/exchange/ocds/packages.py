"""Release and record packages (OCDS 1.1), and the flat table of releases for Parquet."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tenderhub.exchange.ocds.codes import AWARD_ACTIVE
from tenderhub.exchange.ocds.extension import EXTENSIONS
from tenderhub.exchange.ocds.merge import compile_release, sorted_releases, versioned_release

VERSION = "1.1"


@dataclass(frozen=True)
class Publisher:
    name: str
    scheme: str | None = None
    uid: str | None = None
    uri: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in {"name": self.name, "scheme": self.scheme, "uid": self.uid, "uri": self.uri}.items() if v}


def published_date(releases: list[dict[str, Any]]) -> str:
    """An on-demand package is dated by its latest release (the last change it contains)."""
    return max(r["date"] for r in releases)


def _envelope(publisher: Publisher, uri: str, published: str) -> dict[str, Any]:
    return {"uri": uri, "publisher": publisher.as_json(), "publishedDate": published, "version": VERSION,
            "extensions": list(EXTENSIONS)}


def release_package(releases: list[dict[str, Any]], *, publisher: Publisher, uri: str, published: str | None = None) -> dict[str, Any]:
    when = published or (published_date(releases) if releases else "1970-01-01T00:00:00Z")
    return _envelope(publisher, uri, when) | {"releases": releases}


def by_ocid(releases: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for one in releases:
        groups.setdefault(one["ocid"], []).append(one)
    return groups


def record(ocid: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted_releases(releases)
    return {"ocid": ocid, "releases": ordered, "compiledRelease": compile_release(ordered),
            "versionedRelease": versioned_release(ordered)}


def record_package(releases: list[dict[str, Any]], *, publisher: Publisher, uri: str, published: str | None = None) -> dict[str, Any]:
    """One record per ocid, each with its releases (embedded), compiled and versioned release."""
    when = published or (published_date(releases) if releases else "1970-01-01T00:00:00Z")
    return _envelope(publisher, uri, when) | {"records": [record(o, rs) for o, rs in by_ocid(releases).items()]}


# ---- a flat table of releases -------------------------------------------------------------------


def flat_row(release: dict[str, Any]) -> dict[str, Any]:
    tender = release.get("tender") or {}
    value = tender.get("value") or {}
    awards = release.get("awards") or []
    return {
        "ocid": release["ocid"], "id": release["id"], "date": release["date"], "tag": ",".join(release.get("tag") or []),
        "buyer_id": (release.get("buyer") or {}).get("id"), "buyer": (release.get("buyer") or {}).get("name"),
        "tender_id": tender.get("id"), "title": tender.get("title"), "value": value.get("amount"),
        "currency": value.get("currency"), "lots": len(tender.get("lots") or []),
        "bids": len((release.get("bids") or {}).get("details") or []), "awards": len(awards),
        "awarded_value": sum(float((a.get("value") or {}).get("amount") or 0) for a in awards if a.get("status") == AWARD_ACTIVE),
        "contracts": len(release.get("contracts") or []),
        "json": json.dumps(release, ensure_ascii=False, sort_keys=True),
    }


def flat_table(releases: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [flat_row(r) for r in releases]

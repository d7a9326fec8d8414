"""National data-spec datasets (公共资源交易平台数据规范, tendering 500-series) as JSON, built from
the OCDS releases of one contracting process.

``dataset(code, releases)`` → ``{dataset, view, name, table, ocid, source, items}``: by default
(``view="spec"``) the items are records in the spec's own field names and formats
(``spec.py``, ``formats.py``: ``BID_SECTION_CODE``, 14-digit Beijing times, currency 156);
``view="ocds"`` keeps the earlier OCDS-named records. Each code and view has a JSON Schema
(``schema/{code}.json``, ``schema/ocds/{code}.json``; ``schema(code, view)``, ``validate(doc)``). The codes and
table names are those of cn-rules.md §9.8 (the Fujian V4 tables that follow the national
numbering); the OCDS source of each is the table in docs/exchange.md ("Releases: one per
published stage" and "The tenderhub extension"). Only the public view of each release is
used (``privacy.view_for(Role.PUBLIC, …)``).

The extension datasets keep the extension's objects (``release.tenderhub.*``); the notice
datasets are built from OCDS fields. 508 (experts) lists only lots whose result is
published (an ``active`` award): 招标投标法 第37条第五款 keeps the committee secret until then.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema_rs

from tenderhub.core.shared.roles import Role
from tenderhub.exchange.datasets.spec import BUILDERS
from tenderhub.exchange.ocds.codes import AWARD_ACTIVE
from tenderhub.exchange.ocds.merge import compile_release, sorted_releases
from tenderhub.exchange.privacy import view_for

Builder = Callable[[list[dict[str, Any]], dict[str, Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class Spec:
    code: str
    table: str
    name: str
    source: str
    build: Builder


def ext(key: str) -> Builder:
    """The merged ``tenderhub.<key>`` objects of the compiled release."""
    return lambda releases, compiled: list((compiled.get("tenderhub") or {}).get(key) or [])


def tender_project(releases: list[dict[str, Any]], compiled: dict[str, Any]) -> list[dict[str, Any]]:
    codes = compiled.get("tenderhub") or {}
    if not codes.get("tenderProjectCode"):
        return []
    item = {k: codes[k] for k in ("tenderProjectCode", "platformCode", "regime", "method", "regionCode",
                                  "industryCode", "investmentProjectCode") if codes.get(k)}
    return [{"id": codes["tenderProjectCode"], "title": (compiled.get("tender") or {}).get("title"),
             "buyer": compiled.get("buyer"), **item}]


def tender_notice(releases: list[dict[str, Any]], compiled: dict[str, Any]) -> list[dict[str, Any]]:
    return [notice(r) for r in releases if "tender" in (r.get("tag") or [])]


def notice(release: dict[str, Any]) -> dict[str, Any]:
    tender = release.get("tender") or {}
    entity = tender.get("procuringEntity")
    return {"id": release["id"], "title": tender.get("title"), "noticeSendTime": release["date"],
            "bidDocReferEndTime": (tender.get("tenderPeriod") or {}).get("endDate"), "tenderer": release.get("buyer"),
            "agency": entity if entity and entity != release.get("buyer") else None,
            "procurementMethod": tender.get("procurementMethod"), "procurementMethodDetails": tender.get("procurementMethodDetails"),
            "value": tender.get("value"), "lots": [{k: lot.get(k) for k in ("id", "title", "value")} for lot in tender.get("lots") or []],
            "documents": [{k: d.get(k) for k in ("id", "title", "datePublished")} for d in tender.get("documents") or []]}


def clarifications(releases: list[dict[str, Any]], compiled: dict[str, Any]) -> list[dict[str, Any]]:
    return [clarification(r) for r in releases if "tenderAmendment" in (r.get("tag") or [])]


def clarification(release: dict[str, Any]) -> dict[str, Any]:
    tender = release.get("tender") or {}
    return {"id": release["id"], "date": release["date"],
            "descriptions": [a.get("description") or "" for a in tender.get("amendments") or []],
            "newBidDeadline": (tender.get("tenderPeriod") or {}).get("endDate"),
            "documents": [{k: d.get(k) for k in ("id", "title", "datePublished")} for d in tender.get("documents") or []]}


def published_lots(compiled: dict[str, Any]) -> set[str]:
    return {lot for a in compiled.get("awards") or [] if a.get("status") == AWARD_ACTIVE for lot in a.get("relatedLots") or []}


def experts(releases: list[dict[str, Any]], compiled: dict[str, Any]) -> list[dict[str, Any]]:
    lots = published_lots(compiled)
    return [c for c in ext("evaluationExperts")(releases, compiled) if c.get("relatedLot") in lots]


def candidates(drop: str) -> Builder:
    return lambda releases, compiled: [{k: v for k, v in c.items() if k != drop} for c in ext("candidates")(releases, compiled)]


def win_results(releases: list[dict[str, Any]], compiled: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: a.get(k) for k in ("id", "title", "date", "value", "suppliers", "relatedLots")}
            for a in compiled.get("awards") or [] if a.get("status") == AWARD_ACTIVE]


def contracts(releases: list[dict[str, Any]], compiled: dict[str, Any]) -> list[dict[str, Any]]:
    awards = {a.get("id"): a for a in compiled.get("awards") or []}
    return [{"id": c["id"], "awardID": c.get("awardID"), "title": c.get("title"), "status": c.get("status"),
             "value": c.get("value"), "dateSigned": c.get("dateSigned"), "durationInDays": (c.get("period") or {}).get("durationInDays"),
             "suppliers": (awards.get(c.get("awardID")) or {}).get("suppliers") or []} for c in compiled.get("contracts") or []]


def performance(releases: list[dict[str, Any]], compiled: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for c in compiled.get("contracts") or []:
        done = c.get("implementation") or {}
        paid = {t.get("id"): t.get("value") for t in done.get("transactions") or []}
        found += [{"id": m["id"], "contractId": c["id"], "title": m.get("title"), "description": m.get("description"),
                   "dateMet": m.get("dateMet"), "payment": paid.get(m["id"])} for m in done.get("milestones") or []]
    return found


SPECS = {s.code: s for s in (
    Spec("501", "TENDER_PROJECT", "招标项目", "release.tenderhub (codes) + tender.title + buyer", tender_project),
    Spec("502", "SECTION", "标段(包)", "release.tenderhub.sections[]", ext("sections")),
    Spec("503", "TENDER_ANN_QUA_INQUERY_ANN", "招标公告", "the release tagged tender (tender, buyer)", tender_notice),
    Spec("504", "TENDER_FILE_CLARI_MODI", "招标文件澄清修改", "releases tagged tenderAmendment (tender.amendments, tenderPeriod, documents)", clarifications),
    Spec("506", "BID_OPENING_RECORD", "开标记录", "release.tenderhub.openingRecords[]", ext("openingRecords")),
    Spec("507", "TENDER_LIST", "投标人名单", "release.tenderhub.bidderLists[]", ext("bidderLists")),
    Spec("508", "BID_EVALUATION_EXPERT", "评标专家", "release.tenderhub.evaluationExperts[] of lots with an active award", experts),
    Spec("510", "TENDER_CANDIDATE", "中标候选人", "release.tenderhub.candidates[] (without the publicity period)", candidates("publicityPeriod")),
    Spec("511", "TENDER_CANDIDATE_ANNOUNCE", "中标候选人公示", "release.tenderhub.candidates[] (without the report date)", candidates("reportDate")),
    Spec("512", "CONTRACT_PERFORMANCE", "合同", "contracts[] (and the award's suppliers)", contracts),
    Spec("513", "WIN_RESULT_ANNO", "中标结果公告", "awards[] with status active", win_results),
    Spec("519", "BID_DOC_CHARACT_CODE", "投标文件特征码", "release.tenderhub.bidFingerprints[]", ext("bidFingerprints")),
    Spec("522", "PERFORMANCE", "履约", "contracts[].implementation (milestones, transactions)", performance),
    Spec("523", "LETTER_OF_GUARANTEE", "保函", "release.tenderhub.guarantees[]", ext("guarantees")),
)}


VIEWS = ("spec", "ocds")


def dataset(code: str, releases: list[dict[str, Any]], view: str = "spec") -> dict[str, Any]:
    """Dataset ``code`` of one contracting process (``releases`` all share the ocid), in the
    spec's field names (``view="spec"``) or the OCDS-named view (``view="ocds"``)."""
    spec = SPECS[code]
    if view not in VIEWS:
        raise ValueError(f"view: {view!r} is not one of {VIEWS}")
    public = sorted_releases([view_for(Role.PUBLIC, r) for r in releases])
    compiled = compile_release(public)
    build = BUILDERS[code] if view == "spec" else spec.build
    return {"dataset": code, "view": view, "table": spec.table, "name": spec.name, "ocid": compiled["ocid"],
            "source": spec.source, "items": build(public, compiled)}


@cache
def _schema(code: str, view: str = "spec") -> dict[str, Any]:
    folder = files("tenderhub.exchange.datasets").joinpath("schema")
    path = folder.joinpath(f"{code}.json") if view == "spec" else folder.joinpath("ocds", f"{code}.json")
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return found


def schema(code: str, view: str = "spec") -> dict[str, Any]:
    return json.loads(json.dumps(_schema(code, view)))


@cache
def _validator(code: str, view: str) -> Any:
    return jsonschema_rs.validator_for(_schema(code, view), validate_formats=True)


def validate(doc: dict[str, Any]) -> list[str]:
    """Every violation of the dataset's schema (the one of its ``view``), as ``pointer: message``
    (empty when valid)."""
    view = "ocds" if doc.get("view") == "ocds" else "spec"
    found = _validator(str(doc.get("dataset")), view).iter_errors(doc)
    return sorted(f"/{'/'.join(map(str, e.instance_path))}: {e.message}" for e in found)

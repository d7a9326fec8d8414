"""The trading platform's Tender aggregate → OCDS 1.1 releases, one per published stage.

| stage | tag | when |
| --- | --- | --- |
| tender notice (招标公告) | tender | ``published_at`` |
| clarification / amendment, later document | tenderAmendment | its time |
| opening record (开标记录) | tenderUpdate | ``opening.at`` (bids appear here, never before) |
| a failed round (流标) | tenderUpdate | ``failed_at`` |
| candidate publicity (中标候选人公示) | award (pending) | ``publicity.start`` |
| award notice (中标通知书) | award | ``award.at`` |
| contract (合同) | contract | ``signed_at`` |
| performance record (履约) | implementation | its time |

Release ids are ``{ocid}-{stage}-{key}`` built from append-only facts (lot number, round,
position in an append-only list), so a release keeps its id when later stages are added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tenderhub.core.procedures.model import Clarification, Document, Lot, Tender
from tenderhub.core.procedures.states import Category, Method
from tenderhub.exchange.ocds import lots as lot_stages
from tenderhub.exchange.ocds.stage import Ref, Stage
from tenderhub.exchange.ocds.values import identifier, money, org, party_id, when

DEFAULT_PREFIX = "ocds-thxxxx-"
ROLE_ORDER = ("buyer", "procuringEntity", "tenderer", "supplier")
CATEGORY = {Category.WORKS: "works", Category.GOODS: "goods", Category.SERVICES: "services", Category.SURVEY_DESIGN: "services"}
METHOD = {Method.OPEN: ("open", "公开招标"), Method.INVITED: ("selective", "邀请招标")}
AWARD_CRITERIA = {"lowest_evaluated_price": "priceOnly", "composite": "ratedCriteria"}


@dataclass(frozen=True)
class MappingOptions:
    ocid_prefix: str = DEFAULT_PREFIX  # registered with the OCP, e.g. ``ocds-thxxxx-``
    platform_code: str = ""
    language: str = "zh"


@dataclass
class Process:
    tender: Tender
    ocid: str
    options: MappingOptions
    roles: dict[str, set[str]] = field(default_factory=dict)

    def release_id(self, kind: str, key: str) -> str:
        return f"{self.ocid}-{kind}-{key}"


def ocid_for(tender: Tender, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}{tender.code}"


def releases_for(tender: Tender, options: MappingOptions | None = None) -> list[dict[str, Any]]:
    """Every release of the tender's published stages, oldest first (none for a draft)."""
    opts = options or MappingOptions()
    if tender.published_at is None:
        return []
    process = Process(tender, ocid_for(tender, opts.ocid_prefix), opts)
    stages = sorted(all_stages(process), key=lambda s: s.at)
    return [release(process, s) for s in stages]


def all_stages(process: Process) -> list[Stage]:
    tender = process.tender
    stages = [tender_stage(process)]
    stages += [amendment_stage(process, n, c) for n, c in enumerate(tender.clarifications, 1)]
    stages += [document_stage(process, d) for d in later_documents(tender)]
    for number, lot in enumerate(tender.lots, 1):
        stages += lot_stages.stages(process.ocid, tender.code, number, lot)
    return stages


def release(process: Process, stage: Stage) -> dict[str, Any]:
    tender = process.tender
    found: dict[str, Any] = {
        "ocid": process.ocid, "id": process.release_id(stage.kind, stage.key), "date": when(stage.at), "tag": [stage.tag],
        "initiationType": "tender", "language": process.options.language,
        "parties": [party(process, ref) for ref in stage.parties],
        "buyer": org(tender.tenderer.uscc, tender.tenderer.name),
    }
    found.update(stage.body)
    found.setdefault("tender", {})["id"] = tender.code
    found["tender"] = {"id": tender.code} | found["tender"]
    return found


def party(process: Process, ref: Ref) -> dict[str, Any]:
    """An Organization with every role it has gained up to this release (roles replace as a
    whole when releases merge, so each release carries the cumulative list)."""
    roles = process.roles.setdefault(ref.uscc, set())
    roles.update(ref.roles)
    return {"id": party_id(ref.uscc), "name": ref.name, "identifier": identifier(ref.uscc, ref.name),
            "roles": [r for r in ROLE_ORDER if r in roles]}


# ---- tender-level stages --------------------------------------------------------------------


def tender_stage(process: Process) -> Stage:
    tender = process.tender
    assert tender.published_at is not None
    body = {"tender": tender_object(tender), "tenderhub": tender_extension(process)}
    return Stage("tender", "1", tender.published_at, "tender", body, buyer_refs(tender))


def buyer_refs(tender: Tender) -> list[Ref]:
    if tender.agency is None:
        return [Ref(tender.tenderer.uscc, tender.tenderer.name, ("buyer", "procuringEntity"))]
    return [Ref(tender.tenderer.uscc, tender.tenderer.name, ("buyer",)),
            Ref(tender.agency.uscc, tender.agency.name, ("procuringEntity",))]


def tender_object(tender: Tender) -> dict[str, Any]:
    assert tender.published_at is not None
    entity = tender.agency or tender.tenderer
    method, details = METHOD[tender.method]
    found: dict[str, Any] = {
        "title": tender.title, "status": "active", "procuringEntity": org(entity.uscc, entity.name),
        "procurementMethod": method, "procurementMethodDetails": details,
        "value": money(sum((lot.estimated_price for lot in tender.lots), Decimal(0))),
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": when(tender.published_at), "endDate": when(max(first_deadline(lot) for lot in tender.lots))},
        "lots": [lot_object(lot) for lot in tender.lots],
        "items": [{"id": f"{lot.code}-1", "description": lot.title, "relatedLot": lot.code} for lot in tender.lots],
    }
    documents = [document(d) for d in tender.documents if d not in later_documents(tender)]
    if documents:
        found["documents"] = documents
    found.update(optional_tender_fields(tender))
    return found


def optional_tender_fields(tender: Tender) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if tender.description:
        found["description"] = tender.description
    categories = {CATEGORY[lot.category] for lot in tender.lots}
    if len(categories) == 1:
        found["mainProcurementCategory"] = categories.pop()
    criteria = {AWARD_CRITERIA.get(lot.evaluation_method.method.value if lot.evaluation_method else "lowest_evaluated_price") for lot in tender.lots}
    if len(criteria) == 1 and None not in criteria:
        found["awardCriteria"] = criteria.pop()
    return found


def first_deadline(lot: Lot) -> datetime:
    return lot.history[0].deadline if lot.history else lot.deadline


def lot_object(lot: Lot) -> dict[str, Any]:
    return {"id": lot.code, "title": lot.title, "status": "active", "value": money(lot.max_price or lot.estimated_price)}


def document(d: Document) -> dict[str, Any]:
    kind = "biddingDocuments" if d.kind == "tender_documents" else "clarifications"
    return {"id": d.id, "documentType": kind, "title": d.title, "datePublished": when(d.issued_at), "language": "zh"}


def later_documents(tender: Tender) -> list[Document]:
    """Documents issued after the notice: each is published by its own amendment release."""
    assert tender.published_at is not None
    return [d for d in tender.documents if d.issued_at > tender.published_at]


def tender_extension(process: Process) -> dict[str, Any]:
    tender = process.tender
    found: dict[str, Any] = {"tenderProjectCode": tender.code, "regime": tender.regime.value, "method": tender.method.value,
                             "regionCode": tender.region}
    optional = {"platformCode": process.options.platform_code, "industryCode": tender.industry,
                "investmentProjectCode": tender.investment_project_code}
    found.update({k: v for k, v in optional.items() if v})
    return found


def amendment_stage(process: Process, number: int, c: Clarification) -> Stage:
    key = str(number)
    amendment = {"id": c.id, "date": when(c.at), "description": c.text,
                 "amendsReleaseID": process.release_id("tender", "1"), "releaseID": process.release_id("amendment", key)}
    tender: dict[str, Any] = {"amendments": [amendment]}
    if c.moved_deadline_to is not None:
        tender["tenderPeriod"] = {"endDate": when(c.moved_deadline_to)}
    return Stage("amendment", key, c.at, "tenderAmendment", {"tender": tender}, [])


def document_stage(process: Process, d: Document) -> Stage:
    key = str(process.tender.documents.index(d) + 1)
    return Stage("document", key, d.issued_at, "tenderAmendment", {"tender": {"documents": [document(d)]}}, [])

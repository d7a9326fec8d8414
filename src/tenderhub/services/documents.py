"""The signed documents of a tender (电子招标投标办法 第40条; 电子签名法 第13条).

Each published document is rendered as canonical JSON and sealed with the platform's
certificate; ``tenderhub verify`` checks any of them offline against the trust list.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from tenderhub.core.procedures.model import Lot, Tender
from tenderhub.core.shared.errors import Invalid, NotFound
from tenderhub.core.shared.roles import PUBLIC
from tenderhub.crypto.documents import sign_document
from tenderhub.queries.tenders import candidate_view, iso, opening_view, tender_view
from tenderhub.services.context import Services
from tenderhub.services.sealed import vault_of
from tenderhub.services.tenders import load

TENDER_KINDS = ("notice", "tender_documents", "clarifications")
LOT_KINDS = ("opening_record", "evaluation_report", "candidate_publicity", "award_notice", "contract")
KINDS = TENDER_KINDS + LOT_KINDS


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def content_of(tender: Tender, kind: str, lot_ref: str | None) -> dict[str, Any]:
    head = {"kind": kind, "tender": tender.code, "title": tender.title, "tenderer": tender.tenderer.name, "tenderer_uscc": tender.tenderer.uscc}
    if kind in TENDER_KINDS:
        view = tender_view(tender, PUBLIC)
        body = {"notice": {k: view[k] for k in ("regime", "method", "published_at", "doc_sale_end", "lots", "agency")},
                "tender_documents": {"documents": view["documents"]},
                "clarifications": {"clarifications": view["clarifications"]}}[kind]
        if kind == "notice" and tender.published_at is None:
            raise NotFound("the tender is not published yet", message_zh="招标公告尚未发布", field="kind")
        return {**head, **body}
    if lot_ref is None:
        raise Invalid(f"{kind} belongs to a lot: give lot", message_zh=f"{kind} 属于标段，请给出标段", field="lot")
    lot = tender.lot(lot_ref)
    return {**head, "lot": lot.code, "lot_title": lot.title, **lot_content(lot, kind)}


def lot_content(lot: Lot, kind: str) -> dict[str, Any]:
    missing = NotFound(f"the lot has no {kind} yet", message_zh=f"该标段尚无 {kind}", field="kind")
    if kind == "opening_record":
        if lot.opening is None:
            raise missing
        view = opening_view(lot) or {}
        return {"opening": {k: v for k, v in view.items() if k != "signed_by"}}  # stable while bidders sign
    if kind == "evaluation_report":
        report = lot.evaluation.report if lot.evaluation else None
        if report is None:
            raise missing
        return {"method": report.method.value, "finished_at": iso(report.finished_at), "failed": report.failed,
                "ranking": [{"bid": r.bid_id, "rank": r.rank, "total": str(r.total), "evaluated_price": str(r.evaluated_price)} for r in report.ranking],
                "rejections": [{"bid": r.bid_id, "ground": r.ground.value, "reason": r.reason} for r in report.rejections],
                "committee_size": len(report.committee)}  # stable while the members sign it
    if kind == "candidate_publicity":
        if lot.publicity is None:
            raise missing
        return {"start": iso(lot.publicity.start), "end": iso(lot.publicity.end), "candidates": [candidate_view(c) for c in lot.candidates]}
    if kind == "award_notice":
        if lot.award is None:
            raise missing
        return {"at": iso(lot.award.at), "winner": lot.award.name, "winner_uscc": lot.award.uscc, "amount": str(lot.award.amount)}
    if lot.contract is None:
        raise missing
    return {"signed_at": iso(lot.contract.signed_at), "amount": str(lot.contract.amount), "performance_security": str(lot.contract.performance_security)}


def signed_document(svc: Services, tender_id: str, kind: str, lot: str | None = None) -> dict[str, Any]:
    """``{"content": {...}, "content_b64": ..., "signature": {...}}`` sealed by the platform."""
    if kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}", message_zh=f"文件类型须为 {', '.join(KINDS)} 之一", field="kind")
    with svc.uow(None) as uow:
        content = content_of(load(uow, tender_id), kind, lot)
    vault, now = vault_of(svc), svc.clock.now()
    data = canonical(content)
    signature = sign_document("intl", vault.identity.certificate(now), vault.keys.pair("signing", "intl").private_pem, data, kind=kind, signed_at=now)
    return {"content": content, "content_b64": base64.b64encode(data).decode(), "signature": signature}


def personal_signatures(svc: Services, tender_id: str, kind: str, lot: str) -> list[tuple[str, dict[str, Any]]]:
    """The signers' own signatures of a lot document: experts on the report, bidders on the record."""
    with svc.uow(None) as uow:
        found = load(uow, tender_id).lot(lot)
        if kind == "evaluation_report" and found.evaluation and found.evaluation.report:
            return [(s.member_id, s.document_signature) for s in found.evaluation.report.signatures if s.document_signature]
        if kind == "opening_record" and found.opening:
            return [(s.bidder_id, json.loads(s.signature)) for s in found.opening.signatures if s.signature.startswith("{")]
    return []


def trust_anchor(svc: Services) -> bytes:
    """The CA certificate that verifies the platform's signatures (for ``verify --trust``)."""
    ca_cert, _ = vault_of(svc).identity.ca(svc.clock.now())
    return ca_cert  # type: ignore[no-any-return]

"""The records of each dataset in the field names of 公共资源交易平台系统数据规范 (cn-rules.md
§9.8 "Selected fields"), built from the public view of the releases the hub holds.

A field the reference does not list but the releases carry is kept under a ``TH_`` name (the
schemas say so in its ``description``). Fields the releases do not carry are left out, never
invented: ``UNIFIED_DEAL_CODE`` (needs the operator's USCC and a serial the releases do not
hold), ``PLATFORM_CODE`` (the operator's USCC; the releases carry the C11 ``TRADE_PLAT``),
``DOC_GET_END_TIME``, ``BID_OPENING_ACTOR``, ``OBJECTION_METHOD``, ``EXAMINER_NAME``, ``URL``,
and the machine codes of 519 (``CPU_ID`` …: secret, dropped from the public view).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenderhub.exchange.datasets.formats import (
    clean,
    header,
    identifier_code,
    money,
    party_code,
    stamp,
)
from tenderhub.exchange.ocds.codes import AWARD_ACTIVE

Record = dict[str, Any]
SpecBuilder = Callable[[list[Record], Record], list[Record]]


def ext(compiled: Record, key: str) -> list[Record]:
    return list((compiled.get("tenderhub") or {}).get(key) or [])


def tender_project(releases: list[Record], compiled: Record) -> list[Record]:
    codes = compiled.get("tenderhub") or {}
    if not codes.get("tenderProjectCode"):
        return []
    buyer = compiled.get("buyer") or {}
    return [clean({**header(compiled), "TENDER_PROJECT_NAME": (compiled.get("tender") or {}).get("title"),
                   "TENDERER_NAME": buyer.get("name"), "TENDERER_CODE": party_code(compiled, buyer.get("id")),
                   "REGION_CODE": codes.get("regionCode"), "INDUSTRIES_TYPE": codes.get("industryCode"),
                   "INVEST_PROJECT_CODE": codes.get("investmentProjectCode"), "TH_REGIME": codes.get("regime"),
                   "TH_METHOD": codes.get("method")})]


def sections(releases: list[Record], compiled: Record) -> list[Record]:
    names = {lot.get("id"): lot.get("title") for lot in (compiled.get("tender") or {}).get("lots") or []}
    return [clean({**header(compiled, s.get("relatedLot")), "BID_SECTION_NAME": names.get(s.get("relatedLot")),
                   "TH_ROUND": s.get("round"), "BID_DOC_REFER_END_TIME": stamp(s.get("bidDeadline")),
                   "TH_FAILED_TIME": stamp(s.get("failedAt")), "TH_FAILURE_REASON": s.get("failureReason")})
            for s in ext(compiled, "sections")]


def tender_notices(releases: list[Record], compiled: Record) -> list[Record]:
    return [tender_notice(r, compiled) for r in releases if "tender" in (r.get("tag") or [])]


def tender_notice(release: Record, compiled: Record) -> Record:
    tender = release.get("tender") or {}
    buyer, entity = release.get("buyer") or {}, tender.get("procuringEntity") or {}
    agency = entity if entity and entity.get("id") != buyer.get("id") else {}
    deadline = stamp((tender.get("tenderPeriod") or {}).get("endDate"))
    published = [d.get("datePublished") for d in tender.get("documents") or []
                 if d.get("documentType") == "biddingDocuments" and d.get("datePublished")]
    return clean({**header(compiled, date=release.get("date")), "TH_NOTICE_ID": release.get("id"),
                  "TENDER_PROJECT_NAME": tender.get("title"), "NOTICE_SEND_TIME": stamp(release.get("date")),
                  "DOC_GET_START_TIME": stamp(min(published)) if published else None,
                  "BID_DOC_REFER_END_TIME": deadline, "BID_OPEN_TIME": deadline,  # 招标投标法 第34条
                  "TENDERER_NAME": buyer.get("name"), "TENDERER_CODE": party_code(release, buyer.get("id")),
                  "TENDER_AGENCY_NAME": agency.get("name"), "TENDER_AGENCY_CODE": party_code(release, agency.get("id")),
                  "TH_METHOD_DETAILS": tender.get("procurementMethodDetails"), **money("TH_TENDER_VALUE", tender.get("value")),
                  "TH_SECTIONS": [{"BID_SECTION_CODE": lot.get("id"), "BID_SECTION_NAME": lot.get("title")}
                                  for lot in tender.get("lots") or []]})


def clarifications(releases: list[Record], compiled: Record) -> list[Record]:
    return [clarification(r, compiled) for r in releases if "tenderAmendment" in (r.get("tag") or [])]


def clarification(release: Record, compiled: Record) -> Record:
    tender = release.get("tender") or {}
    new_deadline = stamp((tender.get("tenderPeriod") or {}).get("endDate"))
    return clean({**header(compiled, date=release.get("date")), "TH_NOTICE_ID": release.get("id"),
                  "CLARIFY_TIME": stamp(release.get("date")),
                  "TH_CLARIFY_CONTENT": [a.get("description") or "" for a in tender.get("amendments") or []],
                  "IS_POSTPONE": "1" if new_deadline else "0", "POST_OPEN_TIME": new_deadline,
                  "TH_DOCUMENTS": [clean({"TH_NAME": d.get("title"), "TH_PUBLISHED_TIME": stamp(d.get("datePublished"))})
                                   for d in tender.get("documents") or []]})


def opening_entry(entry: Record) -> Record:
    return clean({"BIDDER_NAME": entry.get("bidderName"), "BIDDER_ORG_CODE": identifier_code(entry.get("bidderIdentifier")),
                  **money("BID_PRICE", entry.get("price")), "TIME_LIMIT": entry.get("periodDays"), "QUALITY": entry.get("quality"),
                  **{k: v for k, v in money("MARGIN_AMOUNT", entry.get("securityAmount")).items() if k != "CURRENCY_CODE"},
                  "MARGIN_PAY_FORM": entry.get("securityForm"), "CHECKIN_TIME": stamp(entry.get("submittedAt"))})


READ_OUT = (("BID_PRICE", "投标报价 {}"), ("TIME_LIMIT", "工期 {} 日"), ("QUALITY", "质量 {}"),
            ("MARGIN_AMOUNT", "投标保证金 {}"), ("MARGIN_PAY_FORM", "形式 {}"), ("CHECKIN_TIME", "递交时间 {}"))


def opening_content(entries: list[Record]) -> str:
    """The record as read out (BID_OPENING_CONTENT): one line a bid, built from its entries."""
    return "\n".join("，".join([str(e.get("BIDDER_NAME", ""))] + [text.format(e[key]) for key, text in READ_OUT if key in e])
                     for e in entries)


def opening_records(releases: list[Record], compiled: Record) -> list[Record]:
    found = []
    for record in ext(compiled, "openingRecords"):
        entries = [opening_entry(e) for e in record.get("entries") or []]
        found.append(clean({**header(compiled, record.get("relatedLot")), "TH_ROUND": record.get("round"),
                            "BID_OPEN_TIME": stamp(record.get("date")), "BID_OPENING_CONTENT": opening_content(entries),
                            "TH_BID_COUNT": record.get("bidCount"), **money("TH_BASE_PRICE", record.get("basePrice")),
                            "TH_REVOKED_BIDS": record.get("revokedBids"), "TH_ENTRIES": entries}))
    return found


def entries_by_bid(compiled: Record) -> dict[str, Record]:
    return {e.get("relatedBid"): e for r in ext(compiled, "openingRecords") for e in r.get("entries") or []}


def bidder_list(releases: list[Record], compiled: Record) -> list[Record]:
    opened, found = entries_by_bid(compiled), []
    for listed in ext(compiled, "bidderLists"):
        for b in listed.get("bidders") or []:
            read = opening_entry(opened.get(b.get("relatedBid")) or {})
            manager = b.get("projectManager") or {}
            found.append(clean({**header(compiled, listed.get("relatedLot")), "TH_ROUND": listed.get("round"),
                                "BIDDER_NAME": b.get("name"), "BIDDER_ORG_CODE": identifier_code(b.get("identifier")),
                                "BID_MANAGER": manager.get("name"), "PM_CODE": manager.get("idNumber"),
                                **{k: read[k] for k in ("BID_PRICE", "CURRENCY_CODE", "TIME_LIMIT", "MARGIN_PAY_FORM",
                                                        "CHECKIN_TIME") if k in read}}))
    return found


def experts(releases: list[Record], compiled: Record) -> list[Record]:
    """Only lots with an active award (招标投标法 第37条第五款); ID numbers and phones are secret
    and dropped from the public view, so the record has no field for them."""
    lots = {lot for a in compiled.get("awards") or [] if a.get("status") == AWARD_ACTIVE for lot in a.get("relatedLots") or []}
    return [clean({**header(compiled, c.get("relatedLot")), "TH_ROUND": c.get("round"), "EXPERT_NAME": m.get("name"),
                   "TH_MEMBER_KIND": m.get("kind")})
            for c in ext(compiled, "evaluationExperts") if c.get("relatedLot") in lots for m in c.get("members") or []]


def candidate(c: Record) -> Record:
    return clean({"WIN_CANDIDATE_ORDER": c.get("rank"), "BIDDER_NAME": c.get("name"),
                  "BIDDER_ORG_CODE": identifier_code(c.get("identifier")), **money("BID_PRICE", c.get("price")),
                  "TH_SCORE": c.get("score")})


def candidates(releases: list[Record], compiled: Record) -> list[Record]:
    return [clean({**header(compiled, lst.get("relatedLot")), "TH_ROUND": lst.get("round"),
                   "TH_REPORT_TIME": stamp(lst.get("reportDate")), **candidate(c)})
            for lst in ext(compiled, "candidates") for c in lst.get("candidates") or []]


def publicity(releases: list[Record], compiled: Record) -> list[Record]:
    return [clean({**header(compiled, lst.get("relatedLot")), "TH_ROUND": lst.get("round"),
                   "PUBLICITY_START_TIME": stamp((lst.get("publicityPeriod") or {}).get("startDate")),
                   "PUBLICITY_END_TIME": stamp((lst.get("publicityPeriod") or {}).get("endDate")),
                   "TH_CANDIDATES": [candidate(c) for c in lst.get("candidates") or []]})
            for lst in ext(compiled, "candidates")]


def winner(compiled: Record, award: Record) -> Record:
    suppliers = award.get("suppliers") or []
    first = suppliers[0] if suppliers else {}
    return clean({"WIN_BIDDER_NAME": first.get("name"), "WIN_BIDDER_CODE": party_code(compiled, first.get("id")),
                  "TH_OTHER_WINNERS": [clean({"WIN_BIDDER_NAME": s.get("name"), "WIN_BIDDER_CODE": party_code(compiled, s.get("id"))})
                                       for s in suppliers[1:]]})


def lot_of(award: Record) -> str | None:
    lots = award.get("relatedLots") or []
    return lots[0] if lots else None


def win_results(releases: list[Record], compiled: Record) -> list[Record]:
    return [clean({**header(compiled, lot_of(a)), "TH_AWARD_ID": a.get("id"), "NOTICE_SEND_TIME": stamp(a.get("date")),
                   **money("BID_AMOUNT", a.get("value")), **winner(compiled, a)})
            for a in compiled.get("awards") or [] if a.get("status") == AWARD_ACTIVE]


def contracts(releases: list[Record], compiled: Record) -> list[Record]:
    awards = {a.get("id"): a for a in compiled.get("awards") or []}
    found = []
    for c in compiled.get("contracts") or []:
        award = awards.get(c.get("awardID")) or {}
        found.append(clean({**header(compiled, lot_of(award)), "TH_CONTRACT_ID": c.get("id"), "TH_CONTRACT_NAME": c.get("title"),
                            "TH_CONTRACT_STATUS": c.get("status"), **money("CONTRACT_PRICE", c.get("value")),
                            "CONTRACT_SIGN_TIME": stamp(c.get("dateSigned")),
                            "LIMITE_TIME": (c.get("period") or {}).get("durationInDays"), **winner(compiled, award)}))
    return found


def performance(releases: list[Record], compiled: Record) -> list[Record]:
    awards = {a.get("id"): a for a in compiled.get("awards") or []}
    found = []
    for c in compiled.get("contracts") or []:
        done = c.get("implementation") or {}
        paid = {t.get("id"): t.get("value") for t in done.get("transactions") or []}
        lot = lot_of(awards.get(c.get("awardID")) or {})
        found += [clean({**header(compiled, lot), "TH_CONTRACT_ID": c.get("id"), "TH_MILESTONE_NAME": m.get("title"),
                         "TH_MILESTONE_CONTENT": m.get("description"), "TH_MET_TIME": stamp(m.get("dateMet")),
                         **money("TH_PAYMENT_AMOUNT", paid.get(m.get("id")))}) for m in done.get("milestones") or []]
    return found


def fingerprints(releases: list[Record], compiled: Record) -> list[Record]:
    opened = entries_by_bid(compiled)
    return [fingerprint(compiled, f, opened.get(str(f.get("relatedBid"))) or {}) for f in ext(compiled, "bidFingerprints")]


def fingerprint(compiled: Record, f: Record, entry: Record) -> Record:
    return clean({**header(compiled, f.get("relatedLot")), "BIDDER_NAME": entry.get("bidderName"),
                  "BIDDER_ORG_CODE": identifier_code(entry.get("bidderIdentifier")), "TENDER_DOC_SUBMITTIME": stamp(entry.get("submittedAt")),
                  "TH_DIGEST_SUITE": f.get("suite"), "TH_PACKAGE_DIGEST": f.get("packageDigest"),
                  "TH_SUMMARY_DIGEST": f.get("summaryDigest"), "TH_MANIFEST_DIGEST": f.get("manifestDigest"),
                  "TH_DOCUMENTS": [clean({"TH_NAME": d.get("name"), "TH_DIGEST": d.get("digest"), "BID_DOCUMENT_SIDE": d.get("size")})
                                   for d in f.get("documents") or []]})


def guarantees(releases: list[Record], compiled: Record) -> list[Record]:
    return [clean({**header(compiled, g.get("relatedLot")), "GUARANTEE_NO": g.get("guaranteeNumber"), "TH_KIND": g.get("kind"),
                   "GUARANTEE_FORM": g.get("form"), **money("GUARANTEE_AMOUNT", g.get("amount")),
                   "TH_APPLICANT_CODE": party_code(compiled, g.get("provider")),
                   "TH_RELATED_CONTRACT": g.get("relatedContract")})
            for g in ext(compiled, "guarantees")]


BUILDERS: dict[str, SpecBuilder] = {
    "501": tender_project, "502": sections, "503": tender_notices, "504": clarifications, "506": opening_records,
    "507": bidder_list, "508": experts, "510": candidates, "511": publicity, "512": contracts, "513": win_results,
    "519": fingerprints, "522": performance, "523": guarantees,
}

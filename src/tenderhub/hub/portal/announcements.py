"""Portal announcements derived from the releases the hub ingests (by the portal indexer,
``indexer.py``, which follows the changes feed).

One release stands for at most a few announcements, each with ``uid`` = ``{release id}#{type}``:

| release | announcement |
| --- | --- |
| tag ``tender`` | 招标公告 ``tender_notice`` |
| tag ``tenderAmendment`` / ``tenderCancellation`` | 变更公告 ``amendment`` |
| ``tenderhub.openingRecords`` (506) | 开标记录 ``opening_record`` |
| ``tenderhub.candidates`` (510/511), or only ``pending`` awards | 中标候选人公示 ``candidate_publicity`` |
| an ``active`` award | 中标结果公告 ``award_result`` |
| tag ``contract`` | 合同公告 ``contract`` |

Later releases carry only what changed, so the project's title, buyer, region, industry and
method come from the procedure's summary (``procedures.py``: names, codes and amounts of the
releases received so far, one row per ocid). Only public data is used: the builders read no
field ``privacy.FIELD_CLASSES`` classifies restricted or secret, and title and body are masked
as free text (``mask_text``), so no ID number, phone or e-mail address reaches the portal
index. (An earlier version ran ``view_for(Role.PUBLIC, …)`` over the whole release: the same
result for the fields read, at most of the ingest's cost.)

Region: ``tenderhub.regionCode`` (dataset 501 REGION_CODE) → the buyer's ``address.region``
when it is a GB/T 2260 code → the six digits of the platform code ``TH110000001`` (letters,
region, serial: how this project's platform codes are built) → ``000000`` (unknown).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tenderhub.core.shared.clock import beijing
from tenderhub.exchange.ocds.codes import AWARD_ACTIVE, AWARD_PENDING
from tenderhub.exchange.privacy import mask_text
from tenderhub.hub.portal import procedures, subscriptions
from tenderhub.hub.search import TYPE_NAMES, Announcement, AnnouncementType, index

T = AnnouncementType
REGION = re.compile(r"^[1-9][0-9]{5}$")
PLATFORM_REGION = re.compile(r"^[A-Z]{2}([1-9][0-9]{5})[0-9]{3}$")
UNKNOWN_REGION = "000000"


def publish(conn: sa.Connection, release: dict[str, Any], platform_id: str, at: datetime) -> list[Announcement]:
    """Derive the announcements of ``release`` (stored by the hub, received ``at``), index
    them and queue the webhook deliveries of the subscriptions they match, in the caller's
    transaction (the indexer's, which also advances its cursor)."""
    context = procedures.merged(procedures.load(conn, release["ocid"]), release)
    procedures.save(conn, release, context)
    found = derive(release, context, platform_id)
    for one in found:
        index(conn, one)
        subscriptions.enqueue(conn, one, at)
    return found


def derive(release: dict[str, Any], context: dict[str, Any], platform_id: str) -> list[Announcement]:
    """The announcements ``release`` stands for, from public data only: the builders read no
    field that ``privacy.FIELD_CLASSES`` classifies restricted or secret (identifiers, contact
    points, ID numbers, machine data, guarantee numbers), the procedure summary holds names,
    codes and amounts only, and title and body are masked as free text (``mask_text``)."""
    return [_announcement(kind, release, context, platform_id) for kind in kinds(release)]


def kinds(release: dict[str, Any]) -> list[AnnouncementType]:
    tags, ext = set(release.get("tag") or []), release.get("tenderhub") or {}
    statuses = {a.get("status") for a in release.get("awards") or []}
    found = [T.TENDER_NOTICE] if "tender" in tags else []
    found += [T.AMENDMENT] if tags & {"tenderAmendment", "tenderCancellation"} else []
    found += [T.OPENING_RECORD] if ext.get("openingRecords") else []
    found += [T.CANDIDATE_PUBLICITY] if ext.get("candidates") or statuses == {AWARD_PENDING} else []
    found += [T.AWARD_RESULT] if AWARD_ACTIVE in statuses else []
    found += [T.CONTRACT] if "contract" in tags and release.get("contracts") else []
    return found


def _announcement(kind: AnnouncementType, release: dict[str, Any], ctx: dict[str, Any], platform_id: str) -> Announcement:
    lines, value = BODIES[kind](release, ctx)
    ext = ctx.get("tenderhub") or {}
    return Announcement(
        uid=f"{release['id']}#{kind.value}", type=kind, title=mask_text(title_of(kind, release, ctx)),
        body=mask_text("\n".join([*head_lines(ctx), *lines])), ocid=release["ocid"],
        platform=ext.get("platformCode") or platform_id, region=region_of(ctx, platform_id),
        published_at=datetime.fromisoformat(release["date"]), industry=ext.get("industryCode"),
        method=ext.get("method"), value=value if value is not None else amount((ctx.get("tender") or {}).get("value")))


def title_of(kind: AnnouncementType, release: dict[str, Any], ctx: dict[str, Any]) -> str:
    tender = ctx.get("tender") or {}
    name = tender.get("title") or tender.get("id") or release["ocid"]
    lots = lot_titles(release, ctx)
    return f"{name}{f'（{lots}）' if lots else ''}{TYPE_NAMES[kind]}"


def lot_titles(release: dict[str, Any], ctx: dict[str, Any]) -> str:
    """The lots a lot-level release concerns (none for a tender-level one)."""
    if "tender" in (release.get("tag") or []):
        return ""
    titles = {lot.get("id"): lot.get("title") for lot in (ctx.get("tender") or {}).get("lots") or []}
    related = [lot_id for item in _lot_refs(release) for lot_id in item]
    return "、".join(dict.fromkeys(str(titles.get(i) or i) for i in related))


def _lot_refs(release: dict[str, Any]) -> list[list[str]]:
    ext = release.get("tenderhub") or {}
    refs = [[o["relatedLot"]] for key in ("openingRecords", "candidates") for o in ext.get(key) or [] if o.get("relatedLot")]
    refs += [a.get("relatedLots") or [] for a in release.get("awards") or [] if a.get("status") == AWARD_ACTIVE]
    refs += [[g["relatedLot"]] for g in ext.get("guarantees") or [] if g.get("relatedContract") and g.get("relatedLot")]
    return refs


def region_of(ctx: dict[str, Any], platform_id: str) -> str:
    ext = ctx.get("tenderhub") or {}
    if REGION.match(str(ext.get("regionCode") or "")):
        return str(ext["regionCode"])
    buyer = (ctx.get("buyer") or {}).get("id")
    for party in ctx.get("parties") or []:
        region = str((party.get("address") or {}).get("region") or "")
        if party.get("id") == buyer and REGION.match(region):
            return region
    code = PLATFORM_REGION.match(str(ext.get("platformCode") or platform_id))
    return code.group(1) if code else UNKNOWN_REGION


# ---- bodies: (lines, value) per type --------------------------------------------------------


def amount(value: Any) -> Decimal | None:
    found = (value or {}).get("amount") if isinstance(value, dict) else None
    return None if found is None else Decimal(str(found))


def yuan(value: Any) -> str:
    found = amount(value)
    return "—" if found is None else f"{found:,} 元"


def shown(at: Any) -> str:
    return beijing(datetime.fromisoformat(at)).strftime("%Y-%m-%d %H:%M") if isinstance(at, str) else "—"


def head_lines(ctx: dict[str, Any]) -> list[str]:
    tender, ext = ctx.get("tender") or {}, ctx.get("tenderhub") or {}
    lines = [f"招标项目编号：{ext.get('tenderProjectCode') or tender.get('id', '')}",
             f"招标人：{(ctx.get('buyer') or {}).get('name', '')}"]
    entity = (tender.get("procuringEntity") or {}).get("name")
    if entity and entity != (ctx.get("buyer") or {}).get("name"):
        lines.append(f"招标代理机构：{entity}")
    return lines


def tender_body(release: dict[str, Any], ctx: dict[str, Any]) -> tuple[list[str], Decimal | None]:
    tender = release.get("tender") or {}
    lines = [f"招标方式：{tender.get('procurementMethodDetails', '')}", f"预算金额：{yuan(tender.get('value'))}",
             f"投标截止时间：{shown((tender.get('tenderPeriod') or {}).get('endDate'))}"]
    lines += [f"标段：{lot.get('title', '')}（{yuan(lot.get('value'))}）" for lot in tender.get("lots") or []]
    lines += [tender["description"]] if tender.get("description") else []
    return lines, amount(tender.get("value"))


def amendment_body(release: dict[str, Any], ctx: dict[str, Any]) -> tuple[list[str], Decimal | None]:
    tender = release.get("tender") or {}
    lines = [f"变更内容：{a.get('description', '')}" for a in tender.get("amendments") or []]
    lines += [f"新的投标截止时间：{shown(tender['tenderPeriod']['endDate'])}"] if (tender.get("tenderPeriod") or {}).get("endDate") else []
    lines += [f"文件：{d.get('title', '')}" for d in tender.get("documents") or []]
    return lines or ["招标文件变更"], None


def opening_body(release: dict[str, Any], ctx: dict[str, Any]) -> tuple[list[str], Decimal | None]:
    lines: list[str] = []
    for record in (release.get("tenderhub") or {}).get("openingRecords") or []:
        lines.append(f"开标时间：{shown(record.get('date'))}，投标人数：{record.get('bidCount', 0)}")
        lines += [f"{e.get('bidderName', '')}：投标报价 {yuan(e.get('price'))}，工期 {e.get('periodDays', '—')} 日，质量 {e.get('quality', '—')}"
                  for e in record.get("entries") or []]
    return lines, None


def candidates_body(release: dict[str, Any], ctx: dict[str, Any]) -> tuple[list[str], Decimal | None]:
    lines: list[str] = []
    for group in (release.get("tenderhub") or {}).get("candidates") or []:
        period = group.get("publicityPeriod") or {}
        lines.append(f"公示期：{shown(period.get('startDate'))} 至 {shown(period.get('endDate'))}")
        lines += [f"第{c.get('rank')}名：{c.get('name', '')}，投标报价 {yuan(c.get('price'))}" for c in group.get("candidates") or []]
    pending = [a for a in release.get("awards") or [] if a.get("status") == AWARD_PENDING]
    lines += [] if lines else [f"{a.get('title', '')}：{_suppliers(a)}，{yuan(a.get('value'))}" for a in pending]
    return lines, amount(pending[0].get("value")) if pending else None


def award_body(release: dict[str, Any], ctx: dict[str, Any]) -> tuple[list[str], Decimal | None]:
    won = [a for a in release.get("awards") or [] if a.get("status") == AWARD_ACTIVE]
    lines = [f"中标人：{_suppliers(a)}，中标金额 {yuan(a.get('value'))}，{shown(a.get('date'))}" for a in won]
    experts = [m.get("name", "") for e in (release.get("tenderhub") or {}).get("evaluationExperts") or [] for m in e.get("members") or []]
    lines += [f"评标委员会成员：{'、'.join(experts)}"] if experts else []
    total = sum((amount(a.get("value")) or Decimal(0) for a in won), Decimal(0))
    return lines, total if won else None


def contract_body(release: dict[str, Any], ctx: dict[str, Any]) -> tuple[list[str], Decimal | None]:
    contracts = release.get("contracts") or []
    awards = {a.get("id"): a for a in ctx.get("awards") or []}
    lines = [f"{c.get('title', '合同')}：合同金额 {yuan(c.get('value'))}，签订时间 {shown(c.get('dateSigned'))}，"
             f"工期 {(c.get('period') or {}).get('durationInDays', '—')} 日，中标人 {_suppliers(awards.get(c.get('awardID')) or {})}"
             for c in contracts]
    total = sum((amount(c.get("value")) or Decimal(0) for c in contracts), Decimal(0))
    return lines, total if contracts else None


def _suppliers(award: dict[str, Any]) -> str:
    return "、".join(s.get("name", "") for s in award.get("suppliers") or []) or "—"


BODIES: dict[AnnouncementType, Callable[[dict[str, Any], dict[str, Any]], tuple[list[str], Decimal | None]]] = {
    T.TENDER_NOTICE: tender_body, T.AMENDMENT: amendment_body, T.OPENING_RECORD: opening_body,
    T.CANDIDATE_PUBLICITY: candidates_body, T.AWARD_RESULT: award_body, T.CONTRACT: contract_body,
}

"""What the portal index holds and answers: announcements, filters, a page of results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from tenderhub.core.shared.errors import Invalid


class AnnouncementType(StrEnum):
    TENDER_NOTICE = "tender_notice"              # 招标公告
    AMENDMENT = "amendment"                      # 变更公告
    OPENING_RECORD = "opening_record"            # 开标记录
    CANDIDATE_PUBLICITY = "candidate_publicity"  # 中标候选人公示
    AWARD_RESULT = "award_result"                # 中标结果公告
    CONTRACT = "contract"                        # 合同公告


TYPE_NAMES = {
    AnnouncementType.TENDER_NOTICE: "招标公告",
    AnnouncementType.AMENDMENT: "变更公告",
    AnnouncementType.OPENING_RECORD: "开标记录",
    AnnouncementType.CANDIDATE_PUBLICITY: "中标候选人公示",
    AnnouncementType.AWARD_RESULT: "中标结果公告",
    AnnouncementType.CONTRACT: "合同公告",
}


@dataclass(frozen=True)
class Announcement:
    """One published announcement. ``uid`` is its identity (e.g. the OCDS release id);
    ``region`` a GB/T 2260 code (110105); ``published_at`` timezone-aware."""

    uid: str
    type: AnnouncementType
    title: str
    body: str
    ocid: str
    platform: str
    region: str
    published_at: datetime
    industry: str | None = None
    method: str | None = None
    value: Decimal | None = None

    def __post_init__(self) -> None:
        if self.published_at.tzinfo is None:
            raise Invalid("published_at must be timezone-aware", field="published_at")


@dataclass(frozen=True)
class Filters:
    """All optional. ``region`` matches by prefix (110000 includes 110105); ``since`` is
    inclusive and ``until`` exclusive; ``min_value``/``max_value`` inclusive."""

    types: tuple[AnnouncementType, ...] = ()
    region: str | None = None
    industry: str | None = None
    method: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None


@dataclass(frozen=True)
class Page:
    """Newest first. ``next_cursor`` is None on the last page. ``total_estimate`` is only
    known (exact) on a last page reached without a cursor; None otherwise."""

    items: list[Announcement]
    next_cursor: str | None
    total_estimate: int | None = None


def as_utc(at: datetime) -> datetime:
    """Stored times come back naive from SQLite: they are UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)

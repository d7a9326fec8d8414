"""Who acts: the roles of an e-tendering system and the acting party."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    TENDERER = "tenderer"  # 招标人 / 采购人
    AGENCY = "agency"  # 招标代理机构 / 采购代理机构
    BIDDER = "bidder"  # 投标人 / 供应商
    EXPERT = "expert"  # 评标专家
    OPERATOR = "operator"  # 交易平台运营机构
    REGULATOR = "regulator"  # 行政监督部门 (read only here)
    PUBLIC = "public"


@dataclass(frozen=True)
class Actor:
    user_id: str
    role: Role
    subject_id: str = ""
    uscc: str = ""
    name: str = ""
    ip: str = ""
    device: str = ""
    legal_representative: str = ""


PUBLIC = Actor("public", Role.PUBLIC, name="公众")

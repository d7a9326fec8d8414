"""A market subject keyed by its unified social credit code, and a user acting for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tenderhub.core.shared.roles import Role


class SubjectKind(StrEnum):
    TENDERER = "tenderer"  # 招标人 / 采购人
    AGENCY = "agency"  # 招标代理机构
    BIDDER = "bidder"  # 投标人 / 供应商
    PLATFORM = "platform"  # 交易平台运营机构
    REGULATOR = "regulator"  # 行政监督部门


@dataclass
class Subject:
    id: str
    uscc: str
    name: str
    kind: SubjectKind
    registered_at: datetime
    legal_representative: str = ""
    region: str = "110000"
    address: str = ""
    contact_phone: str = ""  # personal data: masked in public outputs
    related_uscc: list[str] = field(default_factory=list)  # control/management relations (条例 第34条)


@dataclass
class User:
    id: str
    name: str
    role: Role
    created_at: datetime
    subject_id: str | None = None
    id_number: str = ""  # personal data: never published in clear
    phone: str = ""

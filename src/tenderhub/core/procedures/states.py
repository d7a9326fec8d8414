"""Statuses and transition tables of tenders and lots: the only place status rules live."""

from __future__ import annotations

from enum import StrEnum


class Regime(StrEnum):
    WORKS = "works"  # 招标投标法 / 实施条例
    GP = "gp"  # 政府采购法 / 87号令


class Method(StrEnum):
    OPEN = "open"  # 公开招标
    INVITED = "invited"  # 邀请招标


class Category(StrEnum):
    WORKS = "works"  # 施工
    GOODS = "goods"  # 货物
    SERVICES = "services"  # 服务
    SURVEY_DESIGN = "survey_design"  # 勘察设计


class Sealing(StrEnum):
    """How bids reach the platform. ``envelope``: encrypted by the bidder's tool, the only
    lawful way for electronic bids (电子招标投标办法 第25条). ``none``: price forms in clear,
    kept for simulations of the legal rules (scenarios, tests); refused by a deployment that
    does not allow unsealed bids (settings ``allow_unsealed``)."""

    ENVELOPE = "envelope"
    NONE = "none"


class TenderStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"
    COMPLETE = "complete"


class LotStatus(StrEnum):
    DRAFT = "draft"
    BIDDING = "bidding"  # 投标中
    OPENED = "opened"  # 已开标
    EVALUATING = "evaluating"  # 评标中
    EVALUATED = "evaluated"  # 评标报告已提交
    PUBLICITY = "publicity"  # 中标候选人公示 / 中标结果公告
    AWARDED = "awarded"  # 中标通知书已发出
    CONTRACTED = "contracted"  # 合同已签订
    COMPLETE = "complete"  # 履约完成
    ARCHIVED = "archived"
    FAILED = "failed"  # 流标 / 废标
    CANCELLED = "cancelled"



_TS = TenderStatus
TENDER_TRANSITIONS: dict[TenderStatus, frozenset[TenderStatus]] = {
    _TS.DRAFT: frozenset({_TS.ACTIVE, _TS.CANCELLED}),
    _TS.ACTIVE: frozenset({_TS.SUSPENDED, _TS.CANCELLED, _TS.COMPLETE}),
    _TS.SUSPENDED: frozenset({_TS.ACTIVE, _TS.CANCELLED}),
    _TS.CANCELLED: frozenset(),
    _TS.COMPLETE: frozenset(),
}

_L = LotStatus
_STOP = frozenset({_L.FAILED, _L.CANCELLED})
LOT_TRANSITIONS: dict[LotStatus, frozenset[LotStatus]] = {
    _L.DRAFT: frozenset({_L.BIDDING, _L.CANCELLED}),
    _L.BIDDING: frozenset({_L.OPENED}) | _STOP,
    _L.OPENED: frozenset({_L.EVALUATING}) | _STOP,
    _L.EVALUATING: frozenset({_L.EVALUATED}) | _STOP,
    _L.EVALUATED: frozenset({_L.PUBLICITY}) | _STOP,
    # an upheld objection to the result sends the lot back to the committee (条例 第54条)
    _L.PUBLICITY: frozenset({_L.AWARDED, _L.EVALUATING}) | _STOP,
    # the first candidate declines: award the next one or re-tender (条例 第55条)
    _L.AWARDED: frozenset({_L.CONTRACTED, _L.AWARDED, _L.FAILED}),
    _L.CONTRACTED: frozenset({_L.COMPLETE}),
    _L.COMPLETE: frozenset({_L.ARCHIVED}),
    _L.FAILED: frozenset({_L.BIDDING, _L.CANCELLED, _L.ARCHIVED}),
    _L.CANCELLED: frozenset({_L.ARCHIVED}),
    _L.ARCHIVED: frozenset(),
}


TENDER_TAGS = {
    _TS.ACTIVE: "procedure:tender:published",
    _TS.SUSPENDED: "procedure:tender:suspended",
    _TS.CANCELLED: "procedure:tender:cancelled",
    _TS.COMPLETE: "procedure:tender:completed",
    _TS.DRAFT: "procedure:tender:created",
}
LOT_TAGS = {
    _L.DRAFT: "procedure:lot:created",
    _L.BIDDING: "procedure:lot:published",
    _L.OPENED: "procedure:lot:opened",
    _L.EVALUATING: "procedure:lot:evaluating",
    _L.EVALUATED: "procedure:lot:evaluated",
    _L.PUBLICITY: "procedure:lot:publicized",
    _L.AWARDED: "procedure:lot:awarded",
    _L.CONTRACTED: "procedure:lot:contracted",
    _L.COMPLETE: "procedure:lot:completed",
    _L.ARCHIVED: "procedure:lot:archived",
    _L.FAILED: "procedure:lot:failed",
    _L.CANCELLED: "procedure:lot:cancelled",
}
# A transition whose meaning depends on where it comes from: a failed lot back to bidding is a
# re-tender (a new round), not the first publication.
LOT_EDGE_TAGS = {(_L.FAILED, _L.BIDDING): "procedure:lot:retendered"}
TENDER_EDGE_TAGS = {(_TS.SUSPENDED, _TS.ACTIVE): "procedure:tender:resumed"}

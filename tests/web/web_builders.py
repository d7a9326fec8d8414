"""Builders for the HTTP API tests: the parties of a works tender and the lifecycle stages,
each step driven over HTTP with the clock moved to the step's time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from tenderhub.bootstrap import Platform
from tenderhub.core.shared.clock import FixedClock, parse_beijing

START = "2026-11-30T09:00"
PARTIES = {
    "tenderer": {"kind": "tenderer", "uscc": "91110105MA00000012", "name": "北京市朝阳区市政管理中心", "legal_representative": "王敏"},
    "bidder_a": {"kind": "bidder", "uscc": "91110105MA00000025", "name": "北京路桥建设有限公司", "legal_representative": "李强"},
    "bidder_b": {"kind": "bidder", "uscc": "91110105MA00000038", "name": "首都市政工程有限公司", "legal_representative": "张伟"},
    "bidder_c": {"kind": "bidder", "uscc": "91110105MA0000004B", "name": "京华建工集团有限公司", "legal_representative": "刘洋"},
}
EXPERTS = [("expert_1", "陈工", "road"), ("expert_2", "赵工", "road"), ("expert_3", "孙工", "road"),
           ("expert_4", "周工", "cost"), ("expert_5", "吴工", "cost")]


@dataclass
class Api:
    """A test client that speaks as a named party and moves the clock."""

    client: TestClient
    clock: FixedClock
    platform: Platform
    tokens: dict[str, str] = field(default_factory=dict)

    def at(self, when: str) -> Api:
        self.clock.set(parse_beijing(when))
        return self

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}", "X-Device-Fingerprint": f"device-{who}"}

    def get(self, path: str, who: str | None = None, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(who), **kw)

    def post(self, path: str, body: dict[str, Any] | None = None, who: str | None = None) -> Any:
        return self.client.post(path, json=body if body is not None else {}, headers=self.headers(who))


def tender_body(**overrides: Any) -> dict[str, Any]:
    lot = {"title": "施工一标段", "category": "works", "estimated_price": "12000000", "bid_security": "200000",
           "deadline": "2026-12-21T09:30",
           "evaluation": {"method": "composite", "price_formula": {"name": "lowest_benchmark"},
                          "criteria": [{"code": "tech", "name": "技术标", "points": 40},
                                       {"code": "business", "name": "商务标", "points": 20},
                                       {"code": "price", "name": "投标报价", "points": 40, "price": True}]}}
    lot.update(overrides.pop("lot", {}))
    return {"regime": "works", "title": "朝阳区道路大修工程", "lots": [lot], **overrides}


@dataclass
class Tender:
    id: str
    lot: str


def created(api: Api) -> Tender:
    made = api.at(START).post("/api/tenders", tender_body(), who="tenderer")
    assert made.status_code == 201, made.text
    return Tender(made.json()["id"], made.json()["lots"][0]["code"])


def published(api: Api) -> Tender:
    tender = created(api)
    done = api.at("2026-12-01T09:00").post(f"/api/tenders/{tender.id}/publish", {"doc_sale_end": "2026-12-07"}, who="tenderer")
    assert done.status_code == 200, done.text
    return tender


BIDS = {"bidder_a": ("2026-12-18T10:00", "11500000", 180), "bidder_b": ("2026-12-18T11:00", "11200000", 200),
        "bidder_c": ("2026-12-18T15:00", "11800000", 170)}


def bids_in(api: Api) -> Tender:
    tender = published(api)
    for i, who in enumerate(BIDS):
        done = api.at(f"2026-12-0{2 + i}T10:00").post(f"/api/tenders/{tender.id}/registrations", {"lot": tender.lot}, who=who)
        assert done.status_code == 201, done.text
    for who, (when, price, days) in BIDS.items():
        body = {"lot": tender.lot, "price": price, "period_days": days, "security_amount": "200000"}
        done = api.at(when).post(f"/api/tenders/{tender.id}/bids", body, who=who)
        assert done.status_code == 201, done.text
    return tender


SCORES = {"bidder_a": (36, 18), "bidder_b": (30, 16), "bidder_c": (33, 17)}


def evaluated(api: Api) -> Tender:
    tender = bids_in(api)
    opened = api.at("2026-12-21T09:30").post(f"/api/tenders/{tender.id}/opening", {"lot": tender.lot}, who="tenderer")
    assert opened.status_code == 200, opened.text
    drawn = api.at("2026-12-21T10:00").post(f"/api/tenders/{tender.id}/committee",
                                            {"lot": tender.lot, "experts": {"road": 3, "cost": 2}, "seed": "demo-seed-1"}, who="tenderer")
    assert drawn.status_code == 200, drawn.text
    api.at("2026-12-21T11:00")
    for expert, _, _ in EXPERTS:
        for bidder, (tech, business) in SCORES.items():
            body = {"lot": tender.lot, "bid": PARTIES[bidder]["name"], "points": {"tech": tech, "business": business}}
            done = api.post(f"/api/tenders/{tender.id}/scores", body, who=expert)
            assert done.status_code == 200, done.text
    done = api.at("2026-12-21T16:00").post(f"/api/tenders/{tender.id}/evaluation/finish", {"lot": tender.lot}, who="tenderer")
    assert done.status_code == 200, done.text
    return tender


def lot_of(view: dict[str, Any]) -> dict[str, Any]:
    lot: dict[str, Any] = view["lots"][0]
    return lot

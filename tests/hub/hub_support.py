"""Builders for the hub tests: a hub on the test database, a registered platform, releases,
and a reader of the changes feed with a hook that holds one release back."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tenderhub.core.shared.clock import BEIJING, FixedClock
from tenderhub.crypto import keys
from tenderhub.crypto.keys import KeyPair
from tenderhub.hub.app import create_hub_app
from tenderhub.hub.context import Hub, open_hub
from tenderhub.hub.feed import read_feed
from tenderhub.hub.protocol import envelope

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
PLATFORM = "TH110000001"
START = datetime(2026, 11, 30, 9, 0, tzinfo=BEIJING)  # the clock of the embedded system


def make_hub(tmp_path: Path, url: str) -> Hub:
    return open_hub(tmp_path / "hub", url, clock=FixedClock(T0))


def registration(platform_id: str = PLATFORM, pair: KeyPair | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": platform_id, "name": "北京某电子招标投标交易平台",
        "public_key_pem": (pair or keys.generate("intl")).public_pem.decode(),
        "units": {"construction": "甲建设公司", "operation": "乙运营公司", "development": "丙软件公司", "maintenance": "丁运维公司"},
        "responsible_people": [{"name": "张三", "role": "运营负责人"}],
        "certification": {"report": "检测认证报告 BJ-2025-0001", "mark": "认证标志 A"},
        "specifications": {"tool_software": "https://platform.example/spec/tool.pdf", "interface": "https://platform.example/spec/api.json"},
        "services": {"free": [{"name": "招标公告发布"}], "paid": [{"name": "CA 证书办理", "fee": "200.00", "unit": "每年"}]},
    }
    body.update(changes)
    return body


def release(n: int, *, ocid: str = "ocds-thxxxx-T2025-0001", title: str = "道路改造工程") -> dict[str, Any]:
    return {"ocid": ocid, "id": f"{ocid}-stage-{n}", "date": f"2025-03-{1 + n % 28:02d}T09:00:00+08:00",
            "tag": ["tender" if n == 0 else "tenderUpdate"], "initiationType": "tender",
            "tender": {"id": ocid.rsplit("-", 2)[-2] if "-" in ocid else ocid, "title": f"{title} {n}"}}


class Platform:
    """A registered platform and a client of the hub app."""

    def __init__(self, client: TestClient, platform_id: str = PLATFORM) -> None:
        self.client, self.platform_id, self.pair = client, platform_id, keys.generate("intl")
        answer = client.post("/hub/platforms", json=registration(platform_id, self.pair))
        assert answer.status_code == 201, answer.text

    def post(self, doc: dict[str, Any]) -> Any:
        return self.client.post("/hub/releases", json=envelope(self.platform_id, self.pair, doc))


def client_for(hub: Hub, **options: Any) -> TestClient:
    return TestClient(create_hub_app(hub, **options))


class Reader:
    """A reader of the changes feed that remembers every (position, release id) it saw."""

    def __init__(self, hub: Hub) -> None:
        self.hub, self.cursor, self.seen = hub, "", []  # type: tuple[Hub, str, list[tuple[int, str]]]

    def poll(self) -> list[str]:
        page = read_feed(self.hub, self.cursor, 1000)
        self.cursor = page["next_cursor"]
        found = [(i["position"], i["release"]["id"]) for i in page["items"]]
        self.seen += found
        return [rid for _, rid in found]

    def follow(self, workers: list[threading.Thread]) -> None:
        """Start ``workers``, poll while any runs, then poll once more after the last."""
        for w in workers:
            w.start()
        while any(w.is_alive() for w in workers):
            self.poll()
        self.poll()


def hold_first_at(stage: str, release_id: str) -> tuple[Any, threading.Event, threading.Event]:
    """A pause hook: the first time ``release_id`` reaches ``stage``, signal and wait."""
    reached, go, done = threading.Event(), threading.Event(), {"held": False}

    def hook(at: str, doc: dict[str, Any]) -> None:
        if at == stage and doc["id"] == release_id and not done["held"]:
            done["held"] = True
            reached.set()
            assert go.wait(20)

    return hook, reached, go

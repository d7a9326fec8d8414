"""The embedded system: the hub and two trading platforms in one process, wired only by HTTP."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from tenderhub.commands import serve
from tenderhub.embedded import SPECS, Embedded, open_embedded, platform_settings
from tenderhub.scenarios.runner import run

A, B = SPECS


@pytest.fixture
def system(tmp_path: Path) -> Iterator[Embedded]:
    made = open_embedded(tmp_path / "data")
    yield made
    made.close()


def publish_on(root: Path, spec: Any) -> None:
    """Create and publish a tender on one platform (the first two steps of the built-in GP scenario)."""
    data = yaml.safe_load(files("tenderhub.scenarios").joinpath("builtin", "gp-goods.yaml").read_text(encoding="utf-8"))
    data["steps"] = data["steps"][:2]
    steps = run(data, platform_settings(root, spec))
    assert len(steps) == 2 and all(step.ok for step in steps), steps


def feed(client: TestClient) -> list[dict[str, Any]]:
    answer = client.get("/hub/feed", params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_the_embedded_app_answers_for_the_hub_and_both_platforms(system: Embedded) -> None:
    client = TestClient(system.app())
    for path in ("/hub/feed", "/a/api/tenders", "/b/api/tenders", "/a/healthz", "/b/openapi.json", "/"):
        assert client.get(path).status_code == 200, path
    assert client.get("/hub/feed").json()["items"] == []
    assert client.get("/a/openapi.json").json()["info"]["title"].startswith("tenderhub 交易平台")


def test_both_platforms_are_registered_with_the_hub_by_their_signing_keys(system: Embedded, tmp_path: Path) -> None:
    listed = {p["id"]: p for p in TestClient(system.app()).get("/hub/platforms").json()}
    assert set(listed) == {A.code, B.code}
    for spec in SPECS:
        pem = (tmp_path / "data" / f"platform-{spec.slug}" / "keys" / "signing-intl.pub.pem").read_text()
        assert listed[spec.code]["signing_key"]["public_pem"].strip() == pem.strip()


def test_each_platform_registers_the_ocid_prefix_of_its_tender_codes(system: Embedded) -> None:
    """Tender codes start with the 11-character platform code, so each platform's ocids fall under
    a prefix of its own and the hub refuses them from anyone else (ADR 0013)."""
    listed = {p["id"]: p for p in TestClient(system.app()).get("/hub/platforms").json()}
    assert {code: listed[code]["ocid_prefix"] for code in (A.code, B.code)} == {
        A.code: f"ocds-thxxxx-{A.code}", B.code: f"ocds-thxxxx-{B.code}"}
    assert not listed[A.code]["ocid_prefix"].startswith(listed[B.code]["ocid_prefix"])


def test_opening_the_same_directory_again_keeps_the_registrations(system: Embedded, tmp_path: Path) -> None:
    again = open_embedded(tmp_path / "data")
    try:
        assert [p["id"] for p in again.client.get("/hub/platforms").json()] == [A.code, B.code]
        assert again.admin_token == system.admin_token
    finally:
        again.close()


def test_a_tender_published_on_platform_a_reaches_the_hub_feed_through_the_running_relay(system: Embedded, tmp_path: Path) -> None:
    with TestClient(system.app()) as client:  # the lifespan starts the relays (every second)
        publish_on(tmp_path / "data", A)
        deadline = time.monotonic() + 20
        while not (items := feed(client)) and time.monotonic() < deadline:
            time.sleep(0.2)
        (tender,) = client.get("/a/api/tenders").json()
        assert client.get("/b/api/tenders").json() == []
    assert [(i["platform_id"], i["release"]["tag"]) for i in items] == [(A.code, ["tender"])]
    assert items[0]["release"]["ocid"].endswith(tender["code"])
    assert system.pending() == {A.code: 0, B.code: 0}


def test_relay_until_idle_delivers_every_public_change_of_both_platforms(system: Embedded, tmp_path: Path) -> None:
    for spec in SPECS:
        publish_on(tmp_path / "data", spec)
    totals = system.relay_until_idle()
    assert all(t["sent"] >= 1 and t["refused"] == t["transient"] == 0 for t in totals.values()), totals
    assert system.pending() == {A.code: 0, B.code: 0}
    assert sorted(i["platform_id"] for i in feed(TestClient(system.app()))) == [A.code, B.code]


def test_the_two_platforms_and_the_hub_do_not_share_a_database_file(system: Embedded, tmp_path: Path) -> None:
    root = (tmp_path / "data").resolve()
    urls = [m.platform.engine.url.database for m in system.members] + [system.hub.engine.url.database]
    assert urls == [str(root / "platform-a" / "trading.db"), str(root / "platform-b" / "trading.db"), str(root / "hub" / "hub.db")]
    assert all(Path(str(u)).is_file() for u in urls)
    assert len({Path(str(u)).stat().st_ino for u in urls}) == 3


def test_serve_runs_the_embedded_system_unless_a_role_or_a_database_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    root = argparse.ArgumentParser()
    serve.add_parser(root.add_subparsers(dest="command"))
    chosen: list[str] = []

    def trading(settings: Any) -> None:
        chosen.append("trading")
        raise SystemExit(0)  # stop before uvicorn

    def embedded(args: argparse.Namespace) -> int:
        chosen.append("all")
        return 0

    monkeypatch.setattr(serve, "run_embedded", embedded)
    monkeypatch.setattr(serve, "build", trading)
    assert serve.run(root.parse_args(["serve", "--data-dir", "d"])) == 0
    with pytest.raises(SystemExit):
        serve.run(root.parse_args(["serve", "--db", "sqlite:///x.db"]))
    with pytest.raises(SystemExit):
        serve.run(root.parse_args(["serve", "--role", "trading"]))
    assert chosen == ["all", "trading", "trading"]


def test_serve_refuses_a_database_url_for_the_embedded_system(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(role="all", db="sqlite:///x.db", data_dir=None, host="127.0.0.1", port=8000)
    assert serve.run(args) == 2
    assert "--db applies to" in capsys.readouterr().out

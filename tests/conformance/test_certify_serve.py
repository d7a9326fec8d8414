"""``tenderhub certify`` against real processes: a hub and a trading platform started with
``tenderhub serve`` on free ports (SQLite), the platform joined to the hub with ``--hub``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conformance_support import (
    Deployment,
    beijing_today,
    certify_cli,
    hub_ids,
    released_ids,
    small_procurement,
    until,
)

CODE = "TH110000007"


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    made = Deployment(tmp_path)
    try:
        made.hub()
        yield made
    finally:
        made.stop()


def test_our_platform_served_by_tenderhub_serve_passes_certify_with_the_hub_check(deployment: Deployment, tmp_path: Path) -> None:
    url = deployment.platform(CODE, "测试交易平台")
    with httpx.Client(base_url=url, timeout=60) as client:
        small_procurement(client, beijing_today())
    assert until(lambda: released_ids(url) and released_ids(url) <= hub_ids(deployment.hub_url, CODE))
    done = certify_cli(url, tmp_path / "hub" / "hub-keys", tmp_path / "report.json", deployment.hub_url)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["passed"] and report["platform_id"] == CODE
    assert [c["id"] for c in report["checks"] if c["status"] == "pass"] == ["key", "feed", "signatures", "schema", "ids", "idempotency", "instruction", "hub"]
    assert "✓ instruction" in done.stdout and "PASSED" in done.stdout


def test_certify_exits_1_when_a_check_cannot_pass_and_2_when_nothing_answers(deployment: Deployment, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    from tenderhub.crypto.platform_keys import PlatformKeys

    PlatformKeys(stranger).pair("signing", "intl")  # a key the platform does not trust
    url = deployment.platform(CODE, "测试交易平台")
    with httpx.Client(base_url=url, timeout=60) as client:
        small_procurement(client, beijing_today())
    done = certify_cli(url, stranger, tmp_path / "report.json")
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [c for c in json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["checks"] if c["status"] != "pass"]
    assert [c["id"] for c in failed] == ["instruction"]
    assert certify_cli("http://127.0.0.1:9", stranger, tmp_path / "none.json").returncode == 2

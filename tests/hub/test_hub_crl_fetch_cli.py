"""``tenderhub hub crls …`` on the hub's database, and the periodic fetch that runs with the hub app."""

from __future__ import annotations

import json
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from crl_server import CrlServer
from fastapi.testclient import TestClient
from test_hub_crl_fetch import a_crl

from tenderhub.cli import main
from tenderhub.core.shared.clock import SystemClock
from tenderhub.crypto import x509
from tenderhub.hub import crls, trust
from tenderhub.hub.app import create_hub_app
from tenderhub.hub.context import Hub, open_hub
from tenderhub.hub.crlloop import LEAD, MIN_WAIT, RETRY, CrlFetcher, next_wait
from tenderhub.hub.lifespan import tie


def test_the_command_fetches_registers_and_reports_per_url(tmp_path: Path, database_url: str, crl_www: CrlServer,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    now = SystemClock().now()  # the command runs on the wall clock
    root = x509.init_ca("互认根CA", days=3650, now=now - timedelta(hours=1), crl_urls=[crl_www.url("root.crl")])
    with closing(open_hub(tmp_path / "hub", database_url)) as hub:
        fingerprint = trust.add(hub, {"certificate_pem": root[0].decode()})[1]["fingerprint"]
    where = ["--data-dir", str(tmp_path / "hub"), "--db", database_url]
    crl_www.put("root.crl", a_crl(root, [], now))
    capsys.readouterr()
    assert main(["hub", "crls", "fetch", *where, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stored"] == 1
    assert main(["hub", "crls", "add-url", "--ca", fingerprint, "--url", "file:///etc/passwd", *where]) == 1
    assert "http(s)" in capsys.readouterr().err
    assert main(["hub", "crls", "add-url", "--ca", fingerprint, "--url", crl_www.url("gone.crl"), *where]) == 0
    assert main(["hub", "crls", "fetch", *where]) == 1  # a URL refused: exit 1, the others still fetched
    shown = capsys.readouterr().out
    assert "refused" in shown and "404" in shown and "repeat" in shown
    assert main(["hub", "crls", "urls", *where, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["origin"] for s in listed["sources"]] == ["registered", "certificate"]
    assert main(["hub", "crls", "remove-url", "--ca", fingerprint, "--url", crl_www.url("gone.crl"), *where]) == 0
    assert main(["hub", "crls", "fetch", *where]) == 0


def test_the_next_round_comes_before_a_next_update_and_sooner_after_a_refusal() -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    assert next_wait(3600, [], now, refused=False) == 3600
    assert next_wait(3600, [], now, refused=True) == RETRY
    assert next_wait(3600, [now + timedelta(minutes=30)], now, refused=False) == 1800 - LEAD
    assert next_wait(3600, [now - timedelta(hours=1)], now, refused=False) == MIN_WAIT  # already stale: soon, not in a loop
    assert next_wait(3600, [now + timedelta(days=7)], now, refused=False) == 3600


def test_the_hub_app_fetches_the_crls_while_it_runs(hub: Hub, crl_www: CrlServer) -> None:
    root = x509.init_ca("互认根CA", days=3650, now=hub.clock.now() - timedelta(hours=1), crl_urls=[crl_www.url("root.crl")])
    trust.add(hub, {"certificate_pem": root[0].decode()})
    crl_www.put("root.crl", a_crl(root, [], hub.clock.now()))
    app = create_hub_app(hub)
    tie(app, CrlFetcher(hub, interval=3600))
    assert crls.entries(hub) == []
    with TestClient(app):  # the app's lifespan starts the fetcher
        deadline = time.monotonic() + 10
        while not crls.entries(hub) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [e["issuer_name"] for e in crls.entries(hub)] == ["CN=互认根CA"]
    assert crl_www.asked == ["/root.crl"]

"""``tenderhub serve``: the operator account and its token file on first start."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tenderhub.bootstrap import Platform
from tenderhub.commands import serve
from tenderhub.web.trading.app import create_app


def test_the_first_start_issues_the_operator_token_once_in_a_private_file(platform: Platform, tmp_path: Path) -> None:
    path, token = serve.ensure_operator(platform)
    assert token and path == tmp_path / "operator.token"
    assert path.read_text().strip() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert serve.ensure_operator(platform) == (path, None)
    with TestClient(create_app(platform)) as client:
        made = client.post("/api/users", json={"role": "regulator", "name": "监督员"}, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201, made.text


def test_serve_parses_its_options() -> None:
    root = argparse.ArgumentParser()
    serve.add_parser(root.add_subparsers(dest="command"))
    args = root.parse_args(["serve", "--data-dir", "d", "--port", "9001", "--db", "sqlite:///x.db"])
    assert (args.data_dir, args.port, args.db, args.host, args.handler) == ("d", 9001, "sqlite:///x.db", "127.0.0.1", serve.run)


def test_workers_apply_to_the_trading_role_only(capsys: Any) -> None:
    root = argparse.ArgumentParser()
    serve.add_parser(root.add_subparsers(dest="command"))
    for argv in (["serve", "--data-dir", "d", "--workers", "2"], ["serve", "--role", "hub", "--workers", "2"],
                 ["serve", "--db", "sqlite:///x.db", "--workers", "0"]):
        assert serve.run(root.parse_args(argv)) == 2
    assert "--workers N (N >= 1) applies to --role trading" in capsys.readouterr().out


def test_a_worker_process_builds_the_platform_from_the_environment_the_server_set(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("TENDERHUB_DATA_DIR", str(tmp_path / "w"))
    monkeypatch.setenv("TENDERHUB_DB_URL", f"sqlite:///{tmp_path / 'w' / 'trading.db'}")
    monkeypatch.setenv("TENDERHUB_PLATFORM_CODE", "TH110000009")
    app = serve.worker_app()
    try:
        with TestClient(app) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
        assert app.state.platform.settings.platform_code == "TH110000009"
        assert (tmp_path / "w" / "trading.db").exists()
    finally:
        app.state.platform.engine.dispose()

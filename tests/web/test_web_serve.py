"""``tenderhub serve``: the operator account and its token file on first start."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path

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

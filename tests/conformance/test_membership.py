"""``serve --role trading --hub``: what a platform does when the hub cannot be joined."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tenderhub.bootstrap import build
from tenderhub.commands import serve
from tenderhub.hub.membership import JoinError, join_hub, registration
from tenderhub.settings import Settings


def test_joining_a_hub_that_does_not_answer_fails_with_the_reason(tmp_path: Path, database_url: str) -> None:
    platform = build(Settings.load(data_dir=tmp_path, db_url=database_url))
    try:
        with pytest.raises(JoinError, match="does not answer"):
            join_hub(platform, "http://127.0.0.1:9", admin_token=None, public_url="http://127.0.0.1:8081", wait=0.5)
        assert platform.services.blacklist is None and platform.services.supervision_keys == {}
    finally:
        platform.engine.dispose()


def test_the_registration_carries_the_platform_code_name_key_and_item_11_information(tmp_path: Path, database_url: str) -> None:
    platform = build(Settings(data_dir=tmp_path, db_url=database_url, platform_code="TH110000009", platform_name="九号平台"))
    try:
        body = registration(platform, "PEM", "http://10.0.0.9:8081")
    finally:
        platform.engine.dispose()
    assert (body["id"], body["name"], body["public_key_pem"]) == ("TH110000009", "九号平台", "PEM")
    assert set(body) >= {"units", "responsible_people", "certification", "specifications", "services"}
    assert body["specifications"]["interface"] == "http://10.0.0.9:8081/openapi.json"


def test_serve_refuses_hub_for_the_other_roles_and_parses_the_new_options(capsys: pytest.CaptureFixture[str]) -> None:
    root = argparse.ArgumentParser()
    serve.add_parser(root.add_subparsers(dest="command"))
    args = root.parse_args(["serve", "--role", "trading", "--hub", "http://h:8000", "--hub-token-file", "t",
                            "--platform-code", "TH110000003", "--platform-name", "三号"])
    assert (args.hub, args.hub_token_file, args.platform_code, args.platform_name) == ("http://h:8000", "t", "TH110000003", "三号")
    assert serve.trading_settings(args).platform_code == "TH110000003"
    for role in ("hub", "all"):
        assert serve.run(root.parse_args(["serve", "--role", role, "--hub", "http://h:8000"])) == 2
    assert "--hub applies to --role trading" in capsys.readouterr().out

"""``tenderhub audit`` on the directory the demo leaves, and on nothing."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from tenderhub import cli
from tenderhub.db import migrate


def test_the_demo_directory_verifies_with_no_blobs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["demo", "--data-dir", str(tmp_path / "demo"), "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["audit", "verify", "--data-dir", str(tmp_path / "demo" / "platform-a")]) == 0
    out = capsys.readouterr().out
    assert "audit chain intact" in out and "0 blobs" in out
    assert re.search(r"head seq \d+ [0-9a-f]{64}", out)


def test_a_missing_database_is_exit_2_and_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("verify", "head"):
        assert cli.main(["audit", command, "--data-dir", str(tmp_path)]) == 2
        assert "no database" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_empty_chain_has_the_genesis_head(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    migrate.upgrade(f"sqlite:///{tmp_path}/trading.db")
    assert cli.main(["audit", "head", "--data-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == "0:" + "0" * 64


def test_a_database_from_before_the_blobs_table_verifies_its_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    migrate.upgrade(f"sqlite:///{tmp_path}/trading.db", "0001")
    assert cli.main(["audit", "verify", "--data-dir", str(tmp_path)]) == 0
    assert "0 events" in capsys.readouterr().out


def test_a_malformed_anchor_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["audit", "verify", "--data-dir", str(tmp_path), "--expect-head", "12:nothex"])
    assert exited.value.code == 2

"""Every shipped scenario (``scenarios/*.yaml``) runs green on a fresh system.

The database comes from the suite-wide ``database_url`` fixture: a fresh SQLite file by
default, or — with ``TENDERHUB_TEST_DB=postgresql`` and ``TENDERHUB_TEST_PG_URL`` — a fresh
throw-away schema on that PostgreSQL server, dropped afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tenderhub.cli import main
from tenderhub.scenarios.runner import StepResult, run_file, show_time

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

BROKEN = """\
name: 预期错误的场景 / A scenario with a wrong expectation
description: The bid period is 17 days, yet the scenario expects the publication to pass.
actors:
  tenderer: {kind: tenderer, uscc: 91110108MA00001013, name: 北京市海淀区城市管理委员会, legal_representative: 王敏}
steps:
  - at: 2026-11-03T09:00
    as: tenderer
    do: create_tender
    with:
      ref: T1
      regime: works
      title: 海淀区路灯改造工程
      lots:
        - {ref: L1, title: 施工标段, category: works, estimated_price: 3000000, bid_security: 50000, deadline: 2026-11-20T09:30}
  - {at: 2026-11-03T10:00, as: tenderer, do: publish, with: {doc_sale_end: 2026-11-10}, expect: {state: {lot L1: bidding}}}
  - {do: check, expect: {state: {tender T1: active}}}
"""


def lines(results: list[StepResult]) -> str:
    return "\n".join(
        f"  {'ok ' if r.ok else 'BAD'} {r.index:>3} {show_time(r.at)} {r.actor} {r.action}: {r.outcome}"
        + (f" — {r.detail}" if r.detail else "")
        for r in results
    )


def test_scenarios_are_shipped() -> None:
    assert len(SCENARIOS) >= 23
    names = [p.name for p in SCENARIOS]
    assert len({n[:2] for n in names}) == len(names), "scenario numbers must be unique"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_passes(path: Path, database_url: str) -> None:
    data, results = run_file(path, db_url=database_url)
    assert "/" in str(data.get("name", "")), "name: is bilingual, 中文 / English"
    assert str(data.get("description", "")).strip(), "description: is required"
    assert results, "a scenario has steps"
    failed = [r for r in results if not r.ok]
    assert not failed, f"{path.name}: {len(failed)} step(s) failed\n" + lines(failed)


def test_a_wrong_expectation_fails(tmp_path: Path, database_url: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    _, results = run_file(path, db_url=database_url)
    assert [r.ok for r in results] == [True, False, False]
    assert results[1].outcome.startswith("refused:")
    assert "招标投标法" in results[1].outcome or "bid_period" in results[1].outcome.lower()
    assert "tender T1: expected active, got draft" in results[2].detail


def test_a_refusal_citing_the_wrong_article_fails(tmp_path: Path, database_url: str) -> None:
    path = tmp_path / "wrong-article.yaml"
    path.write_text(
        BROKEN.replace("expect: {state: {lot L1: bidding}}", "expect: {refused: {law: 招标投标法, article: 28}}")
        .replace("{tender T1: active}", "{tender T1: draft}"),
        encoding="utf-8",
    )
    _, results = run_file(path, db_url=database_url)
    assert [r.ok for r in results] == [True, False, True]
    assert "第28条" in results[1].detail


def test_cli_exits_non_zero_when_a_step_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    assert main(["scenario", "run", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "0 scenarios passed, 1 failed" in out


def test_cli_exits_zero_when_every_step_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "run", str(SCENARIOS[0])]) == 0
    assert "1 scenarios passed, 0 failed" in capsys.readouterr().out

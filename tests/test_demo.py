"""``tenderhub demo`` runs the built-in procurement end to end; ``rules list --json`` cites laws.

The demo always runs on its embedded SQLite database (it is not a ``database_url`` test), so
it runs once per suite, not again on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tenderhub import cli
from tenderhub.commands import demo
from tenderhub.exchange.ocds.validate import validate_package
from tenderhub.scenarios.runner import StepResult

LOT_1, LOT_2 = 0, 1
PLATFORM_A, PLATFORM_B = "TH110000001", "TH110000002"
DATABASES = ("hub/hub.db", "platform-a/trading.db", "platform-b/trading.db")


def run_cli(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(argv)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "data"


@pytest.fixture(scope="module")
def demo_run(data_dir: Path) -> tuple[int, str]:
    return run_cli(["demo", "--data-dir", str(data_dir), "--json"])


@pytest.fixture(scope="module")
def facts(demo_run: tuple[int, str]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(demo_run[1])
    return parsed


def test_the_demo_exits_0_and_prints_one_json_object(demo_run: tuple[int, str], facts: dict[str, Any]) -> None:
    assert demo_run[0] == 0
    assert facts["steps"] == facts["steps_passed"] > 60


def test_the_tender_is_a_works_tender_with_two_lots(facts: dict[str, Any]) -> None:
    assert facts["tender"]["regime"] == "works"
    assert facts["tender"]["status"] == "complete"
    assert len(facts["lots"]) == 2


def test_lot_1_is_scored_by_five_experts_awarded_and_contracted(facts: dict[str, Any]) -> None:
    lot = facts["lots"][LOT_1]
    assert lot["evaluation_method"] == "composite" and lot["committee_size"] == 5
    assert lot["opening"]["bid_count"] == 5 and len(lot["ranking"]) == 5
    assert [r["rank"] for r in lot["ranking"]] == [1, 2, 3, 4, 5]
    assert lot["award"]["bidder"] == lot["ranking"][0]["bidder"] == "北京路桥建设有限公司"
    assert lot["contract"]["amount"] == lot["award"]["amount"] == "11500000.00"
    assert [p["kind"] for p in lot["performance"]] == ["progress", "completion"]


def test_the_contract_is_signed_within_30_days_of_the_award(facts: dict[str, Any]) -> None:
    lot = facts["lots"][LOT_1]
    awarded, signed = (datetime.fromisoformat(lot[k][f]) for k, f in (("award", "at"), ("contract", "signed_at")))
    assert (signed - awarded).days <= 30


def test_lot_2_fails_with_two_bids_then_round_2_is_awarded_by_lowest_price(facts: dict[str, Any]) -> None:
    lot = facts["lots"][LOT_2]
    first, second = lot["rounds"]
    assert (first["round"], first["outcome"], first["bids"]) == (1, "failed", 2)
    assert "少于3个" in first["failure_reason"]
    assert second["round"] == lot["round"] == 2 and second["bids"] == 4
    assert lot["evaluation_method"] == "lowest_evaluated_price"
    lowest = min(lot["opening"]["entries"], key=lambda e: float(e["price"]))
    assert lot["award"]["bidder"] == lowest["bidder"] and lot["contract"] is not None


def test_the_retender_deadline_is_20_days_later_on_a_provisional_2027_calendar(facts: dict[str, Any]) -> None:
    first, second = facts["lots"][LOT_2]["rounds"]
    gap = datetime.fromisoformat(second["deadline"]) - datetime.fromisoformat(first["deadline"])
    assert gap.days >= 20 and second["deadline_provisional"] is True
    assert {c["year"]: c["official"] for c in facts["calendar"]}[2027] is False


def test_the_objection_by_a_losing_bidder_is_answered_and_the_tender_resumed(facts: dict[str, Any]) -> None:
    (objection,) = facts["objections"]
    losers = {r["bidder"] for r in facts["lots"][LOT_1]["ranking"][3:]}
    assert objection["stage"] == "result" and objection["status"] == "answered"
    assert objection["raised_by"] in losers and objection["answer"]
    (suspension,) = facts["suspensions"]
    assert suspension["at"] == objection["raised_at"] and suspension["resumed_at"] == objection["answered_at"]


def test_the_audit_chain_holds_every_event_and_verifies(facts: dict[str, Any]) -> None:
    audit = facts["audit"]
    assert audit["chain_valid"] is True and audit["first_broken_seq"] is None
    assert audit["events"] == sum(audit["by_source"].values()) > 50
    assert re.fullmatch(r"[0-9a-f]{64}", audit["head"])


def test_audit_verify_on_the_demo_directory_checks_every_platform_against_the_hub_log(data_dir: Path, facts: dict[str, Any]) -> None:
    code, out = run_cli(["audit", "verify", "--data-dir", str(data_dir), "--json"])
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert set(report["platforms"]) == {PLATFORM_A, PLATFORM_B}
    for platform in report["platforms"].values():
        assert platform["chain_problem"] is None and platform["hub"]["problems"] == [] and platform["hub"]["sth"]["size"] > 0


def test_audit_verify_on_a_copy_of_the_demo_with_a_rewritten_event_fails_naming_it(data_dir: Path, facts: dict[str, Any], tmp_path: Path) -> None:
    import shutil
    import sqlite3

    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    with contextlib.closing(sqlite3.connect(copy / "platform-b" / "trading.db")) as db:
        db.execute("UPDATE audit_events SET reason = 'rewritten' WHERE seq = 3")
        db.commit()
    code, out = run_cli(["audit", "verify", "--data-dir", str(copy), "--json"])
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert report["platforms"][PLATFORM_A]["ok"] is True
    assert report["platforms"][PLATFORM_B]["chain_problem"]["seq"] == 3


def test_export_ocds_on_the_demo_directory_holds_both_platforms_releases_with_their_bids(data_dir: Path, facts: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "records.json"
    code, _ = run_cli(["export", "ocds", "--format", "records", "--data-dir", str(data_dir), "--out", str(out)])
    assert code == 0
    package = json.loads(out.read_text(encoding="utf-8"))
    ocids = {r["ocid"] for r in package["records"]}
    assert len(ocids) == 2 and {o[-20:-9] for o in ocids} == {PLATFORM_A, PLATFORM_B}
    assert all(r["compiledRelease"].get("bids", {}).get("details") for r in package["records"])


def test_the_databases_stay_in_the_data_dir_for_serve(data_dir: Path, facts: dict[str, Any]) -> None:
    for db in DATABASES:
        assert (data_dir / db).is_file(), db
    assert facts["data_dir"] == str(data_dir.resolve())


def test_a_data_dir_that_already_holds_a_database_is_refused_untouched(data_dir: Path, facts: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    before = {db: ((data_dir / db).stat().st_size, (data_dir / db).stat().st_mtime_ns) for db in DATABASES}
    assert cli.main(["demo", "--data-dir", str(data_dir)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert {db: ((data_dir / db).stat().st_size, (data_dir / db).stat().st_mtime_ns) for db in DATABASES} == before


def test_a_data_dir_with_a_single_platform_database_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "trading.db").write_bytes(b"")
    assert cli.main(["demo", "--data-dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trading.db"]


def test_platform_b_runs_a_government_procurement_of_goods_to_completion(facts: dict[str, Any]) -> None:
    b = facts["platform_b"]
    assert b["steps"] == b["steps_passed"] > 10
    assert (b["tender"]["regime"], b["tender"]["status"]) == ("gp", "complete")
    assert b["tender"]["code"] != facts["tender"]["code"]
    (lot,) = b["lots"]
    assert lot["winner"] == "京东方教育装备有限公司" and lot["contract_amount"] == "2690000.00"
    assert b["audit"]["chain_valid"] is True


def test_the_hub_registers_both_platforms_and_receives_releases_from_each(facts: dict[str, Any]) -> None:
    hub = facts["hub"]
    assert [p["id"] for p in hub["platforms"]] == [PLATFORM_A, PLATFORM_B]
    received = hub["releases_by_platform"]
    assert received[PLATFORM_A] > received[PLATFORM_B] > 0
    assert hub["feed_length"] == sum(received.values()) == sum(p["releases"] for p in hub["platforms"])
    assert all(t["refused"] == t["transient"] == 0 for t in hub["relayed"].values())


def test_the_hub_holds_one_record_per_procurement_with_every_stage(facts: dict[str, Any]) -> None:
    a, b = facts["hub"]["records"]
    assert (a["platform_id"], b["platform_id"]) == (PLATFORM_A, PLATFORM_B)
    assert a["ocid"].endswith(facts["tender"]["code"]) and b["ocid"].endswith(facts["platform_b"]["tender"]["code"])
    assert a["title"] == facts["tender"]["title"]
    assert list(a["stages"]) == ["tender", "opening", "failure", "candidates", "award", "contract", "implementation"]
    assert a["stages"]["failure"] == 1 and a["stages"]["award"] == 2
    assert "failure" not in b["stages"] and b["stages"]["contract"] == 1
    assert a["releases"] + b["releases"] == facts["hub"]["feed_length"]


def test_the_hub_release_package_is_written_and_validates(data_dir: Path, facts: dict[str, Any]) -> None:
    package = facts["hub"]["package"]
    path = data_dir / "ocds-release-package.json"
    assert package["path"] == str(path.resolve()) and path.is_file()
    assert package["valid"] is True and package["problems"] == []
    written = json.loads(path.read_text(encoding="utf-8"))
    assert validate_package(written) == []
    assert len(written["releases"]) == package["releases"] == facts["hub"]["feed_length"]
    assert {r["ocid"] for r in written["releases"]} == {r["ocid"] for r in facts["hub"]["records"]}


def test_the_timing_covers_the_scenarios_and_the_relay(facts: dict[str, Any]) -> None:
    timing = facts["timing"]
    assert 0 < timing["scenario_seconds"] + timing["relay_seconds"] <= timing["total_seconds"]


def test_the_readable_summary_is_bilingual(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    for words in ("开标记录", "Opening record", "中标通知书", "Award notice", "流标", "暂定 provisional", "chain intact",
                  "交易平台 B Platform B", "公共服务平台 Hub", "Changes feed", "release package", "✓ 有效 valid"):
        assert words in out


def test_a_failing_step_fails_the_demo_loudly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    broken = StepResult(7, datetime(2026, 12, 1, 1, tzinfo=UTC), "tenderer", "publish", False, "refused: nope", "expected ok")
    monkeypatch.setattr(demo, "run", lambda data, settings: [broken])
    assert cli.main(["demo"]) == 1
    assert "step 7" in capsys.readouterr().err


def test_rules_list_json_gives_every_rule_a_chinese_law_and_an_integer_article() -> None:
    code, out = run_cli(["rules", "list", "--json"])
    rules = json.loads(out)
    assert code == 0 and rules
    for rule in rules:
        assert isinstance(rule["law"], str) and re.search(r"[\u4e00-\u9fff]", rule["law"]), rule["code"]
        assert isinstance(rule["article"], int) and not isinstance(rule["article"], bool), rule["code"]

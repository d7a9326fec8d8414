"""``tenderhub demo [--data-dir DIR] [--json]``: whole procurements on the embedded system.

Runs the built-in ``scenarios/builtin/demo.yaml`` (two lots, composite scoring, a failed lot
re-tendered, an objection during the publicity, award, contract, performance) on trading
platform A and the smaller ``gp-goods.yaml`` (government procurement of goods) on platform B,
each on its own SQLite file (``tenderhub.embedded``); any failed step fails the demo. Both
outbox relays then post signed OCDS releases to the hub over HTTP until nothing is pending;
the demo reads everything back (use cases, audit, the hub's HTTP API), prints a bilingual
summary (or JSON) and writes the hub's validated release package to ``DIR/ocds-release-package.json``.

Without ``--data-dir`` all of it lives in a temporary directory removed at the end. With
``--data-dir DIR`` it stays (``DIR/hub/``, ``DIR/platform-a/``, ``DIR/platform-b/``) for
``tenderhub serve --data-dir DIR``; a DIR already holding one of their databases (or a
``trading.db``) is refused (exit 2), never overwritten.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from tenderhub import embedded
from tenderhub.core.shared.clock import beijing
from tenderhub.core.shared.roles import Actor
from tenderhub.scenarios.runner import StepResult, run, show_time
from tenderhub.services import subjects, tenders
from tenderhub.services.context import Services
from tenderhub.settings import Settings

DB_FILE = "trading.db"
SCENARIOS = ("demo.yaml", "gp-goods.yaml")  # platform A, platform B
REGIMES = {"works": "工程建设项目招标投标 / works tendering (招标投标法)", "gp": "政府采购 / government procurement (政府采购法)"}
STATUS_ZH = {
    "draft": "草稿", "active": "进行中", "suspended": "暂停", "complete": "已完成", "cancelled": "已终止",
    "bidding": "投标中", "opened": "已开标", "evaluating": "评标中", "evaluated": "评标完成", "publicity": "公示中",
    "awarded": "已发中标通知书", "contracted": "已签订合同", "failed": "流标", "archived": "已归档",
    "open": "待答复", "answered": "已答复",
}
METHODS_ZH = {"composite": "综合评估法 / composite scoring", "lowest_evaluated_price": "经评审的最低投标价法 / lowest evaluated price"}


class DemoFailed(Exception):
    """A step of a built-in scenario failed, or a release did not reach the hub: the system
    does not do what the demo shows."""


def add_parser(subs: Any) -> None:
    demo = subs.add_parser("demo", help="run built-in procurements on two platforms and the hub, print what happened")
    demo.add_argument("--data-dir", metavar="DIR", help="keep the hub and both platforms in DIR (DIR must not hold their databases yet)")
    demo.add_argument("--json", action="store_true", help="print the facts as one JSON object")
    demo.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    err = Console(stderr=True, highlight=False)
    if args.data_dir is None:
        with tempfile.TemporaryDirectory(prefix="tenderhub-demo-") as tmp:
            return execute(Path(tmp), keep=False, as_json=args.json, err=err)
    directory = Path(args.data_dir)
    held = [p for p in (directory / DB_FILE, *embedded.database_files(directory)) if p.exists()]
    if held:
        err.print(f"[red]✗ {escape(str(held[0]))} already exists: the demo never overwrites a database.\n"
                  f"  该目录已有数据库，演示不会覆盖。Choose a new directory or remove it.[/red]")
        return 2
    return execute(directory, keep=True, as_json=args.json, err=err)


def execute(directory: Path, *, keep: bool, as_json: bool, err: Console) -> int:
    started = time.perf_counter()
    scenarios = [yaml.safe_load(files("tenderhub.scenarios").joinpath("builtin", name).read_text(encoding="utf-8")) for name in SCENARIOS]
    try:
        with err.status("运行演示 / running the demo …", spinner="dots"):
            results = [run_checked(data, embedded.platform_settings(directory, spec)) for data, spec in zip(scenarios, embedded.SPECS, strict=True)]
        scenario_seconds = time.perf_counter() - started
        facts = read_back(directory, scenarios, results, err)
    except DemoFailed as failure:
        err.print(f"[red bold]✗ the demo failed / 演示失败[/red bold]\n{escape(str(failure))}")
        return 1
    facts["data_dir"] = str(directory.resolve()) if keep else None
    facts["hub"]["package"]["path"] = facts["hub"]["package"]["path"] if keep else None
    facts["timing"] = {"scenario_seconds": round(scenario_seconds, 3), "relay_seconds": facts["hub"].pop("relay_seconds"),
                       "total_seconds": round(time.perf_counter() - started, 3)}
    if as_json:
        print(json.dumps(facts, ensure_ascii=False, indent=2))
    else:
        render(Console(highlight=False), facts)
    return 0


def read_back(directory: Path, scenarios: list[dict[str, Any]], results: list[list[StepResult]], err: Console) -> dict[str, Any]:
    """Relay both platforms to the hub, then read platform A in full, B in brief, and the hub."""
    system = embedded.open_embedded(directory)
    try:
        with err.status("发送到公共服务平台 / relaying to the hub …", spinner="dots"):
            relayed = time.perf_counter()
            sent = system.relay_until_idle()
            if stuck := {code: n for code, n in system.pending().items() if n}:
                raise DemoFailed(f"  outbox rows not delivered to the hub: {stuck}; relay totals {sent}")
            hub = embedded.hub_view(system, package_path=directory / embedded.PACKAGE_FILE)
            hub["relay_seconds"] = round(time.perf_counter() - relayed, 3)
        a, b = (m.platform.services for m in system.members)
        facts = collect(a, scenarios[0], results[0])
        facts["platform_b"] = brief(b, scenarios[1], results[1])
        facts["hub"] = hub | {"relayed": sent}
    finally:
        system.close()
    return facts


def run_checked(data: dict[str, Any], settings: Settings) -> list[StepResult]:
    results = run(data, settings)
    failed = [r for r in results if not r.ok]
    if failed:
        raise DemoFailed("\n".join(f"  step {r.index} {show_time(r.at)} {r.actor} {r.action}: {r.outcome} {r.detail}" for r in failed))
    return results


# ---- reading back -------------------------------------------------------------------------


def collect(svc: Services, data: dict[str, Any], results: list[StepResult]) -> dict[str, Any]:
    operator = subjects.create_operator(svc)
    summary = tenders.list_tenders(svc, operator)[0]
    view = tenders.get_tender(svc, operator, summary["id"])
    ranked, names = read_aggregate(svc, operator, summary["id"])
    codes = {lot["id"]: lot["code"] for lot in view["lots"]}
    return {
        "scenario": data.get("name"), "steps": len(results), "steps_passed": sum(r.ok for r in results),
        "tender": {k: view[k] for k in ("id", "code", "title", "regime", "method", "status", "published_at", "doc_sale_end")}
        | {"tenderer": view["tenderer"]["name"]},
        "calendar": calendar_facts(svc, view),
        "lots": [lot_facts(lot, ranked.get(lot["code"], [])) for lot in view["lots"]],
        "objections": [objection_facts(o, codes, names) for o in view["objections"]],
        "suspensions": view["suspensions"],
        "audit": audit_facts(svc, operator),
    }


def read_aggregate(svc: Services, actor: Actor, tender_id: str) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """The evaluation reports' full rankings (the view shows only the candidates) and the
    subject names of the acting users, read through the repositories."""
    with svc.uow(actor) as uow:
        tender = uow.tenders.get(tender_id)
        ranked = {lot.code: ranking(lot) for lot in tender.lots if lot.evaluation and lot.evaluation.report}
        users = {o.raised_by for o in tender.objections}
        names = {u: subject_name(uow, u) for u in users}
    return ranked, names


def ranking(lot: Any) -> list[dict[str, Any]]:
    names = {b.id: b.name for b in lot.bids}
    return [{"rank": r.rank, "bidder": names.get(r.bid_id, r.bid_id), "total": str(r.total), "evaluated_price": str(r.evaluated_price),
             "criteria": {k: str(v) for k, v in r.criteria.items()}} for r in lot.evaluation.report.ranking]


def subject_name(uow: Any, user_id: str) -> str:
    user = uow.users.find(user_id)
    if user is None or not user.subject_id:
        return user_id
    return str(uow.subjects.get(user.subject_id).name)


def lot_facts(lot: dict[str, Any], ranked: list[dict[str, Any]]) -> dict[str, Any]:
    current = {"round": lot["round"], "deadline": lot["deadline"], "deadline_provisional": lot["deadline_provisional"],
               "bids": len(lot.get("bids", [])), "outcome": lot["status"], "failure_reason": lot["failure_reason"]}
    past = [{"round": r["round"], "deadline": r["deadline"], "deadline_provisional": None, "bids": r["bids"],
             "outcome": "failed", "failure_reason": r["failure_reason"]} for r in lot["history"]]
    keep = ("code", "title", "status", "round", "estimated_price", "bid_security", "evaluation_method",
            "opening", "candidates", "publicity", "award", "contract", "performance")
    return {k: lot[k] for k in keep} | {"rounds": [*past, current], "ranking": ranked, "committee_size": (lot["committee"] or {}).get("size")}


def objection_facts(o: dict[str, Any], codes: dict[str, str], names: dict[str, str]) -> dict[str, Any]:
    keep = ("stage", "status", "raised_at", "text", "answer", "answered_at", "answer_due", "answered_late")
    return {k: o[k] for k in keep} | {"lot": codes.get(o["lot"], o["lot"]), "raised_by": names.get(o["raised_by"] or "", o["raised_by"])}


def calendar_facts(svc: Services, view: dict[str, Any]) -> list[dict[str, Any]]:
    """Which years the deadlines were counted in, and whether each year is official."""
    stamps = [view["published_at"]] + [r["deadline"] for lot in view["lots"] for r in [lot, *lot["history"]]]
    years = sorted({int(str(s)[:4]) for s in stamps if s} | {int(str(p["at"])[:4]) for lot in view["lots"] for p in lot["performance"]})
    calendar: Any = svc.calendar
    return [{"year": y, "official": bool(calendar.is_official(y)), "source": str(calendar.source(y))} for y in years]


def audit_facts(svc: Services, actor: Actor) -> dict[str, Any]:
    with svc.uow(actor) as uow:
        broken = uow.audit.verify_chain()
        head = uow.audit.head()
        tags: Counter[str] = Counter()
        offset = 0
        while page := uow.audit.list(limit=1000, offset=offset):
            tags.update(r.tag.split(":")[0] for r in page)
            offset += len(page)
    return {"events": offset, "chain_valid": broken is None, "first_broken_seq": broken,
            "head": head[1] if head else None, "by_source": dict(sorted(tags.items()))}


def brief(svc: Services, data: dict[str, Any], results: list[StepResult]) -> dict[str, Any]:
    """Platform B in brief: its tender, each lot's winner and contract, its audit chain."""
    operator = subjects.create_operator(svc)
    view = tenders.get_tender(svc, operator, tenders.list_tenders(svc, operator)[0]["id"])
    lots = [{"code": lot["code"], "title": lot["title"], "status": lot["status"], "bids": (lot["opening"] or {}).get("bid_count"),
             "winner": (lot["award"] or {}).get("bidder"), "contract_amount": (lot["contract"] or {}).get("amount")} for lot in view["lots"]]
    return {"scenario": data.get("name"), "steps": len(results), "steps_passed": sum(r.ok for r in results),
            "tender": {k: view[k] for k in ("code", "title", "regime", "method", "status")} | {"tenderer": view["tenderer"]["name"]},
            "lots": lots, "audit": audit_facts(svc, operator)}


# ---- the readable summary -----------------------------------------------------------------


def render(console: Console, facts: dict[str, Any]) -> None:
    t = facts["tender"]
    console.print(Panel.fit(
        f"[bold]{escape(t['title'])}[/bold]\n项目编号 Code: {t['code']}\n"
        f"招标人 Tenderer: {escape(t['tenderer'])}\n制度 Regime: {REGIMES.get(t['regime'], t['regime'])}\n"
        f"方式 Method: {t['method']} · 公告发布 Published: {when(t['published_at'])} · 状态 Status: {status(t['status'])}",
        title="tenderhub 演示 / demo"))
    console.print("法定工作日 Working-day calendar: " + "; ".join(
        f"{c['year']} {'官方 official' if c['official'] else '[yellow]暂定 provisional[/yellow]'} ({escape(c['source'])})" for c in facts["calendar"]))
    years = {c["year"] for c in facts["calendar"] if not c["official"]}
    for lot in facts["lots"]:
        render_lot(console, lot, years)
    render_objections(console, facts)
    render_audit(console, facts)
    render_platform_b(console, facts["platform_b"])
    render_hub(console, facts["hub"])
    render_footer(console, facts)


def render_lot(console: Console, lot: dict[str, Any], years: set[int]) -> None:
    console.rule(f"[bold]标段 Lot {lot['code']} {escape(lot['title'])}[/bold] — {status(lot['status'])}")
    console.print(f"估算价 Estimated {yuan(lot['estimated_price'])} · 投标保证金 Bid security {yuan(lot['bid_security'])} · "
                  f"评标办法 {METHODS_ZH.get(lot['evaluation_method'], lot['evaluation_method'])}")
    console.print(rounds_table(lot))
    if lot["opening"]:
        console.print(opening_table(lot["opening"]))
    if lot["ranking"]:
        console.print(ranking_table(lot))
    if lot["publicity"]:
        p = lot["publicity"]
        console.print(f"中标候选人公示 Candidate publicity: {when(p['start'])} → {when(p['end'])}{provisional(p['end_provisional'])}, "
                      "candidates: " + ", ".join(f"{c['rank']}. {escape(c['bidder'])}" for c in lot["candidates"]))
    render_result(console, lot, years)


def render_result(console: Console, lot: dict[str, Any], years: set[int]) -> None:
    if lot["award"]:
        a = lot["award"]
        console.print(f"[green]中标通知书 Award notice[/green] {when(a['at'])}: [bold]{escape(a['bidder'])}[/bold] {yuan(a['amount'])}, "
                      f"签约期限 contract due {due(a['contract_due'], years)}")
    if lot["contract"]:
        c = lot["contract"]
        console.print(f"[green]合同 Contract[/green] signed {when(c['signed_at'])}: {yuan(c['amount'])}, "
                      f"履约保证金 performance security {yuan(c['performance_security'])}")
    for r in lot["performance"]:
        console.print(f"履约 Performance {when(r['at'])} {r['kind']}: {escape(r['text'])}")


def rounds_table(lot: dict[str, Any]) -> Table:
    table = Table(title="轮次 Rounds", title_justify="left")
    for column in ("轮次\nRound", "投标截止\nDeadline", "投标\nBids", "结果\nOutcome"):
        table.add_column(column)
    for r in lot["rounds"]:
        outcome = status(r["outcome"]) + (f"\n{escape(r['failure_reason'])}" if r["failure_reason"] else "")
        table.add_row(str(r["round"]), when(r["deadline"]) + provisional(r["deadline_provisional"]), str(r["bids"]), outcome)
    return table


def opening_table(opening: dict[str, Any]) -> Table:
    table = Table(title=f"开标记录 Opening record — {when(opening['at'])}, {opening['bid_count']} bids", title_justify="left")
    table.add_column("投标人\nBidder", min_width=widest(e["bidder"] for e in opening["entries"]))
    for column in ("报价 万元\nPrice", "工期\nDays", "保证金 万元\nSecurity"):
        table.add_column(column, justify="right")
    table.add_column("递交\nSubmitted")
    for e in opening["entries"]:
        table.add_row(escape(e["bidder"]), wan(e["price"]), str(e["period_days"]), wan(e["security"]), when(e["submitted_at"])[5:])
    return table


def ranking_table(lot: dict[str, Any]) -> Table:
    codes = list(lot["ranking"][0]["criteria"])
    table = Table(title=f"评标排名 Evaluation ranking — committee of {lot['committee_size']}", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("投标人\nBidder", min_width=widest(r["bidder"] for r in lot["ranking"]))
    totals = ("总分\nTotal",) if codes else ()
    for column in (*codes, *totals, "评审价\n万元"):
        table.add_column(column, justify="right")
    for r in lot["ranking"]:
        total = (r["total"],) if codes else ()
        table.add_row(str(r["rank"]), escape(r["bidder"]), *(r["criteria"][c] for c in codes), *total, wan(r["evaluated_price"]))
    return table


def render_objections(console: Console, facts: dict[str, Any]) -> None:
    console.rule("[bold]异议与暂停 Objections and suspensions[/bold]")
    for o in facts["objections"]:
        console.print(f"异议 Objection ({o['stage']}, lot {o['lot']}) by {escape(o['raised_by'] or '')} at {when(o['raised_at'])}: {escape(o['text'])}")
        late = " [red]late[/red]" if o["answered_late"] else ""
        console.print(f"  答复 Answer ({status(o['status'])}, due {o['answer_due']}) at {when(o['answered_at'])}{late}: {escape(o['answer'] or '')}")
    for s in facts["suspensions"]:
        console.print(f"暂停 Suspended {when(s['at'])} → 恢复 resumed {when(s['resumed_at'])}: {escape(s['reason'])}")


def render_audit(console: Console, facts: dict[str, Any]) -> None:
    a = facts["audit"]
    sources = ", ".join(f"{k} {v}" for k, v in a["by_source"].items())
    console.rule("[bold]审计 Audit[/bold]")
    console.print(f"审计事件 Audit events: {a['events']} ({sources}); {chain(a)}; head {str(a['head'])[:16]}…")


def chain(a: dict[str, Any]) -> str:
    return "[green]✓ 哈希链完整 chain intact[/green]" if a["chain_valid"] else f"[red]✗ chain broken at seq {a['first_broken_seq']}[/red]"


def render_platform_b(console: Console, b: dict[str, Any]) -> None:
    t = b["tender"]
    console.rule(f"[bold]交易平台 B Platform B — {escape(t['title'])}[/bold] — {status(t['status'])}")
    console.print(f"项目编号 Code {t['code']} · 采购人 Purchaser {escape(t['tenderer'])} · 制度 Regime {REGIMES.get(t['regime'], t['regime'])}")
    for lot in b["lots"]:
        console.print(f"标段 Lot {lot['code']} {escape(lot['title'])}: {lot['bids']} bids, {status(lot['status'])}; "
                      f"[green]中标 Award[/green] {escape(lot['winner'] or '—')}, 合同 Contract {yuan(lot['contract_amount'] or 0)}")
    console.print(f"审计事件 Audit events: {b['audit']['events']}; {chain(b['audit'])}")


def render_hub(console: Console, hub: dict[str, Any]) -> None:
    console.rule("[bold]公共服务平台 Hub — 登记、数据交换、OCDS[/bold]")
    table = Table(title="已登记交易平台 Registered platforms", title_justify="left")
    for column in ("平台 Platform", "名称 Name", "收到发布 Releases", "最近 Last received"):
        table.add_column(column, no_wrap=True)
    for p in hub["platforms"]:
        table.add_row(p["id"], escape(p["name"]), str(p["releases"]), when(p["last_release_at"]))
    console.print(table)
    per = ", ".join(f"{k} {v}" for k, v in hub["releases_by_platform"].items())
    console.print(f"变更订阅 Changes feed: {hub['feed_length']} releases ({per})")
    console.print("OCDS 记录 Records (every release signed by its platform, receipted and schema-checked by the hub):")
    for r in hub["records"]:
        stages = ", ".join(f"{k} {v}" for k, v in r["stages"].items())
        console.print(f"  {r['ocid']} ({r['platform_id']}) {escape(r['title'] or '')}: {r['releases']} releases — {stages}")
    pkg = hub["package"]
    valid = f"[green]✓ 有效 valid[/green] ({pkg['releases']} releases)" if pkg["valid"] else f"[red]✗ {len(pkg['problems'])} problems[/red]"
    console.print(f"OCDS 1.1 发布包 release package: {valid}; {escape(pkg['path'] or 'not kept (temporary directory)')}")


def render_footer(console: Console, facts: dict[str, Any]) -> None:
    timing, b = facts["timing"], facts["platform_b"]
    console.rule()
    where = f"数据保留在 data kept in {escape(facts['data_dir'])} (tenderhub serve --data-dir …)" if facts["data_dir"] else "临时目录已删除 temporary directory removed"
    console.print(f"{facts['steps_passed']}/{facts['steps']} + {b['steps_passed']}/{b['steps']} steps passed in {timing['scenario_seconds']:.2f} s, "
                  f"relayed in {timing['relay_seconds']:.2f} s (total {timing['total_seconds']:.2f} s); {where}")


def when(stamp: Any) -> str:
    if not stamp:
        return "—"
    return beijing(datetime.fromisoformat(str(stamp))).strftime("%Y-%m-%d %H:%M")


def provisional(flag: Any) -> str:
    return " [yellow](暂定 provisional)[/yellow]" if flag else ""


def widest(texts: Iterable[str]) -> int:
    return max((cell_len(t) for t in texts), default=0)


def wan(amount: Any) -> str:
    """An amount in 万元 (ten thousand yuan), as Chinese tender documents print it."""
    return f"{Decimal(str(amount)) / 10000:,.2f}"


def due(stamp: Any, provisional_years: set[int]) -> str:
    """A computed due date, marked provisional when counted in a year without a notice."""
    return when(stamp) + provisional(bool(stamp) and int(str(stamp)[:4]) in provisional_years)


def status(value: str) -> str:
    return f"{STATUS_ZH.get(value, value)} {value}"


def yuan(amount: Any) -> str:
    return f"¥{Decimal(str(amount)):,.2f}"

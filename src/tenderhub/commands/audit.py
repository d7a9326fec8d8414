"""``tenderhub audit verify|head``: prove the audit trail and the stored files are untouched.

    tenderhub audit verify [--data-dir DIR] [--db URL] [--expect-head SEQ:HASH] [--json]
                           [--hub URL --platform-id ID [--hub-key PEM]]
    tenderhub audit head   [--data-dir DIR] [--db URL] [--json]

``verify`` walks the whole hash chain in ``seq`` order (each row's hash over its fields and
the previous hash, and each ``prev_hash`` link) and re-hashes every blob in
``DIR/blobs/`` against the ``blobs`` table. Exit 0 with a summary (events, blobs, head), or
exit 1 naming the first broken event (seq, id, tag, what is wrong) and the first broken blob
(digest, expected vs actual); exit 2 when there is no database. Deleting the *last* rows
leaves a shorter but valid chain: pass a head printed earlier by ``audit head`` (or anchored
in the hub's transparency log) as ``--expect-head`` to detect it. Read-only: never migrates.

``--hub URL --platform-id ID`` also fetches the heads the hub logged for the platform and the
hub's signed tree head, proves each head in it and checks that the local chain extends every
one (``tenderhub.hub.transparency.check_with_hub``): a platform that rewrote an old row and
recomputed every hash after it (the chain alone still verifies) fails, naming the first
logged head it no longer has. ``--hub-key`` pins the hub's public key (default: the hub's
``GET /hub/key``). Exit 2 when the hub cannot be reached. ``--hub`` may name an upper hub of
the tree: the platform's heads reach it through its own hub (``hub/tree.py``) and are logged
there too, so the same check runs against the upper hub's log; the facts then name the lower
hub that forwarded them and the state of its log as the upper hub sees it (``via``: ``ok``,
``waiting`` or ``forked``, ``hub/monitor.py``; shown, not a failure of the platform).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session

from tenderhub.blobs import FileBlobStore, location
from tenderhub.blobs.check import BlobProblem, BlobReport, check_blobs
from tenderhub.blobs.port import is_digest
from tenderhub.commands.embedded_dirs import embedded_platforms
from tenderhub.core.shared.errors import Forbidden
from tenderhub.db.engine import make_engine, make_session_factory
from tenderhub.db.repositories.audit import GENESIS, AuditRecord, AuditRepository, row_hash
from tenderhub.db.repositories.blobs import BlobRepository
from tenderhub.db.uow import UnitOfWork
from tenderhub.hub.transparency import check_with_hub, lower_hub_of
from tenderhub.settings import Settings

PAGE = 1000


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    id: str
    tag: str
    kind: str  # changed | prev_hash_changed | missing | reordered | head_missing | head_mismatch
    detail: str

    def describe(self) -> str:
        return f"event seq {self.seq} (id {self.id}, tag {self.tag}): {self.kind}: {self.detail}"


@dataclass
class ChainReport:
    events: int = 0
    head: tuple[int, str] | None = None
    problem: ChainProblem | None = None


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        seq, _, digest = text.strip().partition(":")
        if not seq.isdigit() or not is_digest(digest.lower()):
            raise argparse.ArgumentTypeError(f"{text!r}: give SEQ:HASH as printed by 'tenderhub audit head'")
        return cls(int(seq), digest.lower())


# ---- the chain ----------------------------------------------------------------------------


def records(audit: AuditRepository) -> Iterator[AuditRecord]:
    """Every row in ``seq`` order, a page at a time."""
    offset = 0
    while page := audit.list(limit=PAGE, offset=offset):
        yield from page
        offset += len(page)


def check_chain(audit: AuditRepository, anchor: Anchor | None = None) -> ChainReport:
    report, prev, anchored = ChainReport(), None, None
    for row in records(audit):
        report.events += 1
        if report.problem is None:
            report.problem = check_row(audit, row, prev)
        if anchor is not None and row.seq == anchor.seq:
            anchored = row
        prev = row
    report.head = (prev.seq, prev.hash) if prev else None
    if report.problem is None and anchor is not None:
        report.problem = check_anchor(anchor, anchored, report.head)
    return report


def check_row(audit: AuditRepository, row: AuditRecord, prev: AuditRecord | None) -> ChainProblem | None:
    expected = prev.hash if prev else GENESIS
    fields = vars(row)  # shallow: row_hash reads the hashed fields, changes nothing
    if row_hash(fields, row.prev_hash) != row.hash:
        if row.prev_hash != expected and row_hash(fields, expected) == row.hash:
            return problem(row, "prev_hash_changed", f"prev_hash was changed to {row.prev_hash}; the row's fields hash correctly with the previous row's hash {expected}")
        return problem(row, "changed", f"its fields no longer hash to its stored hash {row.hash}: a field of this event was changed (or the hash itself)")
    if row.prev_hash != expected:
        return broken_link(audit, row, prev)
    return None


def broken_link(audit: AuditRepository, row: AuditRecord, prev: AuditRecord | None) -> ChainProblem:
    """The row is intact but does not follow the row stored before it: find where it belongs."""
    after = f"seq {prev.seq}" if prev else "the start of the table"
    if row.prev_hash == GENESIS:
        return problem(row, "reordered", f"it is the chain's first event but is stored after {after}")
    origin = next((r for r in records(audit) if r.hash == row.prev_hash), None)
    if origin is not None:
        return problem(row, "reordered", f"it follows seq {origin.seq} (id {origin.id}, tag {origin.tag}) in the chain but is stored after {after}")
    gap = "" if prev is None or row.seq == prev.seq + 1 else f"; seq {_span(prev.seq + 1, row.seq - 1)} absent"
    where = f"between seq {prev.seq} and seq {row.seq}" if prev else f"before seq {row.seq} (the chain's first rows)"
    return problem(row, "missing", f"the event it links to (hash {row.prev_hash}) is not in the table: row(s) deleted {where}{gap}")


def check_anchor(anchor: Anchor, row: AuditRecord | None, head: tuple[int, str] | None) -> ChainProblem | None:
    if anchor.seq == 0 and anchor.hash == GENESIS:
        return None  # anchored when the chain was empty
    if row is None:
        end = f"the chain ends at seq {head[0]}" if head else "the chain is empty"
        return ChainProblem(anchor.seq, "-", "-", "head_missing", f"the anchored head {anchor.seq}:{anchor.hash} is not in the chain ({end}): its last rows were deleted")
    if row.hash != anchor.hash:
        return problem(row, "head_mismatch", f"hash {row.hash}, but {anchor.hash} was anchored: the chain was rewritten from here back")
    return None


def problem(row: AuditRecord, kind: str, detail: str) -> ChainProblem:
    return ChainProblem(row.seq, row.id, row.tag, kind, detail)


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


# ---- the blobs ----------------------------------------------------------------------------


def recorded_blobs(repo: BlobRepository) -> Iterator[tuple[str, int]]:
    after = None
    while page := repo.list(after=after, limit=PAGE):
        yield from ((r.digest, r.size) for r in page)
        after = page[-1].digest


def check_store(session: Session, blob_dir: Path) -> BlobReport:
    repo = BlobRepository(session)
    if not sa.inspect(session.connection()).has_table("blobs"):  # a database from before 0002
        return check_blobs(FileBlobStore(blob_dir), [], lambda digest: False)
    return check_blobs(FileBlobStore(blob_dir), recorded_blobs(repo), lambda d: repo.find(d) is not None)


# ---- the command --------------------------------------------------------------------------


def add_parser(subs: Any) -> None:
    audit = subs.add_parser("audit", help="verify the audit hash chain and the stored files")
    inner = audit.add_subparsers(dest="audit_command", required=True)
    verify = inner.add_parser("verify", help="check every audit event and every blob; exit 1 naming the first broken one")
    verify.add_argument("--expect-head", metavar="SEQ:HASH", type=Anchor.parse, help="a head printed earlier by 'audit head': the chain must still contain it")
    verify.add_argument("--hub", metavar="URL", help="the hub whose transparency log holds this platform's chain heads")
    verify.add_argument("--platform-id", metavar="ID", help="this platform's id at the hub (with --hub)")
    verify.add_argument("--hub-key", metavar="PEM", type=Path, help="the hub's public key file (default: the hub's GET /hub/key)")
    head = inner.add_parser("head", help="print the chain's head as SEQ:HASH (anchor it outside the platform)")
    for command, handler in ((verify, run_verify), (head, run_head)):
        command.add_argument("--data-dir", metavar="DIR", help="the platform's data directory (blobs in DIR/blobs/); "
                             "a DIR left by 'tenderhub demo --data-dir DIR' checks every platform in it and the hub's log")
        command.add_argument("--db", metavar="URL", help="the database (default: DIR/trading.db)")
        command.add_argument("--json", action="store_true", help="print one JSON object")
        command.set_defaults(handler=handler)


def run_verify(args: argparse.Namespace) -> int:
    settings = Settings.load(data_dir=args.data_dir, db_url=args.db)
    if args.db is None and not args.hub and (platforms := embedded_platforms(settings.data_dir)):
        return verify_embedded(args, settings.data_dir, platforms)
    if (missing := _missing_database(settings.db_url)) is not None:
        return missing
    with Console(stderr=True).status("校验审计链与文件 / verifying the audit chain and the blobs …"):
        chain, blobs = _in_unit_of_work(settings.db_url, lambda uow: (
            check_chain(uow.audit, args.expect_head), check_store(uow.session, location(settings.data_dir))))
    facts = verify_facts(chain, blobs, location(settings.data_dir))
    if args.hub and (unreachable := add_hub_facts(facts, args, settings.db_url)) is not None:
        return unreachable
    if args.json:
        print(json.dumps(facts, ensure_ascii=False, indent=2))
    else:
        render(Console(highlight=False), facts)
    return 0 if facts["ok"] else 1


def verify_embedded(args: argparse.Namespace, root: Path, platforms: list[Settings]) -> int:
    """DIR as ``tenderhub demo --data-dir DIR`` leaves it: every platform's chain and blobs, and
    each platform's chain heads against the transparency log of the hub in ``DIR/hub``."""
    from tenderhub.embedded import HUB_DIR, hub_client
    from tenderhub.hub.app import create_hub_app
    from tenderhub.hub.context import open_hub

    hub = open_hub(root / HUB_DIR)
    try:
        with hub_client(create_hub_app(hub)) as client:
            results = {s.platform_code: platform_facts(s, client) for s in platforms}
    finally:
        hub.close()
    if args.json:
        print(json.dumps({"ok": all(f["ok"] for f in results.values()), "platforms": results}, ensure_ascii=False, indent=2))
    else:
        console = Console(highlight=False)
        for code, facts in results.items():
            console.rule(f"交易平台 platform {code}")
            render(console, facts)
    return 0 if all(f["ok"] for f in results.values()) else 1


def platform_facts(settings: Settings, hub: httpx.Client) -> dict[str, Any]:
    chain, blobs, heads = _in_unit_of_work(settings.db_url, lambda uow: (
        check_chain(uow.audit), check_store(uow.session, location(settings.data_dir)), [(r.seq, r.hash) for r in records(uow.audit)]))
    facts = verify_facts(chain, blobs, location(settings.data_dir))
    sth, problems = check_with_hub(hub, settings.platform_code, heads, None)
    facts["hub"] = {"url": "DIR/hub", "platform_id": settings.platform_code, "sth": sth.as_dict() if sth else None, "problems": problems}
    facts["ok"] = facts["ok"] and not problems
    return facts


def add_hub_facts(facts: dict[str, Any], args: argparse.Namespace, url: str) -> int | None:
    """``facts["hub"]``: the hub's signed tree head and the problems found; 2 when it cannot be checked."""
    if not args.platform_id:
        Console(stderr=True).print("[red]✗ --hub needs --platform-id / 须同时指定 --platform-id[/red]")
        return 2
    heads = _in_unit_of_work(url, lambda uow: [(r.seq, r.hash) for r in records(uow.audit)])
    pem = args.hub_key.read_bytes() if args.hub_key else None
    try:
        with httpx.Client(base_url=args.hub, timeout=30) as client:
            sth, problems = check_with_hub(client, args.platform_id, heads, pem)
            via = lower_hub_of(client, args.platform_id)
    except httpx.HTTPError as exc:
        Console(stderr=True).print(f"[red]✗ hub {escape(args.hub)} unreachable / 无法访问公共服务平台: {escape(str(exc))}[/red]")
        return 2
    except Forbidden as exc:
        sth, problems, via = None, [str(exc)], None
    facts["hub"] = {"url": args.hub, "platform_id": args.platform_id, "sth": sth.as_dict() if sth else None, "problems": problems,
                    "via": via}
    facts["ok"] = facts["ok"] and not problems
    return None


def run_head(args: argparse.Namespace) -> int:
    settings = Settings.load(data_dir=args.data_dir, db_url=args.db)
    if (missing := _missing_database(settings.db_url)) is not None:
        return missing
    head = _in_unit_of_work(settings.db_url, lambda uow: uow.audit.head()) or (0, GENESIS)
    print(json.dumps({"seq": head[0], "hash": head[1]}) if args.json else f"{head[0]}:{head[1]}")
    return 0


def _in_unit_of_work(url: str, work: Callable[[UnitOfWork], Any]) -> Any:
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            return work(uow)  # never committed: read-only
    finally:
        engine.dispose()


def _missing_database(url: str) -> int | None:
    """2 (and a message) when a SQLite file does not exist: verifying must not create one."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or (parsed.database and Path(parsed.database).is_file()):
        return None
    Console(stderr=True).print(f"[red]✗ no database at {escape(str(parsed.database))} / 数据库不存在[/red]")
    return 2


def verify_facts(chain: ChainReport, blobs: BlobReport, blob_dir: Path) -> dict[str, Any]:
    first_blob = blobs.first
    return {
        "ok": chain.problem is None and first_blob is None,
        "events": chain.events,
        "head": {"seq": chain.head[0], "hash": chain.head[1]} if chain.head else None,
        "chain_problem": asdict(chain.problem) if chain.problem else None,
        "blob_dir": str(blob_dir),
        "blobs": {"checked": blobs.checked, "recorded": blobs.recorded, "unrecorded": blobs.unrecorded,
                  "bytes": blobs.bytes, "broken": blobs.broken},
        "blob_problem": asdict(first_blob) if first_blob else None,
    }


def render(console: Console, facts: dict[str, Any]) -> None:
    head = facts["head"]
    head_text = f"head seq {head['seq']} {head['hash']}" if head else "empty chain"
    if facts["chain_problem"] is None:
        console.print(f"[green]✓ 审计链完整 audit chain intact[/green]: {facts['events']} events, {head_text}", soft_wrap=True)
    else:
        console.print(f"[red]✗ 审计链被篡改 audit chain broken[/red] ({facts['events']} events): "
                      f"{escape(ChainProblem(**facts['chain_problem']).describe())}", soft_wrap=True)
    if "hub" in facts:
        render_hub(console, facts["hub"])
    b = facts["blobs"]
    counts = f"{b['checked']} blobs ({b['recorded']} recorded, {b['unrecorded']} unrecorded, {b['bytes']} bytes)"
    if facts["blob_problem"] is None:
        console.print(f"[green]✓ 文件完整 blobs intact[/green]: {counts}", soft_wrap=True)
    else:
        console.print(f"[red]✗ 文件被篡改 blobs broken[/red] ({b['broken']} of {b['recorded'] + b['unrecorded']}; {counts}): "
                      f"{escape(_blob_text(facts['blob_problem']))}", soft_wrap=True)


def render_hub(console: Console, hub: dict[str, Any]) -> None:
    size = hub["sth"]["size"] if hub["sth"] else "?"
    if via := hub.get("via"):
        mark = "[red]✗[/red]" if via["state"] in ("forked", "false_claim") else "·"  # flagged (hub/flags.py)
        console.print(f"{mark} 经下级公共服务平台 via lower hub {escape(via['id'])}: its log {via['state']}", soft_wrap=True)
    if not hub["problems"]:
        console.print(f"[green]✓ 与公共服务平台日志一致 consistent with the hub's log[/green] (tree size {size})", soft_wrap=True)
        return
    more = f" (and {len(hub['problems']) - 1} more)" if len(hub["problems"]) > 1 else ""
    console.print(f"[red]✗ 与公共服务平台日志不一致 inconsistent with the hub's log[/red] (tree size {size}): "
                  f"{escape(hub['problems'][0])}{more}", soft_wrap=True)


def _blob_text(p: dict[str, Any]) -> str:
    return BlobProblem(**p).describe()

"""``tenderhub documents export``: every signed public document of the tenders, for ``verify``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from tenderhub.bootstrap import build
from tenderhub.core.shared.errors import NotFound
from tenderhub.services import documents
from tenderhub.services.subjects import create_operator
from tenderhub.services.tenders import list_tenders
from tenderhub.settings import Settings


def add_parser(subs: Any) -> None:
    docs = subs.add_parser("documents", help="the signed documents of the tenders")
    inner = docs.add_subparsers(dest="documents_command", required=True)
    export = inner.add_parser("export", help="write each signed document as a bundle that `tenderhub verify` checks")
    export.add_argument("--data-dir")
    export.add_argument("--db")
    export.add_argument("--tender", help="a tender id (default: all)")
    export.add_argument("--out", required=True, type=Path)
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    svc = build(Settings.load(data_dir=args.data_dir, db_url=args.db)).services
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "trust-ca.pem").write_bytes(documents.trust_anchor(svc))
    tenders = [t for t in list_tenders(svc, create_operator(svc), limit=100000) if args.tender in (None, t["id"], t["code"])]
    written = sum(export_tender(svc, tender, args.out) for tender in tenders)
    Console().print(f"{written} signed documents in {args.out} (verify with: tenderhub verify FILE --trust {args.out / 'trust-ca.pem'})")
    return 0


def write_bundle(path: Path, content_b64: str, signature: dict[str, Any]) -> None:
    path.write_text(json.dumps({"content_b64": content_b64, "signature": signature}, ensure_ascii=False, indent=1), encoding="utf-8")


def export_tender(svc: Any, tender: dict[str, Any], out: Path) -> int:
    count = 0
    targets = [(kind, None) for kind in documents.TENDER_KINDS] + [(kind, lot["code"]) for lot in tender["lots"] for kind in documents.LOT_KINDS]
    for kind, lot in targets:
        try:
            bundle = documents.signed_document(svc, tender["id"], kind, lot)
        except NotFound:
            continue
        name = f"{tender['code']}-{kind}" + (f"-{lot}" if lot else "")
        write_bundle(out / f"{name}.json", bundle["content_b64"], bundle["signature"])
        count += 1
        for signer, signature in documents.personal_signatures(svc, tender["id"], kind, lot) if lot else []:
            write_bundle(out / f"{name}-signed-by-{signer}.json", bundle["content_b64"], signature)
            count += 1
    return count

"""Scenario steps of a bidder's own tool: seal a package, upload it, release the key.

These run the real bidder-side code (``tenderhub.crypto.sealing``) with a key pair the
scenario keeps per bidder, and the real platform use cases (``services.sealed``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenderhub.core.shared.clock import FixedClock
from tenderhub.crypto import keys
from tenderhub.crypto.keys import KeyPair
from tenderhub.crypto.machine import fingerprint
from tenderhub.crypto.sealing import release_for, seal_package
from tenderhub.services import parse as p
from tenderhub.services import sealed
from tenderhub.services.context import Services
from tenderhub.services.tenders import new_id

CHUNK = 64 * 1024


@dataclass
class Sealed:
    pair: KeyPair
    path: Path
    summary: dict[str, Any]


class BidderDesk:
    """What the bidders keep on their own machines during a scenario."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pairs: dict[str, KeyPair] = {}
        self.packages: dict[str, Sealed] = {}

    def seal(self, who: str, clock: FixedClock, params: Mapping[str, Any]) -> dict[str, Any]:
        suite = p.text(params, "suite", default="intl")
        pair = self.pairs.setdefault(f"{who}:{suite}", keys.generate(suite))
        folder = self.root / f"{who}-{new_id()[:8]}"
        folder.mkdir(parents=True)
        files = []
        for name, text in p.mapping(params, "files", default={"投标文件.txt": "投标文件正文"}).items():
            files.append(folder / str(name))
            files[-1].write_text(str(text), encoding="utf-8")
        form = {k: params[k] for k in ("price", "period_days", "quality", "security_amount", "security_form", "project_manager") if k in params}
        out = folder / "bid.sealed"
        summary = seal_package(suite, pair.private_pem, files, form, out, created_at=clock.now(), machine=fingerprint(), tool_version="scenario")
        self.packages[who] = Sealed(pair, out, summary)
        return {"sealed": str(out), "size": summary["size"], "digest": summary["ciphertext_digest"]}

    def package(self, who: str) -> Sealed:
        if who not in self.packages:
            from tenderhub.scenarios.runner import ScenarioError

            raise ScenarioError(f"{who} has no sealed package: add a `seal` step first")
        return self.packages[who]


def submit_sealed(svc: Services, desk: BidderDesk, who: str, actor: Any, tender_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Upload in chunks and finish; ``tamper: true`` flips one byte first (the platform must notice)."""
    package = desk.package(who)
    data = package.path.read_bytes()
    if params.get("tamper"):
        data = data[:-1] + bytes([data[-1] ^ 1])
    sha256 = hashlib.sha256(data).hexdigest()
    state = sealed.begin_upload(svc, actor, tender_id, {"lot": params["lot"], "summary": package.summary, "sha256": sha256})
    offset = state["received"]
    while offset < len(data):
        state = sealed.put_chunk(svc, actor, state["upload_id"], offset, data[offset:offset + CHUNK])
        offset = state["received"]
    return sealed.finish_upload(svc, actor, state["upload_id"])


def decrypt(svc: Services, desk: BidderDesk, who: str, actor: Any, tender_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Release the content key to the platform's opening key (``wrong_key: true`` releases with another key)."""
    package = desk.package(who)
    private = keys.generate(package.pair.suite).private_pem if params.get("wrong_key") else package.pair.private_pem
    opening = svc.vault.keys.pair("opening", package.pair.suite).public_pem  # type: ignore[union-attr]
    try:
        blob = release_for(package.pair.suite, private, package.path, opening)
    except Exception:  # a wrong key cannot even unwrap: release garbage, the platform decides
        blob = b"{}"
    release = base64.b64encode(blob).decode()
    return sealed.decrypt(svc, actor, tender_id, {"lot": params["lot"], "release": release})

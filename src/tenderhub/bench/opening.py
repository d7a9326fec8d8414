"""``tenderhub bench opening``: the platform decrypting every sealed bid of a tender at its
opening, against the raw limit of the same work done directly in the same run.

Set-up (not timed): a platform on SQLite in a scratch directory under /tmp with a fixed
clock; a published envelope-sealed tender; N bidders, each sealing one document of S MB of
random bytes with its own key (the real bidder tool, ``seal_package``), uploading it through
the use cases and preparing its key release for the opening key (``release_for``).

Timed ("opening"): for every bid ``services.sealed.decrypt`` (unwrap the released key,
decrypt, unpack, verify the signed manifest and every file digest, store the files durably
in the blob store, record the result), then ``close_decryption`` (the opening record).

Timed ("raw", twice: before and after the opening, the faster run counts): for every stored
ciphertext file, read it, AES-256-GCM (SM4-GCM for gm) decrypt its chunks with the content
key using ``cryptography`` directly, SHA-256 the plaintext and write it, fsynced, into the
data directory (the same file system as the blob store). ``ratio`` = opening / raw.
"""

from __future__ import annotations

import base64
import cProfile
import hashlib
import io
import json
import os
import pstats
import shutil
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tenderhub.bench.common import (
    MB,
    Out,
    finish,
    platform_on,
    register_bidder,
    rounded,
    say,
    scratch,
    seal_random,
    subject,
    timed,
    working_deadline,
)
from tenderhub.bench.common import published_tender as publish_tender
from tenderhub.bootstrap import Platform
from tenderhub.core.shared.clock import BEIJING, FixedClock
from tenderhub.core.shared.roles import Actor
from tenderhub.crypto import envelope
from tenderhub.crypto.sealing import release_for
from tenderhub.services import bids, sealed
from tenderhub.services.tenders import get_tender

START = datetime(2026, 12, 1, 9, 0, tzinfo=BEIJING)
UPLOAD_CHUNK = 8 * MB


@dataclass
class Prepared:
    """One bidder's bid, ready for the opening: its release and what the raw run needs."""

    actor: Actor
    release: str
    stored: Path
    content_key: bytes
    size: int


@dataclass
class Setting:
    platform: Platform
    clock: FixedClock
    tenderer: Actor
    tender_id: str
    lot: str
    deadline: datetime


def run(bids_n: int = 200, size_mb: float = 4, suite: str = "intl", *, profile: bool = False, out: Out = say) -> dict[str, Any]:
    with scratch("opening") as root:
        setting = set_up(root / "data")
        try:
            return measure(setting, root, bids_n, size_mb, suite, profile, out)
        finally:
            setting.platform.engine.dispose()


def measure(setting: Setting, root: Path, n: int, size_mb: float, suite: str, profile: bool, out: Out) -> dict[str, Any]:
    out(f"opening: {n} sealed bids of {size_mb} MB ({suite}), scratch {root}")
    with timed() as setup:
        prepared = [prepare(setting, root / "bidders", i, int(size_mb * MB), suite) for i in range(n)]
        open_lot(setting)
    total = sum(p.size for p in prepared)
    out(f"set-up (register, seal, upload, release; not measured): {setup[0]:.1f} s, {total / MB:.0f} MB of ciphertext")
    first = raw_pass(prepared, suite, root / "data" / "bench-raw")
    out(f"raw    (read, {cipher_name(suite)} decrypt, SHA-256, write + fsync): {first:.2f} s  {total / MB / first:.0f} MB/s")
    opening, decrypted = opening_pass(setting, prepared, profile, out)
    out(f"opening (services.sealed.decrypt x {n} + close_decryption): {opening:.2f} s  {total / MB / opening:.0f} MB/s")
    second = raw_pass(prepared, suite, root / "data" / "bench-raw")
    out(f"raw again: {second:.2f} s  {total / MB / second:.0f} MB/s")
    raw = min(first, second)
    out(f"ratio opening/raw = {opening / raw:.2f} (target <= 1.3)")
    return finish(out, {
        "bench": "opening", "suite": suite, "bids": n, "size_mb": size_mb, "ciphertext_mb": rounded(total / MB, 1),
        "opening_s": rounded(opening), "opening_mb_s": rounded(total / MB / opening, 1), "raw_s": rounded(raw),
        "raw_mb_s": rounded(total / MB / raw, 1), "raw_runs_s": [rounded(first), rounded(second)],
        "decrypted": decrypted, "setup_s": rounded(setup[0], 1), "ratio": rounded(opening / raw),
    })


def set_up(data_dir: Path) -> Setting:
    clock = FixedClock(START)
    platform = platform_on(data_dir, clock)
    tenderer, _ = subject(platform, "tenderer", "tenderer", 1)
    deadline = working_deadline(platform, START, 25)
    tender_id, lot = publish_tender(platform, tenderer, deadline)
    clock.set(deadline - timedelta(days=3))
    return Setting(platform, clock, tenderer, tender_id, lot, deadline)


def prepare(setting: Setting, folder: Path, i: int, size: int, suite: str) -> Prepared:
    """Bidder ``i`` registers, seals, uploads, and makes its key release (bidder side)."""
    platform, svc = setting.platform, setting.platform.services
    actor, _ = register_bidder(platform, setting.tender_id, setting.lot, i)
    bid = seal_random(folder / f"b{i}", suite, size, str(9_000_000 + i), setting.clock.now())
    receipt = upload(setting, actor, bid.path, bid.summary, bid.sha256)
    if not sealed.verify_receipt(svc, receipt):
        raise RuntimeError(f"the receipt of bidder {i} does not verify")
    stored = Path(svc.vault.blobs.path_for(receipt["receipt"]["ciphertext_sha256"]))  # type: ignore[union-attr]
    opening_key = svc.vault.keys.pair("opening", suite).public_pem  # type: ignore[union-attr]
    release = base64.b64encode(release_for(suite, bid.pair.private_pem, bid.path, opening_key)).decode()
    with open(stored, "rb") as src:
        key = envelope.content_key(suite, bid.pair.private_pem, envelope.read_header(src))
    shutil.rmtree(bid.path.parent)
    return Prepared(actor, release, stored, key, stored.stat().st_size)


def upload(setting: Setting, actor: Actor, path: Path, summary: dict[str, Any], sha256: str) -> dict[str, Any]:
    svc = setting.platform.services
    state = sealed.begin_upload(svc, actor, setting.tender_id, {"lot": setting.lot, "summary": summary, "sha256": sha256})
    with open(path, "rb") as f:
        f.seek(state["received"])
        while block := f.read(UPLOAD_CHUNK):
            state = sealed.put_chunk(svc, actor, state["upload_id"], state["received"], block)
    return sealed.finish_upload(svc, actor, state["upload_id"])


def open_lot(setting: Setting) -> None:
    setting.clock.set(setting.deadline)
    bids.open_bids(setting.platform.services, setting.tenderer, setting.tender_id, {"lot": setting.lot})
    setting.clock.set(setting.deadline + timedelta(minutes=5))


def opening_pass(setting: Setting, prepared: list[Prepared], profile: bool, out: Out) -> tuple[float, int]:
    profiler = cProfile.Profile() if profile else None
    with timed() as took:
        if profiler is not None:
            profiler.enable()
        outcomes = decrypt_all(setting, prepared)
        if profiler is not None:
            profiler.disable()
    if profiler is not None:
        out(profile_text(profiler))
    decrypted = outcomes.count("decrypted")
    entries = get_tender(setting.platform.services, setting.tenderer, setting.tender_id)["lots"][0]["opening"]["bid_count"]
    if decrypted != len(prepared) or entries != len(prepared):
        raise RuntimeError(f"only {decrypted} of {len(prepared)} bids decrypted ({entries} in the opening record)")
    return took[0], decrypted


def decrypt_all(setting: Setting, prepared: list[Prepared]) -> list[str]:
    svc, lot = setting.platform.services, setting.lot
    outcomes = [sealed.decrypt(svc, p.actor, setting.tender_id, {"lot": lot, "release": p.release})["decryption"] for p in prepared]
    sealed.close_decryption(svc, setting.tenderer, setting.tender_id, {"lot": lot})
    return [str(o) for o in outcomes]


def profile_text(profiler: cProfile.Profile, top: int = 40) -> str:
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    return "profile of the opening (by cumulative time):\n" + buffer.getvalue()


# ---- the raw limit ---------------------------------------------------------------------------


def cipher_name(suite: str) -> str:
    return "AES-256-GCM" if suite == "intl" else "SM4-GCM"


def raw_pass(prepared: list[Prepared], suite: str, out_dir: Path) -> float:
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with timed() as took:
            for i, bid in enumerate(prepared):
                raw_open(bid.stored, bid.content_key, suite, out_dir / f"{i}.plain")
        return took[0]
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def raw_open(path: Path, key: bytes, suite: str, out: Path) -> str:
    """Decrypt one envelope directly (header parsed by hand), hash and write the plaintext."""
    with open(path, "rb") as src, open(out, "wb") as dst:
        start = src.read(12)
        body = src.read(struct.unpack(">I", start[8:])[0])
        header = json.loads(body)
        prefix, size = bytes.fromhex(header["nonce_prefix"]), int(header["chunk_size"]) + 16
        ad, open_chunk, digest = header_digest(suite, start + body), chunk_opener(suite, key), hashlib.sha256()
        index, current = 0, src.read(size)
        while True:
            following = src.read(size)
            plain = open_chunk(prefix + struct.pack(">IB", index, 0 if following else 1), current, ad)
            digest.update(plain)
            dst.write(plain)
            if not following:
                break
            index, current = index + 1, following
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest()


def header_digest(suite: str, raw: bytes) -> bytes:
    h = hashes.Hash(hashes.SHA256() if suite == "intl" else hashes.SM3())
    h.update(raw)
    return h.finalize()


def chunk_opener(suite: str, key: bytes) -> Any:
    if suite == "intl":
        return AESGCM(key).decrypt

    def sm4(nonce: bytes, data: bytes, ad: bytes) -> bytes:
        dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, data[-16:])).decryptor()
        dec.authenticate_additional_data(ad)
        return dec.update(data[:-16]) + dec.finalize()

    return sm4

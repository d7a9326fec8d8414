"""The bid-preparation machine fingerprint (national dataset 519: CPU id, disk serial, MAC,
IP), gathered best-effort. Each value leaves the machine only as ``SHA-256(salt || value)``
with a random salt stored next to it, so the platform can compare bids made on the same
machine (条例 第40条 deemed collusion) without learning the raw identifiers.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None


def cpu_id() -> str | None:
    text = _read("/proc/cpuinfo") or ""
    keys = ("serial", "model name", "cpu family", "model", "stepping", "microcode")
    found = [line.split(":", 1)[1].strip() for line in text.splitlines()
             if ":" in line and line.split(":", 1)[0].strip().lower() in keys]
    return "|".join(dict.fromkeys(found)) or None


def disk_serial() -> str | None:
    for path in ("/sys/class/dmi/id/product_uuid", "/sys/class/dmi/id/board_serial"):
        if value := _read(path):
            return value
    try:
        out = subprocess.run(["lsblk", "-dno", "SERIAL"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    serials = [s.strip() for s in out.stdout.splitlines() if s.strip()]
    return serials[0] if serials else None


def mac() -> str | None:
    node = uuid.getnode()
    return None if node >> 40 & 1 else format(node, "012x")  # bit 40 set: a random stand-in


def local_ip() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # UDP connect sends nothing; it picks the route
            return str(s.getsockname()[0])
    except OSError:
        return None


PROBES: dict[str, Callable[[], str | None]] = {
    "cpu_id": cpu_id, "disk_serial": disk_serial, "mac": mac, "ip": local_ip,
}


def fingerprint(salt: bytes | None = None) -> dict[str, str | None]:
    """``{"salt": hex, "cpu_id": sha256 hex or None, "disk_serial": …, "mac": …, "ip": …}``."""
    salt = salt or os.urandom(16)
    out: dict[str, str | None] = {"salt": salt.hex(), "alg": "sha256(salt||utf8(value))"}
    for name, probe in PROBES.items():
        value = probe()
        out[name] = hashlib.sha256(salt + value.encode()).hexdigest() if value else None
    return out

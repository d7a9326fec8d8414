"""Builders for the crypto tests: keys, CAs and certificates with keyword defaults."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tenderhub.core.shared.ids import uscc_check_char
from tenderhub.crypto import keys, x509

NOW = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)


def uscc(n: int = 1) -> str:
    body = f"91110105MA{n:07d}"
    return body + uscc_check_char(body)


@dataclass(frozen=True)
class Holder:
    pair: keys.KeyPair
    cert_pem: bytes


def new_ca(name: str = "Test CA", *, days: int = 3650, now: datetime = NOW) -> tuple[bytes, bytes]:
    return x509.init_ca(name, days=days, now=now - timedelta(days=1))


def holder(ca: tuple[bytes, bytes], *, cn: str = "北京某建设有限公司", kind: str = "company",
           code: str | None = "default", days: int = 365, now: datetime = NOW) -> Holder:
    pair = keys.generate("intl")
    cert = x509.issue(ca[0], ca[1], subject_cn=cn, kind=kind, uscc=uscc() if code == "default" else code,
                      public_pem=pair.public_pem, days=days, now=now - timedelta(days=1))
    return Holder(pair, cert)


def openssl(*args: str, cwd: Path, data: bytes | None = None, stderr: bool = False) -> bytes:
    """The output of a successful ``openssl`` command (stdout, and stderr too when asked)."""
    exe = shutil.which("openssl")
    assert exe is not None
    done = subprocess.run([exe, *args], cwd=cwd, input=data, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout + done.stderr if stderr else done.stdout


def openssl_supports_sm2() -> bool:
    exe = shutil.which("openssl")
    if exe is None:
        return False
    done = subprocess.run([exe, "genpkey", "-algorithm", "SM2"], capture_output=True, timeout=60)
    return done.returncode == 0


def with_gmssl_oracle(attempt, tries: int = 8):
    """Run ``attempt`` (fresh random input each call) until the pure-Python ``gmssl`` oracle
    copes: its Jacobian points are hex strings and it fails (TypeError on None) when an
    intermediate coordinate has leading zero digits (TypeError on None, or binascii's
    "Odd-length string"), about once in 200 SM2 operations."""
    for _ in range(tries - 1):
        try:
            return attempt()
        except (TypeError, ValueError):
            continue
    return attempt()

"""``certify(url, …)``: run every check against a trading platform over HTTP; the ``Report``.

The kit pulls: it reads the platform's published key and signed releases
(``GET /api/exchange/key``, ``/api/exchange/releases``), re-fetches releases to compare bytes,
and sends one signed ``inquire`` instruction with a key the platform trusts (``--hub-key``).
With ``--hub URL`` it also checks that the hub the platform relays to holds every release
with the same canonical bytes (what the platform's relay pushed).
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tenderhub.conformance.checks import CHECKS, Probe, check_hub
from tenderhub.conformance.report import Report
from tenderhub.crypto import keys
from tenderhub.crypto.errors import CryptoError
from tenderhub.crypto.keys import KeyPair


class KeyFileError(Exception):
    """The hub key given to the kit cannot be read."""


def load_pair(path: Path) -> KeyPair:
    """A private key: a PEM file, or a key directory holding ``signing-intl.key`` (``DATA_DIR/hub-keys``)."""
    file = path / "signing-intl.key" if path.is_dir() else path
    if not file.is_file():
        raise KeyFileError(f"no private key at {file}")
    private = file.read_bytes()
    for suite in ("intl", "gm"):
        try:
            return KeyPair(suite, private, keys.public_of(suite, private))
        except (CryptoError, ValueError, TypeError):  # try the other suite; a key of neither is refused below
            continue
    raise KeyFileError(f"{file} holds no P-256 or SM2 private key")


def certify(client: httpx.Client, *, hub_pair: KeyPair | None = None, hub: httpx.Client | None = None,
            deadline: float = 10.0) -> Report:
    """Run the suite through ``client`` (its base URL is the platform's)."""
    started = time.monotonic()
    probe = Probe(client, hub_pair=hub_pair, hub=hub, deadline=deadline)
    report = Report(str(client.base_url))
    for check in CHECKS:
        report.checks.append(check(probe))
    if hub is not None:
        report.checks.append(check_hub(probe))
    report.platform_id = str(probe.key.get("platform_id", ""))
    report.seconds = time.monotonic() - started
    return report

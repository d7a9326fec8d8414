"""``open_hub(url, data_dir)``: the hub's composition root (database, keys, clock)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tenderhub.core.shared.clock import Clock, SystemClock
from tenderhub.crypto import keys
from tenderhub.crypto.keys import KeyPair
from tenderhub.crypto.platform_keys import PlatformKeys
from tenderhub.db.engine import make_engine

HUB_DB = "hub.db"


@dataclass
class Hub:
    engine: sa.Engine
    keys: PlatformKeys
    clock: Clock = field(default_factory=SystemClock)
    # test seam: called inside the ingest transaction at "started" and "written"
    pause: Callable[[str, dict[str, Any]], None] | None = None
    # webhooks to loopback, private, link-local or reserved addresses (SSRF) are refused unless
    # this is set (an intranet deployment, tests with a local receiver): portal/subscriptions.py
    private_webhooks: bool = False

    def signing_pair(self) -> KeyPair:
        return self.keys.pair("signing", "intl")

    def key_info(self) -> dict[str, str]:
        public = self.signing_pair().public_pem
        return {"suite": "intl", "public_pem": public.decode(), "fingerprint": keys.fingerprint(public)}

    def close(self) -> None:
        self.engine.dispose()


def hub_url(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / HUB_DB).resolve()}"


def open_hub(data_dir: Path, url: str | None = None, *, clock: Clock | None = None) -> Hub:
    """The hub on ``url`` (default SQLite ``DATA_DIR/hub.db``, migrated to the newest revision
    by ``hub/migrate.py``), keys in ``DATA_DIR/hub-keys``."""
    from tenderhub.hub import migrate

    url = url or hub_url(Path(data_dir))
    migrate.prepare(url)
    engine = make_engine(url)
    return Hub(engine, PlatformKeys(Path(data_dir) / "hub-keys"), clock or SystemClock())

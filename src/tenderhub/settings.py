"""The one settings object (env prefix ``TENDERHUB_``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("data")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str
    platform_code: str = "TH110000001"
    platform_name: str = "tenderhub 交易平台"
    # Unsealed (clear) bids exist only for simulations of the legal rules: scenarios, tests and
    # the demo. A deployed platform refuses them (电子招标投标办法 第25条). ADR 0007.
    allow_unsealed: bool = False
    # PEM files of supervision authority keys whose signed instructions the platform obeys
    # (services/instructions.py); env TENDERHUB_SUPERVISION_KEYS, paths separated by os.pathsep.
    supervision_keys: tuple[str, ...] = ()

    @classmethod
    def load(cls, *, data_dir: str | Path | None = None, db_url: str | None = None, allow_unsealed: bool | None = None) -> Settings:
        directory = Path(data_dir or os.environ.get("TENDERHUB_DATA_DIR") or DEFAULT_DATA_DIR)
        url = db_url or os.environ.get("TENDERHUB_DB_URL") or f"sqlite:///{(directory / 'trading.db').resolve()}"
        return cls(
            data_dir=directory,
            db_url=url,
            platform_code=os.environ.get("TENDERHUB_PLATFORM_CODE", "TH110000001"),
            platform_name=os.environ.get("TENDERHUB_PLATFORM_NAME", "tenderhub 交易平台"),
            allow_unsealed=allow_unsealed if allow_unsealed is not None else os.environ.get("TENDERHUB_ALLOW_UNSEALED") == "1",
            supervision_keys=tuple(x for x in os.environ.get("TENDERHUB_SUPERVISION_KEYS", "").split(os.pathsep) if x),
        )

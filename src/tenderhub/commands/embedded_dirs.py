"""The data directory ``tenderhub demo --data-dir DIR`` leaves (the embedded system, see
``embedded.py``): ``DIR/hub`` and one directory per trading platform. ``audit verify`` and
``export ocds`` given such a DIR work on every platform in it."""

from __future__ import annotations

from pathlib import Path

from tenderhub.settings import Settings


def embedded_platforms(root: Path) -> list[Settings]:
    """The settings of each platform of the embedded system under ``root`` (``[]``: not one)."""
    from tenderhub.embedded import HUB_DIR, SPECS, platform_settings
    from tenderhub.hub.context import HUB_DB

    if not (root / HUB_DIR / HUB_DB).is_file():
        return []
    return [platform_settings(root, spec) for spec in SPECS if (spec.data_dir(root) / "trading.db").is_file()]

"""Releases of real scenario runs for the portal, package and dataset tests (mapped once per
session), and a hub with a registered platform that has ingested them."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hub_support import Platform, client_for, make_hub

from tenderhub.bootstrap import build
from tenderhub.exchange.ocds.mapping import MappingOptions, releases_for
from tenderhub.hub.context import Hub
from tenderhub.hub.portal.indexer import catch_up
from tenderhub.scenarios.runner import run_file
from tenderhub.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
FULL = "ocds-thfull-"  # scenario 01: notice, opening, candidates, award, contract, performance
AMENDED = "ocds-thamnd-"  # scenario 09: clarifications (amendments)


@cache
def scenario_releases(prefix: str, ocid_prefix: str, workdir: str) -> tuple[dict[str, Any], ...]:
    directory = Path(workdir) / f"scenario-{prefix}"
    directory.mkdir(parents=True, exist_ok=True)
    run_file(next((ROOT / "scenarios").glob(f"{prefix}-*.yaml")), data_dir=directory)
    platform = build(Settings.load(data_dir=directory, db_url=f"sqlite:///{directory / 'trading.db'}"))
    with platform.services.uow(None) as uow:
        tenders = uow.tenders.list(limit=1000)
    platform.engine.dispose()
    options = MappingOptions(ocid_prefix=ocid_prefix, platform_code="TH110000001")
    return tuple(r for t in tenders for r in releases_for(t, options))


def full(workdir: Path) -> list[dict[str, Any]]:
    return copy.deepcopy(list(scenario_releases("01", FULL, str(workdir))))


def amended(workdir: Path) -> list[dict[str, Any]]:
    return copy.deepcopy(list(scenario_releases("09", AMENDED, str(workdir))))


class Portal:
    """A hub on the test database, its client and a registered platform."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.hub: Hub = make_hub(tmp_path, database_url)
        self.client: TestClient = client_for(self.hub)
        self.platform = Platform(self.client)

    def ingest(self, releases: list[dict[str, Any]]) -> None:
        for release in releases:
            answer = self.platform.post(release)
            assert answer.status_code in (200, 201), answer.text
        catch_up(self.hub)  # the portal follows the feed: index what was just ingested

    def close(self) -> None:
        self.hub.close()

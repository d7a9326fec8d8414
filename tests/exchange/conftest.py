"""Releases of real scenario runs, read back from the trading platform's database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing

from tenderhub.bootstrap import build
from tenderhub.exchange.ocds.extension import release_schema
from tenderhub.exchange.ocds.mapping import MappingOptions, releases_for
from tenderhub.exchange.ocds.validate import resources
from tenderhub.scenarios.runner import run_file
from tenderhub.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
SCENARIOS = ("01", "05", "09", "22", "24", "27")


def scenario_file(prefix: str) -> Path:
    return next((ROOT / "scenarios").glob(f"{prefix}-*.yaml"))


def read_tenders(directory: Path) -> list[Any]:
    platform = build(Settings.load(data_dir=directory, db_url=f"sqlite:///{directory / 'trading.db'}"))
    with platform.services.uow(None) as uow:
        found: list[Any] = uow.tenders.list(limit=1000)
    platform.engine.dispose()
    return found


@pytest.fixture(scope="session")
def scenario_tenders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    found = {}
    for prefix in SCENARIOS:
        directory = tmp_path_factory.mktemp(f"scenario-{prefix}")
        run_file(scenario_file(prefix), data_dir=directory)
        found[prefix] = read_tenders(directory)
    return found


@pytest.fixture(scope="session")
def scenario_releases(scenario_tenders: dict[str, list[Any]]) -> dict[str, list[dict[str, Any]]]:
    options = MappingOptions(ocid_prefix="ocds-thxxxx-", platform_code="TH110000001")
    return {k: [r for t in tenders for r in releases_for(t, options)] for k, tenders in scenario_tenders.items()}


@pytest.fixture(scope="session")
def reference_validator() -> Iterator[Any]:
    """The pure-Python ``jsonschema`` validator of the same schema: the reference."""
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (url, referencing.Resource.from_contents(schema, default_specification=referencing.jsonschema.DRAFT4))
        for url, schema in resources()
    )
    yield jsonschema.Draft4Validator(release_schema(), registry=registry, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)

"""Fixtures for the HTTP API tests: a platform on a fresh test database (SQLite or PostgreSQL, see
``database_url``) with a settable
clock, a TestClient speaking as named parties (builders in ``web_builders``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_builders import EXPERTS, PARTIES, START, Api

from tenderhub.bootstrap import Platform, build
from tenderhub.commands.serve import ensure_operator
from tenderhub.core.shared.clock import FixedClock, parse_beijing
from tenderhub.settings import Settings
from tenderhub.web.trading.app import create_app


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(parse_beijing(START))


@pytest.fixture
def platform(tmp_path: Path, clock: FixedClock, database_url: str) -> Iterator[Platform]:
    settings = Settings.load(data_dir=tmp_path, db_url=database_url, allow_unsealed=True)
    built = build(settings, clock=clock)
    yield built
    built.engine.dispose()


@pytest.fixture
def api(platform: Platform, clock: FixedClock) -> Iterator[Api]:
    _, token = ensure_operator(platform)
    assert token is not None
    with TestClient(create_app(platform)) as client:
        yield Api(client, clock, platform, {"operator": token})


@pytest.fixture
def parties(api: Api) -> Api:
    """The tenderer, three bidders and five experts, registered over HTTP."""
    for alias, spec in PARTIES.items():
        made = api.post("/api/subjects", spec)
        assert made.status_code == 201, made.text
        api.tokens[alias] = made.json()["token"]
    for ident, name, specialty in EXPERTS:
        made = api.post("/api/experts", {"id": ident, "name": name, "specialties": [specialty]}, who="operator")
        assert made.status_code == 201, made.text
        api.tokens[ident] = made.json()["token"]
    return api



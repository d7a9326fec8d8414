"""Property-based run of schemathesis against ``/openapi.json``: whatever a client sends, the
API answers with a documented status and a body that conforms to the schema, never a 500.

Cases rotate through the public and several roles, and most target a real tender, so the
generated bodies reach the use cases and their parsers, not only the authentication.
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from web_builders import START, Api, bids_in, published

from db_support import fresh_database
from tenderhub.bootstrap import build
from tenderhub.commands.serve import ensure_operator
from tenderhub.core.shared.clock import FixedClock, parse_beijing
from tenderhub.settings import Settings
from tenderhub.web.trading.app import create_app

pytestmark = pytest.mark.db  # runs again on PostgreSQL (NUL bytes and long strings behave differently there)
DATA_DIR = Path(tempfile.mkdtemp(prefix="tenderhub-web-schema-"))
atexit.register(shutil.rmtree, DATA_DIR, True)
DATABASE = fresh_database(DATA_DIR)
DB_URL = next(DATABASE)
atexit.register(lambda: next(DATABASE, None))
CLOCK = FixedClock(parse_beijing(START))
PLATFORM = build(Settings.load(data_dir=DATA_DIR, db_url=DB_URL, allow_unsealed=True), clock=CLOCK)
APP = create_app(PLATFORM)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.phases.update(phases=["examples", "fuzzing"])  # the coverage phase alone takes a minute
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
WHO = itertools.cycle([None, "tenderer", "bidder_a", "operator", "expert_1", "tenderer", "bidder_b"])
TARGET = itertools.cycle([True, True, True, False])
SEEDED: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def seeded() -> Iterator[None]:
    """Parties, a tender in bidding and one with sealed bids; the platform is removed afterwards."""
    from web_builders import EXPERTS, PARTIES

    _, token = ensure_operator(PLATFORM)
    with TestClient(APP) as client:
        api = Api(client, CLOCK, PLATFORM, {"operator": str(token)})
        for alias, spec in PARTIES.items():
            api.tokens[alias] = api.post("/api/subjects", spec).json()["token"]
        for ident, name, specialty in EXPERTS:
            api.tokens[ident] = api.post("/api/experts", {"id": ident, "name": name, "specialties": [specialty]}, who="operator").json()["token"]
        SEEDED.update(api.tokens, bidding=published(api).id, sealed=bids_in(api).id)
    CLOCK.set(parse_beijing("2026-12-21T10:00"))
    yield
    PLATFORM.engine.dispose()
    shutil.rmtree(DATA_DIR, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=15, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail_or_break_its_schema(case: schemathesis.Case) -> None:
    who = next(WHO)
    if case.path_parameters and "tender_id" in case.path_parameters and next(TARGET):
        case.path_parameters["tender_id"] = SEEDED["sealed" if who in ("expert_1", "bidder_b") else "bidding"]
    case.headers.pop("Authorization", None)
    if who is not None:
        case.headers["Authorization"] = f"Bearer {SEEDED[who]}"
    case.call_and_validate(checks=CHECKS)

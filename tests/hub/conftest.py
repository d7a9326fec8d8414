"""Fixtures shared by the hub tests: a hub on the test database (SQLite, or PostgreSQL in the
second run) and its app client, a platform registered with its key, the portal, the embedded
two-platform system, the scenario work directory of a module, and a local HTTP server of CRL
files (``crl_www``).

``client`` serves an open hub app; a module whose routes need the administrator overrides
``admin_token`` (``return ADMIN``) and sends ``admin()`` headers where it must.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from crl_server import CrlServer
from fastapi.testclient import TestClient
from hub_support import PLATFORM, START, client_for, make_hub, registration
from portal_support import Portal

from tenderhub.core.shared.clock import FixedClock
from tenderhub.crypto import keys
from tenderhub.embedded import Embedded, open_embedded
from tenderhub.hub import registry
from tenderhub.hub.context import Hub


@pytest.fixture
def hub(tmp_path: Path, database_url: str) -> Iterator[Hub]:
    with closing(make_hub(tmp_path, database_url)) as made:
        yield made


@pytest.fixture
def admin_token() -> str | None:
    """The token the hub app asks of the administrator; ``None`` leaves registration open."""
    return None


@pytest.fixture
def client(hub: Hub, admin_token: str | None) -> TestClient:
    return client_for(hub, admin_token=admin_token)


@pytest.fixture
def pair(hub: Hub) -> keys.KeyPair:
    """The key of ``PLATFORM``, registered straight in the hub's registry."""
    made = keys.generate("intl")
    registry.register(hub, registration(PLATFORM, made))
    return made


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the module's scenario runs are kept (they are mapped once per directory)."""
    return tmp_path_factory.mktemp("scenarios")


@pytest.fixture
def portal(tmp_path: Path, database_url: str) -> Iterator[Portal]:
    with closing(Portal(tmp_path, database_url)) as made:
        yield made


@pytest.fixture
def system(tmp_path: Path) -> Iterator[Embedded]:
    """Two trading platforms and the hub, embedded, on a clock fixed at ``START``."""
    with closing(open_embedded(tmp_path / "data", clock=FixedClock(START))) as made:
        yield made


@pytest.fixture
def crl_www(tmp_path: Path) -> Iterator[CrlServer]:
    """A real HTTP server on 127.0.0.1 serving the files of ``tmp_path/www`` (CRLs to fetch)."""
    (tmp_path / "www").mkdir()
    made = CrlServer(tmp_path / "www")
    yield made
    made.close()

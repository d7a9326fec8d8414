"""A finish refused for a passing reason ("try again later": the hub's blacklist cannot be
checked) keeps the stored ciphertext, so the retried finish gives the receipt; a finish
refused by a rule still removes it (test_services_sealed.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from services_builders import World, a_world
from test_services_sealed import begun

from tenderhub.core.shared.errors import Conflict
from tenderhub.services import sealed
from tenderhub.services.credit import HttpBlacklist


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path / "data", allow_unsealed=False)
    yield w
    w.platform.engine.dispose()


def test_a_finish_refused_while_the_blacklist_is_unavailable_can_be_retried(world: World, tmp_path: Path) -> None:
    _, bid, upload_id = begun(world, tmp_path, "2026-12-10T10:00")
    data = bid.path.read_bytes()
    with httpx.Client(base_url="http://127.0.0.1:9", timeout=2) as down:  # the hub does not answer
        world.svc.blacklist = HttpBlacklist(down, world.svc.clock)
        with pytest.raises(Conflict) as refused:
            sealed.finish_upload(world.svc, bid.actor, upload_id, (0, data))
    assert refused.value.code == "blacklist_unavailable"
    vault = world.svc.vault
    assert vault is not None and vault.blobs.verify(bid.sha256)  # kept: the bidder was told to try again
    world.svc.blacklist = None  # the check answers again
    signed = sealed.finish_upload(world.svc, bid.actor, upload_id)  # the retry, without the bytes
    assert sealed.verify_receipt(world.svc, signed) and signed["receipt"]["ciphertext_sha256"] == bid.sha256

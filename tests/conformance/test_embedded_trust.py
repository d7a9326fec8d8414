"""The embedded system: each platform obeys instructions signed with the hub's key."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tenderhub.conformance.instruction import signed_instruction
from tenderhub.crypto import keys
from tenderhub.embedded import open_embedded


def test_both_embedded_platforms_trust_the_hub_key_and_only_it(tmp_path: Path) -> None:
    system = open_embedded(tmp_path / "data")
    try:
        hub_print = keys.fingerprint(system.hub.signing_pair().public_pem)
        assert [list(m.platform.services.supervision_keys) for m in system.members] == [[hub_print], [hub_print]]
        with TestClient(system.app()) as client:
            body = signed_instruction(system.hub.signing_pair(), id="SUP-E-1", kind="inquire", tender_id="none", issued_at="2026-12-01T09:00")
            assert client.post("/a/api/instructions", json=body).status_code == 404  # trusted, but no such tender
            forged = signed_instruction(keys.generate("intl"), id="SUP-E-2", kind="inquire", tender_id="none", issued_at="2026-12-01T09:00")
            assert client.post("/b/api/instructions", json=forged).status_code == 401
    finally:
        system.close()

"""Supervision instructions received online: verified, recorded, applied, acknowledged once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from services_builders import World, a_tender_body, a_world

from tenderhub.conformance.instruction import signed_instruction
from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid, NotFound
from tenderhub.crypto import keys
from tenderhub.crypto.keys import KeyPair
from tenderhub.hub import protocol
from tenderhub.services import instructions, tenders
from tenderhub.services.instructions import TAG, trust, trusted_key
from tenderhub.services.tenders import get_tender

AT = "2026-12-10T09:00:00+08:00"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path)
    yield w
    w.platform.engine.dispose()


@pytest.fixture
def hub_pair(world: World) -> KeyPair:
    pair = keys.generate("intl")
    trust(world.svc, trusted_key("公共服务平台", pair.public_pem))
    return pair


def published(world: World) -> str:
    tenderer = world.subject("tenderer", "tenderer", 1)
    made = tenders.create_tender(world.svc, tenderer, a_tender_body())
    world.at("2026-12-01T09:00")
    tenders.publish(world.svc, tenderer, made["id"], {"doc_sale_end": "2026-12-07"})
    world.at("2026-12-10T09:00")
    return str(made["id"])


def received(world: World) -> list[Any]:
    with world.svc.uow(None) as uow:
        return list(uow.audit.list(tag=TAG, limit=1000))


def ack_verifies(world: World, ack: dict[str, Any]) -> bool:
    public = world.svc.vault.keys.pair("signing", "intl").public_pem  # type: ignore[union-attr]
    return protocol.verify(ack["suite"], public, ack["acknowledgement"], ack["signature"])


def test_a_suspend_instruction_suspends_the_tender_and_is_acknowledged_with_the_platform_signature(world: World, hub_pair: KeyPair) -> None:
    tender = published(world)
    body = signed_instruction(hub_pair, id="SUP-1", kind="suspend", tender_id=tender, issued_at=AT)
    created, ack = instructions.receive(world.svc, body)
    assert created and ack_verifies(world, ack)
    facts = ack["acknowledgement"]
    assert (facts["instruction_id"], facts["digest"], facts["outcome"]["status"]) == ("SUP-1", "sha256:" + protocol.digest(body["instruction"]), "applied")
    assert facts["received_at"] == "2026-12-10T09:00:00+08:00"
    assert get_tender(world.svc, world.operator, tender)["status"] == "suspended"
    (event,) = received(world)
    assert (event.target, event.role, event.data["signature"]) == ("SUP-1", "regulator", body["signature"])


def test_resume_after_suspend_restarts_the_tender(world: World, hub_pair: KeyPair) -> None:
    tender = published(world)
    instructions.receive(world.svc, signed_instruction(hub_pair, id="SUP-1", kind="suspend", tender_id=tender, issued_at=AT))
    world.at("2026-12-12T09:00")
    _, ack = instructions.receive(world.svc, signed_instruction(hub_pair, id="SUP-2", kind="resume", tender_id=tender, issued_at=AT))
    assert ack["acknowledgement"]["outcome"] == {"status": "applied", "tender_status": "active"}
    assert get_tender(world.svc, world.operator, tender)["status"] == "active"


def test_a_repeated_instruction_gets_the_same_acknowledgement_and_acts_once(world: World, hub_pair: KeyPair) -> None:
    tender = published(world)
    body = signed_instruction(hub_pair, id="SUP-1", kind="suspend", tender_id=tender, issued_at=AT)
    _, first = instructions.receive(world.svc, body)
    world.at("2026-12-11T09:00")
    created, again = instructions.receive(world.svc, body)
    assert not created and again == first
    assert len(received(world)) == 1


def test_other_content_under_a_known_instruction_id_is_refused(world: World, hub_pair: KeyPair) -> None:
    tender = published(world)
    instructions.receive(world.svc, signed_instruction(hub_pair, id="SUP-1", kind="inquire", tender_id=tender, issued_at=AT))
    with pytest.raises(Conflict) as refused:
        instructions.receive(world.svc, signed_instruction(hub_pair, id="SUP-1", kind="correct", tender_id=tender, issued_at=AT))
    assert refused.value.field == "instruction.id"


def test_correct_and_inquire_are_recorded_without_changing_the_tender(world: World, hub_pair: KeyPair) -> None:
    tender = published(world)
    for n, kind in enumerate(("correct", "inquire")):
        _, ack = instructions.receive(world.svc, signed_instruction(hub_pair, id=f"SUP-{n}", kind=kind, tender_id=tender, issued_at=AT))
        assert ack["acknowledgement"]["outcome"] == {"status": "recorded", "tender_status": "active"}
    assert [e.data["instruction"]["kind"] for e in received(world)] == ["correct", "inquire"]


def test_suspending_a_suspended_tender_is_acknowledged_as_not_applied(world: World, hub_pair: KeyPair) -> None:
    tender = published(world)
    instructions.receive(world.svc, signed_instruction(hub_pair, id="SUP-1", kind="suspend", tender_id=tender, issued_at=AT))
    _, ack = instructions.receive(world.svc, signed_instruction(hub_pair, id="SUP-2", kind="suspend", tender_id=tender, issued_at=AT))
    outcome = ack["acknowledgement"]["outcome"]
    assert (outcome["status"], outcome["tender_status"]) == ("not_applied", "suspended") and outcome["detail"]["zh"]


def test_a_forged_signature_is_refused_and_changes_nothing(world: World, hub_pair: KeyPair) -> None:
    tender = published(world)
    body = signed_instruction(hub_pair, id="SUP-1", kind="suspend", tender_id=tender, issued_at=AT)
    body["instruction"]["reason"] = "另一个理由 / another reason"
    with pytest.raises(Forbidden) as refused:
        instructions.receive(world.svc, body)
    assert refused.value.field == "signature"
    assert received(world) == [] and get_tender(world.svc, world.operator, tender)["status"] == "active"


def test_an_instruction_signed_by_an_untrusted_key_is_refused(world: World, hub_pair: KeyPair) -> None:
    tender = published(world)
    stranger = keys.generate("intl")
    with pytest.raises(Forbidden) as refused:
        instructions.receive(world.svc, signed_instruction(stranger, id="SUP-1", kind="suspend", tender_id=tender, issued_at=AT))
    assert refused.value.field == "instruction.issuer.key_fingerprint"


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "cancel"}, "instruction.kind"), ({"id": "bad id!"}, "instruction.id"), ({"reason": " "}, "instruction.reason"),
    ({"issued_at": "tomorrow"}, "instruction.issued_at"), ({"extra": 1}, "instruction.extra"),
])
def test_a_malformed_instruction_is_refused_naming_its_field(world: World, hub_pair: KeyPair, change: dict[str, Any], field: str) -> None:
    tender = published(world)
    body = signed_instruction(hub_pair, id="SUP-1", kind="inquire", tender_id=tender, issued_at=AT)
    body["instruction"].update(change)
    body["signature"] = protocol.sign(hub_pair, body["instruction"])
    with pytest.raises(Invalid) as refused:
        instructions.receive(world.svc, body)
    assert refused.value.field == field
    assert received(world) == []


def test_an_unsigned_instruction_is_refused(world: World, hub_pair: KeyPair) -> None:
    tender = published(world)
    body = signed_instruction(hub_pair, id="SUP-1", kind="inquire", tender_id=tender, issued_at=AT)
    with pytest.raises(Invalid) as refused:
        instructions.receive(world.svc, {"instruction": body["instruction"]})
    assert refused.value.field == "signature"


def test_an_instruction_for_an_unknown_tender_is_not_found(world: World, hub_pair: KeyPair) -> None:
    with pytest.raises(NotFound):
        instructions.receive(world.svc, signed_instruction(hub_pair, id="SUP-1", kind="inquire", tender_id="no-such", issued_at=AT))


def test_the_operator_reads_an_instruction_and_its_acknowledgement_the_public_may_not(world: World, hub_pair: KeyPair) -> None:
    tender = published(world)
    body = signed_instruction(hub_pair, id="SUP-1", kind="inquire", tender_id=tender, issued_at=AT)
    _, ack = instructions.receive(world.svc, body)
    seen = instructions.get(world.svc, world.operator, "SUP-1")
    assert (seen["instruction"], seen["received"], seen["signature"]) == (body["instruction"], ack, body["signature"])
    with pytest.raises(Forbidden):
        instructions.get(world.svc, world.actors["tenderer"], "SUP-1")
    with pytest.raises(NotFound):
        instructions.get(world.svc, world.operator, "SUP-9")


def test_supervision_keys_from_settings_are_trusted_at_start(database_url: str, tmp_path: Path) -> None:
    from tenderhub.bootstrap import build
    from tenderhub.settings import Settings

    pair = keys.generate("intl")
    (tmp_path / "北京市发改委.pem").write_bytes(pair.public_pem)
    settings = Settings.load(data_dir=tmp_path, db_url=database_url)
    built = build(Settings(**{**settings.__dict__, "supervision_keys": (str(tmp_path / "北京市发改委.pem"),)}))
    try:
        assert [k.name for k in built.services.supervision_keys.values()] == ["北京市发改委"]
    finally:
        built.engine.dispose()


def test_the_same_instruction_sent_twice_at_once_is_recorded_once_and_both_get_the_same_acknowledgement(world: World, hub_pair: KeyPair) -> None:
    import threading

    tender = published(world)
    body = signed_instruction(hub_pair, id="SUP-RACE", kind="suspend", tender_id=tender, issued_at=AT)
    answers: list[tuple[bool, dict[str, Any]]] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        answers.append(instructions.receive(world.svc, body))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created for created, _ in answers) == [False, True]
    assert answers[0][1] == answers[1][1]
    assert len(received(world)) == 1 and get_tender(world.svc, world.operator, tender)["status"] == "suspended"

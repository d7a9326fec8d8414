"""Authenticating an API token in one query: the actor carries the user's role and its subject's
id, USCC, name and legal representative; a user without a subject (expert, staff) has none;
an unknown or revoked token is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from services_builders import World, a_world, uscc

from tenderhub.core.shared.errors import Forbidden
from tenderhub.core.shared.roles import PUBLIC, Role
from tenderhub.services import subjects


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    w = a_world(database_url, tmp_path / "data")
    yield w
    w.platform.engine.dispose()


def test_a_subjects_token_gives_its_user_role_and_subject(world: World) -> None:
    made = subjects.register_subject(world.svc, PUBLIC, {"uscc": uscc(21), "name": "甲建设有限公司", "kind": "bidder",
                                                         "user_id": "b21", "legal_representative": "张三"})
    actor = subjects.actor_for_token(world.svc, made["token"], ip="10.0.0.1", device="dev-1")
    assert (actor.user_id, actor.role, actor.uscc, actor.name, actor.ip, actor.device) == ("b21", Role.BIDDER, uscc(21), "甲建设有限公司", "10.0.0.1", "dev-1")
    assert actor.subject_id and actor.legal_representative == "张三"


def test_a_token_of_a_user_without_a_subject_and_an_unknown_or_revoked_one(world: World) -> None:
    made = subjects.add_expert(world.svc, world.operator, {"id": "e1", "name": "专家甲", "specialties": ["road"]})
    expert = subjects.actor_for_token(world.svc, made["token"])
    assert (expert.user_id, expert.role, expert.subject_id, expert.uscc, expert.name) == ("e1", Role.EXPERT, "", "", "专家甲")
    with pytest.raises(Forbidden):
        subjects.actor_for_token(world.svc, "not-a-token")
    with world.svc.uow(None) as uow:
        assert uow.tokens.revoke(made["token"], at=world.svc.clock.now())
        uow.commit()
    with pytest.raises(Forbidden):
        subjects.actor_for_token(world.svc, made["token"])

"""Subjects, users, tokens, experts, calendar notices and sequences."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from db_aggregates import T0, Expert, Notice, a_subject, a_user

from tenderhub.core.shared.errors import Conflict, NotFound
from tenderhub.db.repositories.tokens import hash_token
from tenderhub.db.uow import UnitOfWork

UowFactory = Callable[..., UnitOfWork]


def a_user_with_a_token(uow_factory: UowFactory) -> tuple[Any, Any, str]:
    """A subject, one of its users, and an API token issued to that user (committed)."""
    subject = a_subject()
    user = a_user(subject_id=subject.id)
    with uow_factory() as uow:
        uow.subjects.add(subject)
        uow.users.add(user)
        raw = uow.tokens.issue(user.id, label="cli", at=T0)
        uow.commit()
    return subject, user, raw


def test_a_user_of_a_subject_is_found_by_a_valid_token_only(uow_factory: UowFactory) -> None:
    subject, user, raw = a_user_with_a_token(uow_factory)
    with uow_factory() as uow:
        assert uow.tokens.user_for_token(raw) == user
        assert uow.tokens.user_for_token(raw + "x") is None
        assert [t.token_hash for t in uow.tokens.for_user(user.id)] == [hash_token(raw)]
        assert uow.tokens.revoke(raw, at=T0)
        uow.commit()
    with uow_factory() as uow:
        assert uow.tokens.user_for_token(raw) is None
        assert uow.subjects.get_by_uscc(subject.uscc) == subject
        assert uow.users.list_for_subject(subject.id) == [user]


def test_the_identity_read_without_a_session_is_the_sessions_and_sees_a_revocation_at_once(uow_factory: UowFactory) -> None:
    subject, user, raw = a_user_with_a_token(uow_factory)
    with uow_factory() as uow:
        in_session = uow.tokens.identity_for(raw)
    alone = uow_factory().identity_for_token(raw)
    assert alone is not None and tuple(alone) == tuple(in_session)
    assert (alone.id, alone.subject_id, alone.uscc) == (user.id, subject.id, subject.uscc)
    assert uow_factory().identity_for_token(raw + "x") is None
    with uow_factory() as uow:
        assert uow.tokens.revoke(raw, at=T0)
        uow.commit()
    assert uow_factory().identity_for_token(raw) is None, "revoked: refused by the next read (nothing cached)"


def test_a_token_for_an_unknown_user_is_refused(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(Conflict):
        uow.tokens.add("raw", user_id="nobody", label="x", at=T0)


def test_subjects_are_unique_by_uscc(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.subjects.add(a_subject(uscc="911111111111111111"))
        uow.commit()
    with uow_factory() as uow:
        with pytest.raises(Conflict):
            uow.subjects.add(a_subject(uscc="911111111111111111"))
        with pytest.raises(NotFound):
            uow.subjects.get_by_uscc("000000000000000000")


def test_the_expert_pool_is_listed_by_region(uow_factory: UowFactory) -> None:
    experts = [
        Expert(
            f"e{i}", f"Expert {i}", "110000" if i % 2 else "310000", ["civil"], date(1970, 1, i + 1)
        )
        for i in range(4)
    ]
    with uow_factory() as uow:
        for expert in experts:
            uow.experts.add(expert)
        uow.commit()
    with uow_factory() as uow:
        assert uow.experts.list("110000") == [experts[1], experts[3]]
        assert len(uow.experts.list()) == 4


def test_a_calendar_notice_is_replaced_per_year(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.calendar.put(2025, Notice(2025, {"spring": [date(2025, 1, 28)]}), by="u-1", at=T0)
        uow.commit()
    with uow_factory() as uow:
        uow.calendar.put(2025, Notice(2025, {"spring": [date(2025, 1, 29)]}), by="u-2", at=T0)
        uow.commit()
    with uow_factory() as uow:
        assert uow.calendar.get(2025) == Notice(2025, {"spring": [date(2025, 1, 29)]})
        assert uow.calendar.get(2024) is None and uow.calendar.years() == [2025]


def test_sequences_count_from_one_per_name(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert [uow.sequences.next("a"), uow.sequences.next("a"), uow.sequences.next("b")] == [
            1,
            2,
            1,
        ]
        uow.commit()
    with uow_factory() as uow:
        assert uow.sequences.next("a") == 3  # rolled back on leaving
    with uow_factory() as uow:
        assert uow.sequences.peek("a") == 2


def test_concurrent_sequence_calls_never_share_a_value(uow_factory: UowFactory) -> None:
    got: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(5):
            with uow_factory() as uow:
                value = uow.sequences.next("code")
                uow.commit()
            with lock:
                got.append(value)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got) == list(range(1, 21))


def test_a_blob_recorded_again_keeps_its_first_record_and_a_different_size_is_refused(uow_factory: UowFactory) -> None:
    digest = "ab" * 32
    with uow_factory() as uow:
        first = uow.blobs.record(digest, 10, kind="sealed_bid", owner="bid-1", at=T0)
        assert uow.blobs.record(digest, 10, kind="sealed_bid", owner="bid-2", at=T0) == first  # same transaction
        uow.commit()
    with uow_factory() as uow:
        assert uow.blobs.record(digest, 10, kind="bid_document", owner="bid-3", at=T0) == first
        with pytest.raises(Conflict) as wrong:
            uow.blobs.record(digest, 11, kind="sealed_bid", owner="bid-4", at=T0)
        assert wrong.value.code == "blob_size_conflict"
        assert uow.blobs.record("cd" * 32, 5, kind="sealed_bid", owner="bid-5", at=T0).owner == "bid-5"
        uow.commit()
    with uow_factory() as uow:
        assert uow.blobs.get(digest) == first and uow.blobs.count() == 2

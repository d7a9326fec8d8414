"""The unit of work: the only transaction boundary (STYLE rule 6).

    classes = AggregateClasses(tender=Tender, subject=Subject, user=User, expert=Expert)
    with UnitOfWork(session_factory, classes=classes, actor=ActorContext("u1", "agent")) as uow:
        tender = uow.tenders.get(tender_id)
        tender.publish(at=clock.now(), by="u1")
        uow.commit()

``commit()`` in one transaction: collects ``pull_events()`` from every aggregate the
repositories loaded or added, writes changed aggregates back under optimistic locking
(``Conflict`` on a stale version), appends one audit row per event to the hash chain and
one outbox row per event. Leaving the block without ``commit()`` rolls everything back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tenderhub.core.shared.clock import Clock, SystemClock
from tenderhub.core.shared.events import DomainEvent
from tenderhub.db.context import ActorContext
from tenderhub.db.errors import translated
from tenderhub.db.repositories.audit import AuditRecord, AuditRepository
from tenderhub.db.repositories.base import DocumentRepository
from tenderhub.db.repositories.blobs import BlobRepository
from tenderhub.db.repositories.calendar import CalendarRepository
from tenderhub.db.repositories.experts import ExpertRepository
from tenderhub.db.repositories.outbox import OutboxRepository
from tenderhub.db.repositories.sequences import SequenceRepository
from tenderhub.db.repositories.subjects import SubjectRepository
from tenderhub.db.repositories.tenders import TenderRepository
from tenderhub.db.repositories.tokens import TokenRepository, hash_token
from tenderhub.db.repositories.users import IDENTITY, UserRepository
from tenderhub.db.serializer import to_json_value


@dataclass(frozen=True)
class AggregateClasses:
    """The dataclass each repository rebuilds documents into (set once at the composition
    root). A repository whose class is ``None`` can still add, but refuses to load."""

    tender: type[Any] | None = None
    subject: type[Any] | None = None
    user: type[Any] | None = None
    expert: type[Any] | None = None
    calendar: type[Any] | None = None


class UnitOfWork:
    session: Session

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        classes: AggregateClasses | None = None,
        actor: ActorContext | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.classes = classes or AggregateClasses()
        self.actor = actor
        self.clock = clock or SystemClock()
        self._extra_events: list[DomainEvent] = []
        self.others: dict[str, ActorContext] = {}  # actor id -> context: events by other actors than ``actor``

    def also_for(self, other: UnitOfWork) -> None:
        """Stamp the events of ``other``'s actor (by its id) with its context, not this one's:
        one transaction recording several people's requests (``services/sealed_batch.py``)."""
        if other.actor is not None and other.actor != self.actor:
            self.others.setdefault(other.actor.actor_id, other.actor)

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        c, s, clock = self.classes, self.session, self.clock
        self.tenders: TenderRepository[Any] = TenderRepository(s, c.tender, clock=clock)
        self.subjects: SubjectRepository[Any] = SubjectRepository(s, c.subject, clock=clock)
        self.users: UserRepository[Any] = UserRepository(s, c.user, clock=clock)
        self.experts: ExpertRepository[Any] = ExpertRepository(s, c.expert, clock=clock)
        self.tokens: TokenRepository[Any] = TokenRepository(s, self.users)
        self.calendar: CalendarRepository[Any] = CalendarRepository(s, c.calendar)
        self.audit = AuditRepository(s)
        self.outbox = OutboxRepository(s)
        self.sequences = SequenceRepository(s)
        self.blobs = BlobRepository(s)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self.session.close()

    def identity_for_token(self, raw: str) -> Any:
        """``tokens.identity_for(raw)`` read on a pooled connection of its own, without entering
        this unit of work: no session to begin, roll back and close (≈ 0.2 ms of CPU less per
        authenticated request, docs/benchmarks.md ninth pass). Same query, same snapshot rules."""
        bind = getattr(self._session_factory, "kw", {}).get("bind")
        if not isinstance(bind, Engine):
            with self as uow:
                return uow.tokens.identity_for(raw)
        with bind.connect() as connection:
            return connection.execute(IDENTITY, {"token_hash": hash_token(raw)}).first()

    def record(self, event: DomainEvent) -> None:
        """An event that belongs to no tracked aggregate (written on the next commit)."""
        self._extra_events.append(event)

    def commit(self) -> list[AuditRecord]:
        """Write everything atomically; returns the audit rows appended."""
        events = self._collect_events()
        with translated():
            self._begin_writing()
            for repo in self._documents():
                repo.flush()
            records = self._append(events)
            self.session.commit()
        for repo in self._documents():
            repo.committed()
        return records

    def rollback(self) -> None:
        self.session.rollback()

    def _begin_writing(self) -> None:
        """SQLite: take the write lock before any version check. A read-only transaction
        whose snapshot went stale cannot take it (SQLITE_BUSY_SNAPSHOT); having written
        nothing, it is ended and the lock taken in a fresh one, so only a real version
        clash (checked row by row in ``flush``) is a conflict, as on PostgreSQL."""
        if self.session.get_bind().dialect.name != "sqlite":
            return
        try:
            self.audit.lock_chain()
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlite_errorname", None) != "SQLITE_BUSY_SNAPSHOT":
                raise
            self.session.rollback()
            self.audit.lock_chain()

    def _documents(self) -> list[DocumentRepository[Any]]:
        # Referenced rows first (subjects <- users), so inserts meet their foreign keys.
        return [self.subjects, self.users, self.experts, self.tenders]

    def _collect_events(self) -> list[DomainEvent]:
        events, self._extra_events = list(self._extra_events), []
        tracked = [obj for repo in self._documents() for obj in repo.tracked()]
        for obj in [*tracked, *self.calendar.tracked()]:
            pull = getattr(obj, "pull_events", None)
            if pull is not None:
                events.extend(pull())
        return events

    def _append(self, events: list[DomainEvent]) -> list[AuditRecord]:
        if not events:
            return []
        if self.session.get_bind().dialect.name != "sqlite":  # SQLite: taken by _begin_writing
            self.audit.lock_chain()
        records = self.audit.append_many(events, self.actor, self.others)  # one statement each
        self.outbox.put_many([
            {"id": record.id, "topic": event.tag, "key": event.target, "at": record.at, "payload": _payload(record, event)}
            for record, event in zip(records, events, strict=True)
        ])
        return records


def _payload(record: AuditRecord, event: DomainEvent) -> dict[str, Any]:
    return {
        "id": record.id,
        "seq": record.seq,
        "tag": event.tag,
        "target": event.target,
        "at": record.at.isoformat(),
        "by": event.by,
        "actor": record.actor,
        "reason": event.reason,
        "data": to_json_value(dict(event.data), "$.data"),
    }


def new_id() -> str:
    """A fresh 36-char id (ids are generated in Python, never by the database)."""
    return str(uuid.uuid4())

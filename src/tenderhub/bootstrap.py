"""The composition root: settings → engine, migrations, calendar, clock → ``Services``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from tenderhub.blobs import FileBlobStore, UploadArea, location, upload_location
from tenderhub.calendar.legal import LegalCalendar
from tenderhub.calendar.notices import Notice
from tenderhub.core.evaluation.experts import Expert
from tenderhub.core.procedures.model import Tender
from tenderhub.core.shared.clock import Clock, SystemClock
from tenderhub.core.shared.roles import Actor
from tenderhub.core.subjects.model import Subject, User
from tenderhub.crypto.platform_keys import PlatformIdentity, PlatformKeys
from tenderhub.db import migrate
from tenderhub.db.context import ActorContext
from tenderhub.db.engine import make_engine, make_session_factory
from tenderhub.db.uow import AggregateClasses, UnitOfWork
from tenderhub.services.context import Services, Vault
from tenderhub.services.instructions import trust, trusted_from_files
from tenderhub.settings import Settings

CLASSES = AggregateClasses(tender=Tender, subject=Subject, user=User, expert=Expert, calendar=Notice)


@dataclass
class Platform:
    settings: Settings
    engine: Engine
    services: Services


def build(settings: Settings, *, clock: Clock | None = None) -> Platform:
    """Open (and migrate) the database and wire the use cases."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    sessions = make_session_factory(engine)
    the_clock = clock or SystemClock()

    def uow_factory(actor: Actor | None) -> UnitOfWork:
        context = None if actor is None else ActorContext(actor.user_id, actor.role.value, actor.ip, actor.device)
        return UnitOfWork(sessions, classes=CLASSES, actor=context, clock=the_clock)

    calendar = LegalCalendar(load_notices(uow_factory))
    platform_keys = PlatformKeys(Path(settings.data_dir) / "keys")
    identity = PlatformIdentity(platform_keys, Path(settings.data_dir) / "trust", settings.platform_name)
    vault = Vault(FileBlobStore(location(settings.data_dir)), UploadArea(upload_location(settings.data_dir)),
                  upload_location(settings.data_dir) / "meta", platform_keys, identity)
    services = Services(uow_factory, the_clock, calendar, settings.platform_code, settings.allow_unsealed, vault)
    for key in trusted_from_files(settings.supervision_keys):  # supervision authorities (services/instructions.py)
        trust(services, key)
    return Platform(settings, engine, services)


def load_notices(uow_factory: object) -> list[Notice]:
    with uow_factory(None) as uow:  # type: ignore[operator]
        return [n for n in (uow.calendar.get(year) for year in uow.calendar.years()) if n is not None]

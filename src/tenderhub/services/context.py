"""What a use case is given: a unit-of-work factory, the clock and the legal calendar."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from tenderhub.core.shared.clock import Clock
from tenderhub.core.shared.context import Act
from tenderhub.core.shared.days import WorkdayCalendar
from tenderhub.core.shared.events import DomainEvent
from tenderhub.core.shared.roles import Actor
from tenderhub.services.credit import BlacklistPort, CreditPort, ProjectRegistry

if TYPE_CHECKING:
    from tenderhub.services.identity import HubIdentity, TrustListPort
    from tenderhub.services.subjects import SubjectDirectory


class UnitOfWork(Protocol):
    tenders: Any
    subjects: Any
    users: Any
    tokens: Any
    experts: Any
    audit: Any
    outbox: Any
    calendar: Any
    sequences: Any
    blobs: Any

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None, /) -> None: ...

    def commit(self) -> object: ...

    def record(self, event: DomainEvent) -> None: ...

    def also_for(self, other: Any) -> None: ...

    def identity_for_token(self, raw: str) -> Any: ...


_EXTRAS_LOCK = threading.Lock()


@dataclass
class Vault:
    """Where sealed bids live: the content-addressed blob store, the resumable upload area
    (with one metadata file per upload) and the platform's keys."""

    blobs: Any  # tenderhub.blobs.BlobStore
    uploads: Any  # tenderhub.blobs.UploadArea
    meta_dir: Path
    keys: Any  # tenderhub.crypto.platform_keys.PlatformKeys
    identity: Any = None  # tenderhub.crypto.platform_keys.PlatformIdentity


@dataclass
class Services:
    uow_factory: Callable[[Actor | None], UnitOfWork]
    clock: Clock
    calendar: WorkdayCalendar
    platform_code: str = "TH110000001"
    allow_unsealed: bool = False
    vault: Vault | None = None  # blobs, uploads and platform keys (sealed bids)
    blacklist: BlacklistPort | None = None  # the hub's blacklist (services/credit.py); None: no check
    # the hub's other shared services; None: not linked (docs/exchange.md, "Shared registration and identity")
    subjects: SubjectDirectory | None = None  # subject registry (services/subjects.py)
    trust: TrustListPort | None = None  # trust list, CA mutual recognition (services/identity.py)
    hub_identity: HubIdentity | None = None  # single sign-on keys (services/identity.py)
    projects: ProjectRegistry | None = None  # investment projects (services/credit.py)
    credit: CreditPort | None = None  # credit records (services/credit.py)
    supervision_keys: dict[str, Any] = field(default_factory=dict)  # fingerprint -> TrustedKey (services/instructions.py)
    extras: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # per-process helpers made on first use (``extra``)

    def uow(self, actor: Actor | None = None) -> UnitOfWork:
        return self.uow_factory(actor)

    def extra(self, name: str, make: Callable[[], Any]) -> Any:
        """This process's helper ``name`` of these services, made by ``make`` on first use
        (the group committer, the settling bids: ``sealed_batch``, ``settling``)."""
        with _EXTRAS_LOCK:
            found = self.extras.get(name)
            if found is None:
                found = self.extras[name] = make()
            return found

    def act(self, actor: Actor, reason: str = "") -> Act:
        return Act(self.clock.now(), actor.user_id, self.calendar, reason)

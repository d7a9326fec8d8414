"""The platform's side of the exchange, readable by anyone: its signing key and its signed
OCDS releases in feed order (what the outbox relay posts to the hub, ``hub/relay.py``).

The feed holds every release of every published tender (``exchange.ocds.mapping.releases_for``
with the platform code, the mapping the relay uses), each signed with the platform's signing
key over its canonical JSON (``hub/protocol.py``), ordered by release date, then ocid, then
the tender's own stage order. A release is dated at its stage, so a new one comes after every
release already there; ``position`` counts from 1 and ``cursor`` is the last position read.
The feed is computed from the tenders at each request (cost grows with the platform's size):
it is the conformance kit's window on the platform (docs/conformance.md), not the hub's feed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tenderhub.core.shared.errors import Invalid, NotFound
from tenderhub.crypto import keys
from tenderhub.exchange.ocds.mapping import MappingOptions, releases_for
from tenderhub.hub import protocol
from tenderhub.services.context import Services
from tenderhub.services.sealed import vault_of

PAGE = 100
MAX_PAGE = 1000
TENDERS_PAGE = 500


def key_info(svc: Services) -> dict[str, str]:
    public = vault_of(svc).keys.pair("signing", "intl").public_pem
    return {"platform_id": svc.platform_code, "suite": "intl", "public_pem": public.decode(), "fingerprint": keys.fingerprint(public)}


def all_releases(svc: Services) -> list[dict[str, Any]]:
    """Every release of the platform, in feed order."""
    options, keyed = MappingOptions(platform_code=svc.platform_code), []
    with svc.uow(None) as uow:
        offset = 0
        while page := uow.tenders.list(limit=TENDERS_PAGE, offset=offset):
            for tender in page:
                keyed += [(utc(r["date"]), r["ocid"], i, r) for i, r in enumerate(releases_for(tender, options))]
            offset += len(page)
    return [item[-1] for item in sorted(keyed, key=lambda item: item[:3])]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def signed(svc: Services, release: dict[str, Any]) -> dict[str, Any]:
    return protocol.envelope(svc.platform_code, vault_of(svc).keys.pair("signing", "intl"), release)


def feed(svc: Services, cursor: int, limit: int) -> dict[str, Any]:
    """Signed releases after position ``cursor``, at most ``limit`` (1–1000)."""
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit must be between 1 and {MAX_PAGE}", message_zh=f"limit 须在 1 到 {MAX_PAGE} 之间", field="limit")
    if cursor < 0:
        raise Invalid("cursor must not be negative", message_zh="cursor 不能为负数", field="cursor")
    window = all_releases(svc)[cursor:cursor + limit]
    items = [{"position": cursor + n + 1, **signed(svc, r)} for n, r in enumerate(window)]
    return {"items": items, "next_cursor": cursor + len(items)}


def release(svc: Services, release_id: str) -> dict[str, Any]:
    """One release: its id is ``{ocid}-{stage}-{key}`` and the ocid is the prefix + the tender code."""
    options = MappingOptions(platform_code=svc.platform_code)
    code = release_id.removeprefix(options.ocid_prefix).split("-", 1)[0]
    with svc.uow(None) as uow:
        try:
            tender = uow.tenders.get_by_code(code) if release_id.startswith(options.ocid_prefix) and code else None
        except NotFound:
            tender = None
        found = [r for r in releases_for(tender, options) if r["id"] == release_id] if tender is not None else []
    if not found:
        raise NotFound(f"no release {release_id[:200]!r}", message_zh="没有该发布", field="release_id")
    return signed(svc, found[0])

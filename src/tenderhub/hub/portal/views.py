"""JSON views of portal announcements (times in Beijing time, amounts as strings)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tenderhub.core.shared.clock import beijing
from tenderhub.hub.search import TYPE_NAMES, Announcement


def announcement_url(uid: str) -> str:
    return "/portal/announcements/" + quote(uid, safe="")


def announcement_view(a: Announcement) -> dict[str, Any]:
    return {"id": a.uid, "type": a.type.value, "type_name": TYPE_NAMES[a.type], "title": a.title, "body": a.body,
            "ocid": a.ocid, "platform": a.platform, "region": a.region, "industry": a.industry, "method": a.method,
            "published_at": beijing(a.published_at).isoformat(), "value": None if a.value is None else str(a.value),
            "url": announcement_url(a.uid)}

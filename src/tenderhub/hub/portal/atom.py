"""Atom 1.0 (RFC 4287) feed of a subscription's saved search: the newest ``ENTRIES``
announcements, newest first. Feed and entry ids are stable URNs (UUID v5 of the subscription
id / announcement uid), so a reader recognises an entry it has seen."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from tenderhub.core.shared.clock import beijing
from tenderhub.hub.portal.views import announcement_url
from tenderhub.hub.search import TYPE_NAMES, Announcement

ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 50
NAMESPACE = uuid.UUID("6f1c2a4e-5b7d-4c39-9a51-7c2f0e8d1b34")  # tenderhub portal


def urn(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, name)}"


def stamp(at: datetime) -> str:
    return beijing(at).isoformat()


def _child(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = xml_safe(text)
    return element


def xml_safe(text: str) -> str:
    """XML 1.0 forbids most control characters (and lone surrogates): drop them."""
    return "".join(c for c in text if c in "\t\n\r" or ("\x20" <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
                   or c >= "\U00010000")


def feed(subscription: Any, items: list[Announcement], base_url: str, self_url: str) -> bytes:
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "zh-CN"})
    _child(root, "id", urn(f"subscription:{subscription.id}"))
    _child(root, "title", f"公共服务平台订阅 {subscription.query or ''}".strip())
    _child(root, "updated", stamp(max((a.published_at for a in items), default=subscription.created_at)))
    author = _child(root, "author")
    _child(author, "name", "tenderhub 公共服务平台")
    _child(root, "link", rel="self", href=self_url)
    _child(root, "generator", "tenderhub")
    for a in items:
        entry(root, a, base_url)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def entry(root: ET.Element, a: Announcement, base_url: str) -> None:
    item = _child(root, "entry")
    _child(item, "id", urn(f"announcement:{a.uid}"))
    _child(item, "title", a.title)
    _child(item, "updated", stamp(a.published_at))
    _child(item, "published", stamp(a.published_at))
    _child(item, "link", rel="alternate", type="application/json", href=base_url.rstrip("/") + announcement_url(a.uid))
    _child(item, "category", term=a.type.value, label=TYPE_NAMES[a.type])
    _child(item, "summary", a.body, type="text")

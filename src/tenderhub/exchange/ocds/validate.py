"""Validation against the shipped schemas with jsonschema-rs (draft 4).

A release is validated against the OCDS 1.1.5 release schema patched with the bids and lots
v1.1.5 extensions and the tenderhub extension. Packages are validated against the official
package schemas, whose absolute ``https://standard.open-contracting.org/schema/1__1__5/…``
references resolve to the local files (the release schema URL to the patched schema), so
nothing is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema_rs

from tenderhub.exchange.ocds.extension import (
    RELEASE_SCHEMA_URL,
    VERSIONED_SCHEMA_URL,
    load,
    package_schema,
    release_schema,
)


@dataclass(frozen=True)
class Problem:
    """One defect: a JSON pointer into the document (``""`` for the root) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.message}"


def pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def resources() -> list[tuple[str, Any]]:
    """The schemas by their absolute URLs (for a registry of any validator)."""
    return [(RELEASE_SCHEMA_URL, release_schema()), (VERSIONED_SCHEMA_URL, load("versioned-release-validation-schema.json"))]


@cache
def _validator(kind: str) -> Any:
    schema = release_schema() if kind == "release" else package_schema(kind.removesuffix("-package"))
    registry = jsonschema_rs.Registry(resources())
    return jsonschema_rs.Draft4Validator(schema, registry=registry, validate_formats=True)


def problems(kind: str, doc: Any) -> list[Problem]:
    found = [Problem(pointer(e.instance_path), e.message) for e in _validator(kind).iter_errors(doc)]
    return sorted(set(found), key=lambda p: (p.path, p.message))


def validate_release(doc: Any) -> list[Problem]:
    """Every schema violation of one release (empty when valid)."""
    return problems("release", doc)


def validate_release_package(doc: Any) -> list[Problem]:
    return problems("release-package", doc)


def validate_record_package(doc: Any) -> list[Problem]:
    return problems("record-package", doc)


def validate_package(doc: Any) -> list[Problem]:
    """A release package or a record package, told apart by ``records``."""
    if isinstance(doc, dict) and "records" in doc:
        return validate_record_package(doc)
    return validate_release_package(doc)

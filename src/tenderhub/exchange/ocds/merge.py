"""Compiled and versioned releases by the OCDS 1.1 merge routine (standard, "Merging").

* Releases are taken in order of ``date`` (stable for equal dates).
* Objects merge field by field; ``null`` removes the field (compiled) or is recorded as a
  version (versioned); empty objects and empty identifier-merged arrays change nothing.
* Arrays of objects merge by ``id``; an array is replaced as a whole when the schema says
  ``wholeListMerge``, when its items are not objects, or when the schema's item objects have no
  ``id`` (and, in the data, when any item is not an object).
* Fields with ``omitWhenMerged`` (``id``, ``date``, ``tag`` of the release) are dropped; the
  compiled release gets ``tag: ["compiled"]``, ``id: "{ocid}-{date}"`` and the latest date.
* In the versioned release each literal becomes a list of ``{releaseID, releaseDate,
  releaseTag, value}``, a new entry only when the value changes; ``ocid`` and the ``id`` of
  array items are kept as they are.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from tenderhub.exchange.ocds.extension import release_schema

Path = tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    omit: frozenset[Path]
    whole: frozenset[Path]


@cache
def schema_rules() -> Rules:
    """The merge rules of the shipped release schema (core + bids + lots + tenderhub)."""
    return rules_from(release_schema())


def rules_from(schema: dict[str, Any]) -> Rules:
    omit: set[Path] = set()
    whole: set[Path] = set()
    _walk(schema, schema.get("properties", {}), (), omit, whole, 0)
    return Rules(frozenset(omit), frozenset(whole))


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        return _resolve(schema, schema["definitions"][ref.rsplit("/", 1)[1]])
    return node


def _walk(schema: dict[str, Any], properties: dict[str, Any], path: Path, omit: set[Path], whole: set[Path], depth: int) -> None:
    if depth > 12:  # no recursive definitions in OCDS; a guard all the same
        return
    for name, raw in properties.items():
        node, here = _resolve(schema, raw), (*path, name)
        if node.get("omitWhenMerged") or raw.get("omitWhenMerged"):
            omit.add(here)
        types = node.get("type", [])
        types = [types] if isinstance(types, str) else types
        if "array" in types:
            items = _resolve(schema, node.get("items", {}))
            if _whole_list(node, raw, items):
                whole.add(here)
            _walk(schema, items.get("properties", {}), here, omit, whole, depth + 1)
        elif "properties" in node:
            _walk(schema, node["properties"], here, omit, whole, depth + 1)


def _whole_list(node: dict[str, Any], raw: dict[str, Any], items: dict[str, Any]) -> bool:
    if node.get("wholeListMerge") or raw.get("wholeListMerge"):
        return True
    item_types = items.get("type")
    item_types = [item_types] if isinstance(item_types, str) else (item_types or [])
    if item_types and any(t != "object" for t in item_types):
        return True
    return "object" in item_types and "properties" in items and "id" not in items["properties"]


def sorted_releases(releases: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(releases, key=lambda r: r["date"])


def is_literal(value: list[Any], path: Path, rules: Rules) -> bool:
    return path in rules.whole or any(not isinstance(item, dict) for item in value)


# ---- compiled release ------------------------------------------------------------------------


def compile_release(releases: Iterable[dict[str, Any]], rules: Rules | None = None) -> dict[str, Any]:
    """The compiled release: the latest value of every field."""
    ordered, the_rules = sorted_releases(releases), rules or schema_rules()
    body: dict[str, Any] = {}
    for one in ordered:
        _compile_object(body, one, (), the_rules)
    last = ordered[-1]
    return {"tag": ["compiled"], "id": f"{last['ocid']}-{last['date']}", "date": last["date"], **body}


def _compile_object(out: dict[str, Any], given: dict[str, Any], path: Path, rules: Rules) -> None:
    for name, value in given.items():
        here = (*path, name)
        if here in rules.omit:
            continue
        if value is None:
            out.pop(name, None)
        elif isinstance(value, dict):
            _compile_into(out, name, value, here, rules)
        elif isinstance(value, list) and not is_literal(value, here, rules):
            _compile_list(out, name, value, here, rules)
        else:
            out[name] = copy.deepcopy(value)


def _compile_into(out: dict[str, Any], name: str, value: dict[str, Any], path: Path, rules: Rules) -> None:
    if not value:
        return
    target = out.get(name)
    existed = isinstance(target, dict)
    target = target if isinstance(target, dict) else {}
    _compile_object(target, value, path, rules)
    if target or existed:  # an object emptied by nulls stays, as an empty object
        out[name] = target


def _compile_list(out: dict[str, Any], name: str, value: list[dict[str, Any]], path: Path, rules: Rules) -> None:
    if not value:
        return
    current = out.get(name)
    items: list[dict[str, Any]] = current if isinstance(current, list) and all(isinstance(i, dict) for i in current) else []
    for item in value:
        match = _by_id(items, item)
        if match is None:
            match = {}
            items.append(match)
        _compile_object(match, item, path, rules)
    out[name] = [i for i in items if i]


def _by_id(items: list[dict[str, Any]], item: dict[str, Any]) -> dict[str, Any] | None:
    if "id" not in item:
        return None  # without an identifier an object is always new
    return next((i for i in items if "id" in i and str(i["id"]) == str(item["id"])), None)


# ---- versioned release -----------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    id: str
    date: str
    tag: Any

    def version(self, value: Any) -> dict[str, Any]:
        return {"releaseID": self.id, "releaseDate": self.date, "releaseTag": self.tag, "value": copy.deepcopy(value)}


def versioned_release(releases: Iterable[dict[str, Any]], rules: Rules | None = None) -> dict[str, Any]:
    """The versioned release: every field with the history of its values."""
    ordered, the_rules = sorted_releases(releases), rules or schema_rules()
    out: dict[str, Any] = {"ocid": ordered[-1]["ocid"]}
    for one in ordered:
        origin = Origin(one.get("id", ""), one["date"], one.get("tag"))
        _version_object(out, {k: v for k, v in one.items() if k != "ocid"}, (), the_rules, origin, False)
    return out


def _version_object(out: dict[str, Any], given: dict[str, Any], path: Path, rules: Rules, origin: Origin, in_list: bool) -> None:
    for name, value in given.items():
        here = (*path, name)
        if here in rules.omit:
            continue
        if in_list and name == "id":
            out["id"] = value
        elif isinstance(value, dict):
            _version_into(out, name, value, here, rules, origin)
        elif isinstance(value, list) and not is_literal(value, here, rules):
            _version_list(out, name, value, here, rules, origin)
        else:
            _version_literal(out, name, value, origin)


def _version_literal(out: dict[str, Any], name: str, value: Any, origin: Origin) -> None:
    history = out.get(name)
    if not (isinstance(history, list) and all(isinstance(v, dict) and "releaseID" in v for v in history)):
        history = out[name] = []
    if not history or history[-1]["value"] != value:
        history.append(origin.version(value))


def _version_into(out: dict[str, Any], name: str, value: dict[str, Any], path: Path, rules: Rules, origin: Origin) -> None:
    if not value:
        return
    target = out.get(name)
    target = target if isinstance(target, dict) else {}
    _version_object(target, value, path, rules, origin, False)
    if target:
        out[name] = target


def _version_list(out: dict[str, Any], name: str, value: list[dict[str, Any]], path: Path, rules: Rules, origin: Origin) -> None:
    if not value:
        return
    current = out.get(name)
    items: list[dict[str, Any]] = current if isinstance(current, list) and all(isinstance(i, dict) and "releaseID" not in i for i in current) else []
    for item in value:
        match = _by_id(items, item)
        if match is None:
            match = {}
            items.append(match)
        _version_object(match, item, path, rules, origin, True)
    out[name] = items

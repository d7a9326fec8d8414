"""The exchange protocol's messages as JSON Schemas (draft 7), served and put in the OpenAPI document.

The schemas ship in ``hub/schemas/{name}.json``, each with an ``$id`` ``urn:tenderhub:hub:{name}:1``;
they reference one another by that ``$id`` and the OCDS release by its official URL (the hub
validates a release against that schema patched with the bids, lots and tenderhub extensions,
``hub/validation.py``). They describe the wire format; the parsing code (``ingest``, ``batch``,
``registry``, ``tree``, ``monitor``, ``transparency``) stays the authority that accepts or refuses a message
and words the error. (Not ``hub/schema.py``, which creates the hub's database tables.)

``install(app)`` adds ``GET /hub/schemas`` (the list) and ``GET /hub/schemas/{name}``, sets the
request body and answer of the protocol's routes in the OpenAPI document (``openapi_extra``,
``$ref`` to ``#/components/schemas/…``) and adds every schema to its components. It changes
nothing that a route accepts or returns. Call it after every route is added.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from tenderhub.core.shared.errors import NotFound

SCHEMAS_PATH = "/hub/schemas"
MEDIA_TYPE = "application/schema+json"


@dataclass(frozen=True)
class Use:
    """Where a message travels: the body of a request, or the answer with ``statuses``."""

    method: str
    path: str
    statuses: tuple[str, ...] = ()  # empty: the request body

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, **({"statuses": list(self.statuses)} if self.statuses else {"request": True})}


USES: dict[str, tuple[Use, ...]] = {
    "release-envelope": (Use("POST", "/hub/releases"),),
    "release-receipt": (Use("POST", "/hub/releases", ("201", "200")),),
    "batch-request": (Use("POST", "/hub/releases:batch"),),
    "batch-response": (Use("POST", "/hub/releases:batch", ("200",)), Use("POST", "/hub/releases:forward", ("200",))),
    "platform-registration": (Use("POST", "/hub/platforms"),),
    "forwarded-registration": (Use("POST", "/hub/platforms:forward"),),
    "forwarded-tree-head": (Use("POST", "/hub/tree-heads:forward"),),
    "forwarded-releases": (Use("POST", "/hub/releases:forward"),),
    "forwarded-heads": (Use("POST", "/hub/chain-heads:forward"),),
    "lower-hub": (Use("POST", "/hub/tree-heads:forward", ("201", "200")), Use("GET", "/hub/lower-hubs/{hub_id}", ("200",))),
    "chain-head": (Use("POST", "/hub/chain-heads"),),
    "chain-head-receipt": (Use("POST", "/hub/chain-heads", ("201", "200")),),
    "signed-tree-head": (Use("GET", "/hub/log/sth", ("200",)),),
    "inclusion-proof": (Use("GET", "/hub/log/inclusion", ("200",)),),
    "consistency-proof": (Use("GET", "/hub/log/consistency", ("200",)),),
    "feed-page": (Use("GET", "/hub/feed", ("200",)),),
}
NAMES = tuple(USES)


@cache
def _load(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(files("tenderhub.hub").joinpath("schemas", f"{name}.json").read_text("utf-8"))
    return schema


def schema(name: str) -> dict[str, Any]:
    """The schema named ``name`` (with or without ``.json``); ``NotFound`` for another name."""
    name = name.removesuffix(".json")
    if name not in USES:
        raise NotFound(f"no message schema {name}; known: {', '.join(NAMES)}", message_zh=f"没有报文模式 {name}", field="name")
    return json.loads(json.dumps(_load(name)))  # a copy: callers may change it


def schemas() -> dict[str, dict[str, Any]]:
    """Every schema by name."""
    return {name: schema(name) for name in NAMES}


def component(name: str) -> str:
    """The OpenAPI component name: ``release-envelope`` → ``ReleaseEnvelope``."""
    return "".join(part.capitalize() for part in name.split("-"))


def listing() -> dict[str, Any]:
    found = [{"name": name, "$id": _load(name)["$id"], "title": _load(name)["title"], "url": f"{SCHEMAS_PATH}/{name}",
              "component": f"#/components/schemas/{component(name)}", "used_by": [u.as_dict() for u in USES[name]]}
             for name in NAMES]
    return {"schemas": found}


def list_schemas() -> dict[str, Any]:
    """报文模式列表 / The JSON Schemas of the exchange protocol's messages and where each is used."""
    return listing()


def get_schema(name: str) -> JSONResponse:
    """报文模式 / One message schema (JSON Schema draft 7)."""
    return JSONResponse(schema(name), media_type=MEDIA_TYPE)


def operations() -> dict[tuple[str, str], dict[str, Any]]:
    """``openapi_extra`` by (method, path): the request body and answers that have a schema."""
    extra: dict[tuple[str, str], dict[str, Any]] = {}
    for name, uses in USES.items():
        content = {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component(name)}"}}}}
        for use in uses:
            op = extra.setdefault((use.method, use.path), {})
            if not use.statuses:
                op["requestBody"] = {"required": True, **content}
            for status in use.statuses:
                op.setdefault("responses", {})[status] = {"description": _load(name)["title"], **content}
    return extra


def install(app: FastAPI) -> None:
    app.add_api_route(SCHEMAS_PATH, list_schemas, methods=["GET"], tags=["hub"])
    app.add_api_route(SCHEMAS_PATH + "/{name}", get_schema, methods=["GET"], tags=["hub"],
                      responses={200: {"content": {MEDIA_TYPE: {"schema": {"type": "object"}}}}})
    extra = operations()
    for route in app.routes:
        if isinstance(route, APIRoute):
            for method in route.methods or ():
                if (method, route.path) in extra:
                    route.openapi_extra = {**(route.openapi_extra or {}), **extra[(method, route.path)]}
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            found = document.setdefault("components", {}).setdefault("schemas", {})
            found.update({component(name): body for name, body in schemas().items()})
            _pin(document, extra)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]


def _pin(document: dict[str, Any], extra: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Our ``$ref`` alone as each schema (``openapi_extra`` merges it with FastAPI's generic
    ``{"title": "Body"}`` or ``{"type": "object", "additionalProperties": true}``)."""
    for (method, path), op in extra.items():
        found = document["paths"][path][method.lower()]
        if "requestBody" in op:
            found["requestBody"]["content"]["application/json"]["schema"] = dict(op["requestBody"]["content"]["application/json"]["schema"])
        for status, answer in op.get("responses", {}).items():
            found["responses"][status]["content"]["application/json"]["schema"] = dict(answer["content"]["application/json"]["schema"])


__all__ = ["NAMES", "SCHEMAS_PATH", "USES", "component", "install", "listing", "schema", "schemas"]

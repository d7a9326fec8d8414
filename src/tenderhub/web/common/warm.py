"""Before a server process takes its first request: FastAPI's route table built, start-up
objects out of the garbage collector's way (``serve``; docs/benchmarks.md, tenth pass).

FastAPI builds the effective route of every included router lazily, on the first request that
walks past it (a pydantic ``TypeAdapter`` per parameter and response model): ≈ 0.1 s of CPU,
paid by whichever request comes first — with ``serve --workers N``, once in every worker,
during a deadline surge if the worker's first request is a bid. ``warm_up`` sends one request
for a path no route matches through the app (a 404: no endpoint runs, nothing is written), so
every router is walked and built before the server listens.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import Any

WARM_PATH = "/.warm-up"  # matches no route: every router is walked, no endpoint runs


def ready(app: Any) -> Any:
    """``app`` warmed up and the start-up heap frozen (``gc.freeze``: the modules, routes and
    models made at start are never scanned again by a collection); returns ``app``."""
    warm_up(app)
    gc.collect()
    gc.freeze()
    return app


def warm_up(app: Any) -> int:
    """One request for ``WARM_PATH`` through ``app``, on an event loop of its own in a helper
    thread (the caller may be inside a running loop: uvicorn's app factory is); its status."""
    status: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            status.append(asyncio.run(_get(app, WARM_PATH)))
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    thread = threading.Thread(target=run, name="warm-up")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return status[0]


async def _get(app: Any, path: str) -> int:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": [(b"host", b"localhost")],
             "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 0)}
    await app(scope, receive, send)
    return int(sent[0]["status"])

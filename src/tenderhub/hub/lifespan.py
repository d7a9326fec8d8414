"""A hub's background thread (the forwarder up the hub tree, the CRL fetcher) tied to the app's
lifespan: it starts when the app starts serving and stops when the app shuts down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI


class Background(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


def tie(app: FastAPI, worker: Background) -> None:
    """Wrap the app's lifespan: ``worker`` starts with the app and stops with it."""
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(inner: Any) -> AsyncIterator[Any]:
        worker.start()
        try:
            async with previous(inner) as state:
                yield state
        finally:
            worker.stop()

    app.router.lifespan_context = lifespan

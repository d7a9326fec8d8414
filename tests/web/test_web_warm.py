"""``web/common/warm.py``: a server process builds its route table before its first request."""

from __future__ import annotations

import asyncio
import gc

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from tenderhub.web.common.warm import WARM_PATH, ready, warm_up


def counting_app() -> tuple[FastAPI, list[str]]:
    calls: list[str] = []
    router = APIRouter()

    @router.post("/api/things/{thing}")
    def post_thing(thing: str) -> dict[str, str]:
        calls.append(thing)
        return {"thing": thing}

    @router.get("/{anything:path}")
    def catch_all(anything: str) -> dict[str, str]:  # a route that would take the warm-up path if it were a GET of it
        calls.append(anything)
        return {}

    app = FastAPI()
    app.include_router(router, prefix="/v1")
    return app, calls


def test_the_warm_up_walks_every_router_and_runs_no_endpoint() -> None:
    app, calls = counting_app()
    assert warm_up(app) == 404 and calls == []
    assert not WARM_PATH.startswith("/v1")
    with TestClient(app) as client:
        assert client.post("/v1/api/things/a").json() == {"thing": "a"} and calls == ["a"]


def test_the_warm_up_runs_from_inside_a_running_event_loop_as_uvicorns_app_factory_does() -> None:
    app, _ = counting_app()

    async def factory() -> int:
        return warm_up(app)

    assert asyncio.run(factory()) == 404


def test_ready_warms_and_freezes_the_start_up_heap() -> None:
    app, calls = counting_app()
    try:
        assert ready(app) is app and gc.get_freeze_count() > 0 and calls == []
    finally:
        gc.unfreeze()

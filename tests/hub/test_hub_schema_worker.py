"""The schema check of a large batch in a worker process (``schemaworker.py``, ADR 0028): the
worker only passes releases; what it does not pass is refused in the calling thread with every
JSON path, a rule violation included, and nothing of a refused release is stored."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from fastapi.testclient import TestClient
from hub_support import PLATFORM, Platform, release
from test_hub_experts_rule import with_experts

from tenderhub.hub import protocol, schemaworker


def test_the_worker_passes_valid_canonical_releases_only() -> None:
    texts = [protocol.canonical(release(1)), protocol.canonical(release(2) | {"tag": ["notATag"]}),
             protocol.canonical(with_experts(3)), b"{not json", protocol.canonical({"ocid": "x"})]
    assert schemaworker.passes(texts) == [True, False, False, False, False]
    checks = schemaworker.Checks(schemaworker.WORKER_MIN)
    for n, text in enumerate(texts):
        checks.send(n, text)
    assert checks.passed() == ({0} if schemaworker._executor() is not None else set())  # one core: no worker


def test_a_large_batch_refuses_what_the_schema_or_a_rule_refuses_with_its_path_and_stores_the_rest(client: TestClient) -> None:
    platform = Platform(client)
    docs = [release(n) for n in range(schemaworker.WORKER_MIN + 20)]
    docs[3] = docs[3] | {"tag": ["notATag"]}
    docs[70] = with_experts(70)
    docs[80] = docs[80] | {"date": 5}
    answer = client.post("/hub/releases:batch", json={"releases": [protocol.envelope(PLATFORM, platform.pair, d) for d in docs]})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    refused = {r["index"]: (r["error"]["code"], r["error"]["field"]) for r in results if r["status"] == "refused"}
    assert refused == {3: ("invalid_release", "/releases/3/release/tag/0"),
                       70: ("experts_before_result", "/releases/70/release/tenderhub/evaluationExperts/0"),
                       80: ("invalid_release", "/releases/80/release/date")}
    assert sum(r["status"] == "created" for r in results) == len(docs) - 3
    assert client.get("/hub/log/sth").json()["size"] == len(docs) - 3
    for n in (3, 70, 80):
        assert client.get(f"/hub/releases/{docs[n]['id']}").status_code == 404


def test_without_a_working_worker_the_calling_thread_checks_every_release() -> None:
    checks = schemaworker.Checks(schemaworker.WORKER_MIN)
    dead = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    dead.shutdown()
    checks._pool = dead  # a real pool that no longer takes work (a worker gone, a shut-down hub)
    for n in range(schemaworker.CHUNK + 1):
        checks.send(n, protocol.canonical(release(n)))
    assert checks.passed() == set()

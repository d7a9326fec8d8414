"""The issue's "done when": a hub and two trading platforms as three separate processes on
PostgreSQL (``tenderhub serve --role hub|trading --db postgresql+psycopg://…``), each on its own
fresh schema. A small procurement runs on each platform over HTTP; the relays deliver every
release to the hub, which then holds both platforms' releases and each platform's current
audit-chain head in its transparency log. Needs PostgreSQL (``TENDERHUB_TEST_PG_URL``, as
``make test`` gives it); skipped without it unless ``TENDERHUB_REQUIRE_PG=1``."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from conformance.conformance_support import (
    Deployment,
    beijing_today,
    certify_cli,
    hub_ids,
    logged_heads,
    released_ids,
    small_procurement,
    tender_body,
    until,
    weekday_after,
)
from db_support import PG_DEFAULT, fresh_pg_schema
from tenderhub.conformance.instruction import signed_instruction
from tenderhub.crypto.platform_keys import PlatformKeys

LISTED = "91110105MA00000038"
PLATFORMS = {"TH110000001": "北京交易平台 A", "TH110000002": "北京交易平台 B"}
pytestmark = pytest.mark.pg


def pg_base() -> str:
    base = os.environ.get("TENDERHUB_TEST_PG_URL", PG_DEFAULT)
    engine = sa.create_engine(base, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return base
    except sa.exc.OperationalError as exc:
        if os.environ.get("TENDERHUB_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL unreachable at {base}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {base}")
    finally:
        engine.dispose()


@pytest.fixture
def schemas() -> Iterator[dict[str, str]]:
    """Three fresh schemas: the hub's and one per platform."""
    base = pg_base()
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(contextlib.contextmanager(fresh_pg_schema)(base)) for name in ("hub", *PLATFORMS)}
        yield urls


@pytest.fixture
def deployment(tmp_path: Path, schemas: dict[str, str]) -> Iterator[Deployment]:
    made = Deployment(tmp_path)
    try:
        made.hub(schemas["hub"])
        yield made
    finally:
        made.stop()


def audit_head(url: str) -> tuple[int, str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")).one()
    finally:
        engine.dispose()
    return int(row.seq), str(row.hash)


def test_a_hub_and_two_platforms_in_separate_processes_on_postgresql_exchange_everything(
        deployment: Deployment, schemas: dict[str, str], tmp_path: Path) -> None:
    urls = {code: deployment.platform(code, name, schemas[code]) for code, name in PLATFORMS.items()}
    tenders = {}
    for code, url in urls.items():
        with httpx.Client(base_url=url, timeout=60) as client:
            tenders[code] = small_procurement(client, beijing_today(), title=f"{PLATFORMS[code]} 道路工程")
    ask_with_the_hub_key(urls["TH110000001"], tenders["TH110000001"]["id"], tmp_path)
    refuse_a_bidder_the_hub_blacklisted(deployment, urls["TH110000002"], tenders["TH110000002"], tmp_path)
    refuse_a_project_the_hub_does_not_know(urls["TH110000001"], tenders["TH110000001"]["headers"])
    for code, url in urls.items():
        assert until(lambda url=url, code=code: bool(released_ids(url)) and released_ids(url) <= hub_ids(deployment.hub_url, code)), code
        assert until(lambda code=code: audit_head(schemas[code]) in logged_heads(deployment.hub_url, code)), code
    listed = {p["id"]: p["exchange"]["releases"] for p in httpx.get(f"{deployment.hub_url}/hub/platforms").json()}
    assert listed == {code: len(released_ids(url)) for code, url in urls.items()}
    for code, url in urls.items():
        ocid = next(i["release"]["ocid"] for i in httpx.get(f"{url}/api/exchange/releases").json()["items"])
        record = httpx.get(f"{deployment.hub_url}/hub/records/{ocid}").json()
        assert ocid.endswith(tenders[code]["code"]) and record["compiledRelease"]["tender"]["title"].startswith(PLATFORMS[code])
    done = certify_cli(urls["TH110000002"], tmp_path / "hub" / "hub-keys", tmp_path / "report.json", deployment.hub_url)
    assert done.returncode == 0, done.stdout
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["passed"]


def ask_with_the_hub_key(url: str, tender_id: str, root: Path) -> None:
    """The platform trusts the key of the hub it joined: an instruction signed with it is acknowledged."""
    pair = PlatformKeys(root / "hub" / "hub-keys").pair("signing", "intl")
    body = signed_instruction(pair, id="HUB-INQ-1", kind="inquire", tender_id=tender_id, issued_at="2026-11-28T09:00:00+08:00")
    answer = httpx.post(f"{url}/api/instructions", json=body, timeout=30)
    assert answer.status_code == 201, answer.text
    assert answer.json()["acknowledgement"]["outcome"]["status"] == "recorded"


def refuse_a_project_the_hub_does_not_know(url: str, who: dict[str, str]) -> None:
    """A platform joined with ``--hub`` checks investment project codes against the hub's
    registry over HTTP (the shared services are linked, not only the blacklist)."""
    body = {**tender_body(f"{weekday_after(beijing_today(), 45).isoformat()}T09:30", "未立项工程"),
            "investment_project_code": "2026-110105-48-01-000999"}
    refused = httpx.post(f"{url}/api/tenders", json=body, headers=who, timeout=30)
    assert refused.status_code == 422 and refused.json()["code"] == "UNKNOWN_INVESTMENT_PROJECT", refused.text


def refuse_a_bidder_the_hub_blacklisted(deployment: Deployment, url: str, tender: dict[str, Any], root: Path) -> None:
    """The platform checks the hub's blacklist over HTTP (joint punishment, 招标投标法 第53、54条)."""
    token = (root / "hub" / "hub-admin.token").read_text(encoding="utf-8").strip()
    listing = {"uscc": LISTED, "name": "失信建设有限公司", "reason": "弄虚作假骗取中标，情节严重", "basis": {"law": "招标投标法", "article": 54},
               "start": f"{beijing_today().isoformat()}T00:00", "end": None, "authority": "北京市发展和改革委员会"}
    made = httpx.post(f"{deployment.hub_url}/hub/blacklist", json=listing, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert made.status_code == 201, made.text
    answers = []
    for uscc in (LISTED, "91110105MA0000004B"):
        bidder = httpx.post(f"{url}/api/subjects", json={"kind": "bidder", "name": f"{uscc} 建设有限公司", "uscc": uscc,
                                                         "legal_representative": "张伟"}, timeout=30)
        assert bidder.status_code == 201, bidder.text
        answers.append(httpx.post(f"{url}/api/tenders/{tender['id']}/registrations", json={"lot": tender["lot"]}, timeout=30,
                                  headers={"Authorization": f"Bearer {bidder.json()['token']}"}))
    assert answers[0].status_code == 422 and answers[0].json()["code"] == "BLACKLISTED_BIDDER", answers[0].text
    assert answers[1].status_code == 201, answers[1].text

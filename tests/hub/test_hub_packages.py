"""The hub's OCDS publication endpoints (on SQLite and PostgreSQL): every package validates
against the shipped OCDS 1.1.5 schemas with zero problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from portal_support import Portal, amended, full

from tenderhub.exchange.ocds.validate import validate_package, validate_release

ID_NUMBER = "11010519491231002X"


@pytest.fixture
def portal(portal: Portal, workdir: Path) -> Portal:
    """The portal after scenarios 01 and 09."""
    portal.ingest(full(workdir) + amended(workdir))
    return portal


def ocid_of(portal: Portal) -> str:
    ocid: str = portal.client.get("/hub/feed", params={"limit": 1}).json()["items"][0]["release"]["ocid"]
    return ocid


def test_the_release_package_of_a_procedure_is_valid_and_complete(portal: Portal) -> None:
    ocid = ocid_of(portal)
    package = portal.client.get(f"/hub/packages/releases/{ocid}").json()
    assert validate_package(package) == []
    assert [r["id"].removeprefix(ocid + "-") for r in package["releases"]] == [
        "tender-1", "opening-1-1", "candidates-1-1", "award-1-1", "contract-1", "implementation-1-1", "implementation-1-2"]
    assert package["version"] == "1.1" and package["publisher"]["name"] and package["uri"].endswith(ocid)


def test_the_record_package_is_valid_with_compiled_and_versioned_releases(portal: Portal) -> None:
    ocid = ocid_of(portal)
    package = portal.client.get(f"/hub/packages/records/{ocid}").json()
    assert validate_package(package) == []
    (record,) = package["records"]
    assert record["ocid"] == ocid and record["compiledRelease"]["tag"] == ["compiled"] and len(record["releases"]) == 7
    assert record["versionedRelease"]["ocid"] == ocid


def test_a_bulk_package_covers_a_feed_range_and_points_to_the_next(portal: Portal) -> None:
    feed = [item["release"]["id"] for item in portal.client.get("/hub/feed", params={"limit": 1000}).json()["items"]]
    seen, cursor = [], "0"
    while True:
        answer = portal.client.get("/hub/packages/releases", params={"cursor": cursor, "limit": 4})
        if answer.status_code == 204:  # nothing after the cursor: an OCDS package needs a release
            assert answer.headers["X-Next-Cursor"] == cursor
            break
        package = answer.json()
        assert validate_package(package) == []
        seen += [r["id"] for r in package["releases"]]
        cursor = answer.headers["X-Next-Cursor"]
        assert f"cursor={cursor}" in answer.headers["Link"]
    assert seen == feed and len(feed) == 13


def test_releases_jsonl_is_one_valid_release_per_line_in_feed_order(portal: Portal) -> None:
    answer = portal.client.get("/hub/releases.jsonl", params={"limit": 5})
    lines = answer.text.splitlines()
    releases = [json.loads(line) for line in lines]
    assert len(releases) == 5 and answer.headers["X-Next-Cursor"] == "5"
    assert all(validate_release(r) == [] for r in releases)
    feed = portal.client.get("/hub/feed", params={"limit": 5}).json()["items"]
    assert [r["id"] for r in releases] == [i["release"]["id"] for i in feed]


def test_packages_serve_the_public_view(tmp_path: Path, database_url: str, workdir: Path) -> None:
    portal = Portal(tmp_path, database_url)
    try:
        releases = full(workdir)[:2]
        releases[1]["tenderhub"]["bidderLists"][0]["bidders"][0]["identifier"]["id"] = ID_NUMBER
        portal.ingest(releases)
        package = portal.client.get(f"/hub/packages/releases/{releases[0]['ocid']}").json()
        assert validate_package(package) == [] and ID_NUMBER not in json.dumps(package)
        assert "110***********002X" in json.dumps(package)
    finally:
        portal.close()


def test_unknown_procedures_and_bad_ranges_are_refused(portal: Portal) -> None:
    assert portal.client.get("/hub/packages/records/ocds-none-1").json()["field"] == "ocid"
    assert portal.client.get("/hub/packages/releases/ocds-none-1").status_code == 404
    assert portal.client.get("/hub/packages/releases", params={"cursor": "x"}).json()["field"] == "cursor"
    assert portal.client.get("/hub/releases.jsonl", params={"limit": 0}).json()["field"] == "limit"

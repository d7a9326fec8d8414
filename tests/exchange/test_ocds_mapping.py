"""Scenario runs mapped to OCDS releases: valid, staged, and without personal data."""

from __future__ import annotations

import json
import re
from typing import Any

from tenderhub.exchange.ocds.mapping import MappingOptions, releases_for
from tenderhub.exchange.ocds.validate import validate_release

Releases = dict[str, list[dict[str, Any]]]


def every(scenario_releases: Releases) -> list[dict[str, Any]]:
    return [r for rs in scenario_releases.values() for r in rs]


def test_every_scenario_produces_releases(scenario_releases: Releases) -> None:
    assert all(scenario_releases.values()), {k: len(v) for k, v in scenario_releases.items()}


def test_every_release_is_valid_with_jsonschema_rs(scenario_releases: Releases) -> None:
    problems = {r["id"]: validate_release(r) for r in every(scenario_releases)}
    assert {k: v for k, v in problems.items() if v} == {}


def test_every_release_is_valid_with_the_reference_validator(scenario_releases: Releases, reference_validator: Any) -> None:
    problems = {r["id"]: [e.message for e in reference_validator.iter_errors(r)] for r in every(scenario_releases)}
    assert {k: v for k, v in problems.items() if v} == {}


def test_release_ids_are_unique_and_carry_the_ocid(scenario_releases: Releases) -> None:
    for releases in scenario_releases.values():  # each scenario runs on a fresh platform
        assert len({r["id"] for r in releases}) == len(releases)
    assert all(r["id"].startswith(r["ocid"] + "-") and r["ocid"].startswith("ocds-thxxxx-") for r in every(scenario_releases))


def test_release_ids_are_stable_between_two_mappings(scenario_tenders: dict[str, list[Any]]) -> None:
    tender = scenario_tenders["05"][0]
    assert [r["id"] for r in releases_for(tender)] == [r["id"] for r in releases_for(tender)]


def test_dates_are_iso_with_the_beijing_offset(scenario_releases: Releases) -> None:
    dates = re.findall(r'"(?:date|startDate|endDate|dateSigned|dateMet|datePublished)": "([^"]+)"', json.dumps(every(scenario_releases)))
    assert dates and all(d.endswith("+08:00") for d in dates)


def test_releases_come_in_date_order_starting_with_the_tender_notice(scenario_releases: Releases) -> None:
    for releases in scenario_releases.values():
        assert releases[0]["tag"] == ["tender"]
        assert [r["date"] for r in releases] == sorted(r["date"] for r in releases)


def test_bids_appear_only_from_the_opening_record_on(scenario_releases: Releases) -> None:
    firsts = [first for rs in scenario_releases.values() if (first := next((r for r in rs if "bids" in r), None))]
    assert firsts and all(r["tag"] == ["tenderUpdate"] and "openingRecords" in r["tenderhub"] for r in firsts)


def test_bids_relate_to_lots_and_awards_to_bids(scenario_releases: Releases) -> None:
    releases = scenario_releases["01"]
    bids = [b for r in releases for b in r.get("bids", {}).get("details", []) if "tenderers" in b]
    lots = {lot["id"] for r in releases for lot in r.get("tender", {}).get("lots", [])}
    assert bids and all(set(b["relatedLots"]) <= lots for b in bids)
    awards = [a for r in releases for a in r.get("awards", []) if a.get("status") == "active"]
    assert awards and all(a["relatedBid"] in {b["id"] for b in bids} for a in awards)


def test_parties_are_identified_by_the_unified_social_credit_code(scenario_releases: Releases) -> None:
    parties = [p for r in every(scenario_releases) for p in r["parties"]]
    assert parties and all(p["identifier"]["scheme"] == "CN-USCC" and p["id"] == f"CN-USCC-{p['identifier']['id']}" for p in parties)
    roles = {role for p in parties for role in p["roles"]}
    assert {"buyer", "procuringEntity", "tenderer", "supplier"} <= roles


def test_values_are_numbers_in_cny(scenario_releases: Releases) -> None:
    values = [r["tender"]["value"] for r in every(scenario_releases) if "value" in r.get("tender", {})]
    assert values and all(v["currency"] == "CNY" and isinstance(v["amount"], int | float) for v in values)


def test_experts_are_named_only_with_the_award_notice(scenario_releases: Releases) -> None:
    naming = [r for r in every(scenario_releases) if "evaluationExperts" in r.get("tenderhub", {})]
    assert naming and all(r["tag"] == ["award"] and any(a["status"] == "active" for a in r["awards"]) for r in naming)


def test_no_release_carries_id_numbers_phones_or_emails(scenario_releases: Releases) -> None:
    text = json.dumps(every(scenario_releases), ensure_ascii=False)
    assert not re.search(r"\b\d{17}[\dXx]\b", text)  # 居民身份证号码
    assert not re.search(r"\b1[3-9]\d{9}\b", text)  # mobile numbers
    assert "@" not in text and "id_number" not in text and "phone" not in text


def test_sealed_bids_publish_their_package_digest_as_the_fingerprint(scenario_releases: Releases) -> None:
    prints = [f for r in scenario_releases["27"] for f in r.get("tenderhub", {}).get("bidFingerprints", [])]
    assert prints and all(f.get("packageDigest") for f in prints)


def test_a_failed_round_is_published_as_an_unsuccessful_lot(scenario_releases: Releases) -> None:
    failures = [r for r in scenario_releases["05"] if "-failure-" in r["id"]]
    assert failures and all(r["tender"]["lots"][0]["status"] == "unsuccessful" for r in failures)


def test_a_clarification_is_a_tender_amendment(scenario_releases: Releases) -> None:
    amendments = [r for r in scenario_releases["09"] if r["tag"] == ["tenderAmendment"]]
    assert amendments and all(r["tender"]["amendments"][0]["releaseID"] == r["id"] for r in amendments)


def test_the_ocid_prefix_is_configurable(scenario_tenders: dict[str, list[Any]]) -> None:
    tender = scenario_tenders["01"][0]
    assert releases_for(tender, MappingOptions(ocid_prefix="ocds-abc123-"))[0]["ocid"] == f"ocds-abc123-{tender.code}"

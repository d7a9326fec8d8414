"""``POST /api/tenders/{id}/sealed-bids``: a sealed bid in one request (summary in the
``X-Sealed-Begin`` header, the package as the body)."""

from __future__ import annotations

import base64
import json
from typing import Any

from test_web_sealed import Package, a_registered_bidders_package, begin, finish_with, platform  # noqa: F401  (the sealing platform)
from web_builders import Api, Tender

from tenderhub.web.trading.routes.sealed import MAX_CHUNK


def begin_header(tender: Tender, package: Package, **overrides: Any) -> str:
    body = {"lot": tender.lot, "sha256": package.sha256, "summary": package.summary, **overrides}
    return base64.b64encode(json.dumps(body).encode()).decode()


def sent_whole(api: Api, tender: Tender, package: Package, *, header: str | None = None, body: bytes | None = None) -> Any:
    headers = {**api.headers(package.who), "Content-Type": "application/octet-stream",
               "X-Sealed-Begin": header if header is not None else begin_header(tender, package)}
    content = package.path.read_bytes() if body is None else body
    return api.client.post(f"/api/tenders/{tender.id}/sealed-bids", content=content, headers=headers)


def test_one_request_gives_a_verifiable_receipt_and_a_retry_or_a_resumable_begin_the_same_upload(parties: Api, tmp_path: Any) -> None:
    tender, package = a_registered_bidders_package(parties, tmp_path)
    done = sent_whole(parties, tender, package)
    assert done.status_code == 201, done.text
    assert done.json()["receipt"]["ciphertext_sha256"] == package.sha256
    assert parties.post("/api/receipts/verify", done.json()).json()["valid"] is True
    again = sent_whole(parties, tender, package)
    assert again.status_code == 200 and again.json()["receipt"] == done.json()["receipt"]
    upload_id = begin(parties, tender, package).json()["upload_id"]
    assert upload_id == done.json()["receipt"]["receipt_id"]
    finished = finish_with(parties, upload_id, 0, package.path.read_bytes(), "bidder_a")
    assert finished.status_code in (200, 201) and finished.json()["receipt"] == done.json()["receipt"]  # a fresh begin: 201 (route's rule)


def test_late_forged_malformed_or_too_large_requests_are_refused_and_store_nothing(parties: Api, tmp_path: Any) -> None:
    tender, package = a_registered_bidders_package(parties, tmp_path, at="2026-12-21T09:00")
    forged = sent_whole(parties, tender, package, header=begin_header(tender, package, summary={**package.summary, "ciphertext_digest": "0" * 64}))
    assert (forged.status_code, forged.json()["code"], forged.json()["article"]) == (422, "SEALED_SIGNATURE_INVALID", 27)
    malformed = sent_whole(parties, tender, package, header="not base64!")
    assert malformed.status_code == 422 and "X-Sealed-Begin" in malformed.text
    missing = sent_whole(parties, tender, package, header=base64.b64encode(b'{"lot": "x"}').decode())
    assert missing.status_code == 422 and "sha256" in missing.text
    too_large = sent_whole(parties, tender, package, body=b"\0" * (MAX_CHUNK + 1))
    assert (too_large.status_code, too_large.json()["code"]) == (413, "chunk_too_large")
    assert sent_whole(parties, tender, Package("bidder_b", package.key, package.path)).status_code in (403, 422)
    parties.at("2026-12-21T09:30")
    late = sent_whole(parties, tender, package)
    assert (late.status_code, late.json()["code"], late.json()["article"]) == (422, "SEALED_UPLOAD_BEFORE_DEADLINE", 26)
    vault = parties.platform.services.vault
    assert vault is not None and list(vault.blobs.iter_digests()) == []


def test_an_unknown_token_is_refused_in_the_bids_own_hop_and_stores_nothing(parties: Api, tmp_path: Any) -> None:
    tender, package = a_registered_bidders_package(parties, tmp_path)
    headers = {"Authorization": "Bearer not-a-token", "Content-Type": "application/octet-stream", "X-Sealed-Begin": begin_header(tender, package)}
    refused = parties.client.post(f"/api/tenders/{tender.id}/sealed-bids", content=package.path.read_bytes(), headers=headers)
    assert refused.status_code == 401, refused.text
    unparsed = parties.client.post(f"/api/tenders/{tender.id}/sealed-bids", content=b"x", headers={**headers, "X-Sealed-Begin": "not base64!"})
    assert unparsed.status_code == 401  # authenticated before the header is read, as before
    vault = parties.platform.services.vault
    assert vault is not None and list(vault.blobs.iter_digests()) == []


def test_the_openapi_describes_the_one_request_route(api: Api) -> None:
    operation = api.get("/openapi.json").json()["paths"]["/api/tenders/{tender_id}/sealed-bids"]["post"]
    assert "application/octet-stream" in operation["requestBody"]["content"]
    assert any(param["name"] == "X-Sealed-Begin" and param["in"] == "header" and param["required"] for param in operation["parameters"])
    assert {"200", "201", "413"} <= set(operation["responses"])

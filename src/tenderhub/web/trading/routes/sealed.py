"""Sealed bids (加密投标): resumable upload with a signed receipt, online decryption, the opening record.

The platform stores ciphertext only (电子招标投标办法 第25–27条). A bidder begins an upload with
the signed summary its tool wrote (``PACKAGE.json``), sends the sealed file in chunks (raw
``application/octet-stream``, resumable at ``received``), and finishes it to get the platform's
signed receipt (回执); a package that fits one request goes whole with its summary
(``POST /api/tenders/{T}/sealed-bids``, ADR 0018). At the opening the bidder releases its content key to the platform's
opening key (``GET /api/platform/keys``); the platform decrypts and reads the price form (第30–31条).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field, ValidationError

from tenderhub.core.shared.errors import Invalid, NotFound
from tenderhub.core.shared.roles import Actor
from tenderhub.services import sealed, sealed_whole
from tenderhub.services.context import Services
from tenderhub.web.common.auth import actor_of_request, current_actor, lean_actor, services
from tenderhub.web.common.bodies import In, Out, as_data
from tenderhub.web.common.problems import ACTION, PROBLEM_TYPE, Problem, described, problem
from tenderhub.web.trading.routes.bids import LotRef
from tenderhub.web.trading.views import TenderView

router = APIRouter(tags=["sealed 加密投标"])
VIEW: dict[str, Any] = {"response_model_exclude_unset": True, "responses": ACTION}
MAX_CHUNK = 8 * 1024 * 1024
"""The largest chunk one ``PUT`` may carry (bytes); larger bodies are answered 413."""
TOO_LARGE: dict[int | str, dict[str, Any]] = {413: {"model": Problem, "description": f"The chunk is larger than {MAX_CHUNK} bytes",
                   "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
RAW_BODY = {"requestBody": {"required": True, "description": "The chunk: the sealed file's bytes from `offset` on",
                            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}

LAST_BODY = {"requestBody": {"required": False, "description": "Optional, with `offset`: the last chunk (the sealed file's bytes from `offset` to its end)",
                             "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


class SuiteKeys(Out):
    opening: str = Field(description="The opening public key (PEM): bidders release their content keys to it")
    signing: str = Field(description="The signing public key (PEM): receipts and records are signed with it")


class SummaryIn(In):
    """``PACKAGE.json`` as ``tenderhub bidder seal`` wrote it (further fields are kept)."""

    model_config = ConfigDict(extra="allow")

    suite: str = Field(examples=["intl"])
    ciphertext_digest: str = Field(description="Suite digest (hex) of the whole sealed file")
    size: int | str = Field(description="Size of the sealed file in bytes", examples=[1048576])
    manifest_digest: str
    bidder_public_key: str = Field(description="The bidder's public key (PEM)")
    signature: str = Field(description="Bidder signature (base64) over the ASCII hex of ciphertext_digest")


class BeginIn(LotRef):
    sha256: str = Field(description="SHA-256 (hex) of the sealed file: the platform checks every byte against it")
    summary: SummaryIn


class UploadState(Out):
    upload_id: str
    received: int = Field(description="Bytes durably received: resume at this offset")
    total: int
    complete: bool


class ReceiptBody(Out):
    receipt_id: str
    tender: str
    lot: str
    bid: str
    bidder: str
    bidder_name: str
    suite: str
    ciphertext_sha256: str
    ciphertext_digest: str
    size: int
    received_at: str = Field(examples=["2026-12-18T10:00:00.000+08:00"])
    version: int


class SignedReceipt(Out):
    """回执: what the platform received and when, signed with its signing key."""

    receipt: ReceiptBody
    platform_key: str = Field(description="Fingerprint (hex SHA-256 of the SPKI DER) of the platform signing key")
    signature: str = Field(description="Base64 signature over the canonical JSON of `receipt`")


class ReceiptIn(In):
    receipt: dict[str, Any] = Field(description="The `receipt` object exactly as the platform signed it")
    platform_key: str | None = None
    signature: str


class ReceiptCheck(Out):
    valid: bool
    receipt_id: str | None = None


class DecryptIn(LotRef):
    release: str = Field(description="The key-release blob of `tenderhub bidder decrypt`, base64")





class Decrypted(Out):
    lot: str
    bid: str
    status: str
    decryption: str | None
    failure: str
    tender: TenderView


class FailureIn(LotRef):
    bid: str = Field(description="Bid id, or the bidder's name or USCC")
    detail: str = Field(description="What failed (recorded)")
    by_bidder: bool | None = Field(default=None, description="true: the bidder's fault (revoked); false: withdrawn (第31条)")


class OpeningSignatureIn(LotRef):
    signature: str | None = Field(default=None, description="The bidder's signature over the record (optional)")


@router.get("/api/platform/keys", response_model=dict[str, SuiteKeys], responses=described(409),
            summary="平台公钥 / The platform's public keys per suite")
def platform_keys(svc: Services = Depends(services)) -> dict[str, Any]:
    return sealed.platform_keys(svc)


# The upload routes are the hot path of a deadline surge (docs/benchmarks.md): each runs its
# authentication and its use case in one worker thread (``lean_actor``/``actor_of_request``)
# and answers a ``JSONResponse`` of what the use case returned (``response_model`` documents it).
# ``PUT`` and ``finish`` authenticate before reading the body (two hops); the one-request bid
# reads its body (at most ``MAX_CHUNK``) first and then authenticates, checks its header and
# records it in one hop (ADR 0032: a hop costs a thread switch each way under the surge).


@router.post("/api/tenders/{tender_id}/sealed-uploads", response_model=UploadState, summary="开始或续传加密投标文件 / Begin (or resume) a sealed upload", **VIEW)
async def begin(tender_id: str, body: BeginIn, request: Request, device: str = Depends(lean_actor)) -> Any:
    data = as_data(body)

    def authenticated_begin() -> dict[str, Any]:
        return sealed.begin_upload(request.app.state.services, actor_of_request(request, device), tender_id, data)

    return JSONResponse(await run_in_threadpool(authenticated_begin))


@router.put("/api/sealed-uploads/{upload_id}", response_model=UploadState, openapi_extra=RAW_BODY,
            responses={**ACTION, **TOO_LARGE}, summary="上传一个分块 / Upload one chunk at `offset`")
async def put_chunk(upload_id: str, request: Request, offset: int = Query(ge=0, description="Where the chunk starts: the `received` of the state"),
                    device: str = Depends(lean_actor)) -> Any:
    actor = await run_in_threadpool(actor_of_request, request, device)  # before reading the body
    data = await chunk_of(request)
    if data is None:
        return too_large(request)
    return JSONResponse(await run_in_threadpool(sealed.put_chunk, request.app.state.services, actor, upload_id, offset, data))


async def chunk_of(request: Request) -> bytes | None:
    """The body, or None once it exceeds ``MAX_CHUNK`` (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_CHUNK:
        return None
    parts, size = [], 0
    async for part in request.stream():
        parts.append(part)
        size += len(part)
        if size > MAX_CHUNK:
            return None
    return b"".join(parts)  # one copy of the body


def too_large(request: Request) -> JSONResponse:
    mib = MAX_CHUNK // (1024 * 1024)
    return problem(413, "invalid", (f"一个分块最多 {mib} MiB，请分成更小的分块上传", f"a chunk holds at most {mib} MiB; send smaller chunks"),
                   instance=request.url.path, field="body", code="chunk_too_large")


WHOLE_BODY = {"requestBody": {"required": True, "description": "The whole sealed file (at most 8 MiB; larger ones: the resumable upload)",
                              "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}
BEGIN_HEADER = "X-Sealed-Begin"


@router.post("/api/tenders/{tender_id}/sealed-bids", status_code=201, response_model=SignedReceipt, openapi_extra=WHOLE_BODY,
             responses={200: {"model": SignedReceipt, "description": "Received before: the same receipt"}, **ACTION, **TOO_LARGE},
             summary="一次提交加密投标文件，取得回执 / A sealed bid in one request: the signed receipt (idempotent)")
async def submit_whole(tender_id: str, request: Request, device: str = Depends(lean_actor),
                       begin: str = Header(alias=BEGIN_HEADER, description="Base64 of the JSON `begin` takes (`lot`, `sha256`, `summary`: the BeginIn schema)")) -> Any:
    body = await chunk_of(request)
    if body is None:
        return too_large(request)

    def authenticated_submit() -> tuple[bool, dict[str, Any]]:  # one thread-pool hop per bid (tenth pass)
        actor = actor_of_request(request, device)
        return sealed_whole.submit_whole(request.app.state.services, actor, tender_id, begin_of_header(begin), body)

    again, signed = await run_in_threadpool(authenticated_submit)
    return JSONResponse(signed, status_code=200 if again else 201)


def begin_of_header(value: str) -> dict[str, Any]:
    """The header's base64 JSON, checked as the ``begin`` body is (the same 422 problem)."""
    try:
        return as_data(BeginIn.model_validate_json(base64.b64decode(value.strip(), validate=True)))
    except (ValueError, binascii.Error) as error:
        errors = error.errors() if isinstance(error, ValidationError) else [{"type": "value_error", "msg": f"not base64 of a JSON object: {error}", "input": value[:80]}]
        raise RequestValidationError([{**e, "loc": ("header", BEGIN_HEADER, *e.get("loc", ()))} for e in errors]) from None


@router.get("/api/sealed-uploads/{upload_id}", response_model=UploadState, summary="上传进度（续传用）/ Upload state, to resume", **VIEW)
def upload_state(upload_id: str, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return sealed.upload_state(svc, actor, upload_id)


@router.post("/api/sealed-uploads/{upload_id}/finish", status_code=201, response_model=SignedReceipt,
             responses={200: {"model": SignedReceipt, "description": "Finished before: the same receipt"}, **ACTION, **TOO_LARGE},
             openapi_extra=LAST_BODY, summary="完成上传，取得回执 / Finish the upload (optionally with its last chunk): the signed receipt (idempotent)")
async def finish(upload_id: str, request: Request,
                 offset: int | None = Query(None, ge=0, description="With a body: the last chunk, written at this offset first (one request for a package that fits a chunk)"),
                 device: str = Depends(lean_actor)) -> Any:
    actor = await run_in_threadpool(actor_of_request, request, device)  # before reading the body
    last = None
    if offset is not None:
        data = await chunk_of(request)
        if data is None:
            return too_large(request)
        last = (offset, data)
    again, signed = await run_in_threadpool(finish_upload, request.app.state.services, actor, upload_id, last)
    return JSONResponse(signed, status_code=200 if again else 201)


def finish_upload(svc: Services, actor: Actor, upload_id: str, last: tuple[int, bytes] | None) -> tuple[bool, dict[str, Any]]:
    """Whether the upload was finished before (answered 200, else 201), and the receipt."""
    again = finished_before(svc, actor, upload_id)
    return again, sealed.finish_upload(svc, actor, upload_id, last)


def finished_before(svc: Services, actor: Actor, upload_id: str) -> bool:
    """A finished upload keeps its metadata but no longer has bytes in the upload area."""
    try:
        sealed.upload_state(svc, actor, upload_id)
    except NotFound as error:
        if error.code == "upload_not_found":
            return True
        raise
    return False


@router.post("/api/receipts/verify", response_model=ReceiptCheck, responses=described(400, 422),
             summary="验证回执 / Verify a receipt's platform signature")
def verify_receipt(body: ReceiptIn, svc: Services = Depends(services)) -> dict[str, Any]:
    signed = body.model_dump(mode="json")
    try:
        valid = sealed.verify_receipt(svc, signed)
    except KeyError as error:
        raise Invalid(f"the receipt has no {error.args[0]}", message_zh=f"回执缺少 {error.args[0]}", field=f"receipt.{error.args[0]}") from None
    except (TypeError, ValueError, binascii.Error):
        valid = False
    return {"valid": valid, "receipt_id": str(body.receipt.get("receipt_id", "")) or None}


@router.post("/api/tenders/{tender_id}/decryptions", response_model=Decrypted, summary="投标人解密 / Release the key: decrypt a sealed bid", **VIEW)
def decrypt(tender_id: str, body: DecryptIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return sealed.decrypt(svc, actor, tender_id, as_data(body))


@router.post("/api/tenders/{tender_id}/decryption-failures", response_model=TenderView, summary="记录解密失败 / Record a failed decryption (第31条)", **VIEW)
def fail_decrypt(tender_id: str, body: FailureIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return sealed.fail_decrypt(svc, actor, tender_id, as_data(body))


@router.post("/api/tenders/{tender_id}/decryption/close", response_model=TenderView, summary="结束解密，生成开标记录 / Close decryption: the opening record", **VIEW)
def close(tender_id: str, body: LotRef, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return sealed.close_decryption(svc, actor, tender_id, as_data(body))


@router.post("/api/tenders/{tender_id}/opening-record/signatures", response_model=TenderView, summary="投标人确认开标记录 / A bidder signs the opening record", **VIEW)
def sign_opening_record(tender_id: str, body: OpeningSignatureIn, actor: Actor = Depends(current_actor), svc: Services = Depends(services)) -> dict[str, Any]:
    return sealed.sign_opening_record(svc, actor, tender_id, as_data(body))

"""Certificate sign-in and the platform's signed documents (电子签名法 第13条)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field

from tenderhub.services import documents, identity
from tenderhub.services.context import Services
from tenderhub.web.common.auth import services
from tenderhub.web.common.bodies import In, Out, as_data
from tenderhub.web.common.problems import described

router = APIRouter(tags=["identity 身份与签名"])
Kind = Literal["notice", "tender_documents", "clarifications", "opening_record", "evaluation_report",
               "candidate_publicity", "award_notice", "contract"]


class ChallengeOut(Out):
    challenge: str
    expires_in_s: int


class CertificateLoginIn(In):
    certificate: str = Field(description="PEM of the signer's certificate, from a CA on the trust list")
    challenge: str = Field(description="The challenge from POST /api/auth/challenge")
    signature: str = Field(description="Base64 signature of the challenge text with the certificate's key")
    chain: list[str] | str | None = Field(None, description="The intermediate CA certificates between the certificate "
                                          "and a CA on the trust list: a list of PEMs or one PEM bundle")


class SessionOut(Out):
    token: str
    user_id: str
    role: str
    subject: str
    certificate: str


class NonceOut(Out):
    nonce: str
    audience: str = Field(description="This platform's code: the assertion's aud")
    expires_in_s: int


class SsoIn(In):
    assertion: str = Field(description="The compact JWS from POST /hub/sso/assertion (audience = this platform, nonce from /api/identity/sso/nonce)")


class SsoSessionOut(SessionOut):
    certificate: str = ""
    roles: list[str]
    name: str


class SignedDocumentOut(Out):
    content: dict[str, Any]
    content_b64: str
    signature: dict[str, Any]


@router.post("/api/auth/challenge", response_model=ChallengeOut, responses=described(409),
             summary="签名登录挑战码 / A sign-in challenge")
def challenge(svc: Services = Depends(services)) -> dict[str, Any]:
    return identity.challenge(svc)


@router.post("/api/auth/certificate", response_model=SessionOut, responses=described(400, 401, 403, 409, 422),
             summary="数字证书登录 / Sign in with a certificate")
def certificate_login(body: CertificateLoginIn, request: Request, svc: Services = Depends(services)) -> dict[str, Any]:
    ip = request.client.host if request.client else ""
    return identity.certificate_login(svc, as_data(body), ip=ip, device=request.headers.get("X-Device-Fingerprint", ""))


@router.post("/api/identity/sso/nonce", response_model=NonceOut, responses=described(409),
             summary="统一身份认证随机数 / A nonce for a single sign-on assertion")
def sso_nonce(svc: Services = Depends(services)) -> dict[str, Any]:
    return identity.sso_nonce(svc)


@router.post("/api/identity/sso", response_model=SsoSessionOut, responses=described(400, 403, 409, 422),
             summary="统一身份认证登录 / Sign in with the hub's signed assertion (single sign-on)")
def sso_login(body: SsoIn, request: Request, svc: Services = Depends(services)) -> dict[str, Any]:
    ip = request.client.host if request.client else ""
    return identity.sso_login(svc, as_data(body), ip=ip, device=request.headers.get("X-Device-Fingerprint", ""))


@router.get("/api/tenders/{tender_id}/documents/{kind}", response_model=SignedDocumentOut, responses=described(404, 409, 422),
            summary="已签名的公开文件 / A signed public document")
def signed_document(tender_id: str, kind: Kind, lot: str | None = None, svc: Services = Depends(services)) -> dict[str, Any]:
    return documents.signed_document(svc, tender_id, kind, lot)


@router.get("/api/platform/trust-anchor", response_class=Response, responses={200: {"content": {"application/x-pem-file": {}}}},
            summary="验证平台签名的根证书 / The CA certificate that verifies the platform's signatures")
def trust_anchor(svc: Services = Depends(services)) -> Response:
    return Response(documents.trust_anchor(svc), media_type="application/x-pem-file")

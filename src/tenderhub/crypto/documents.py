"""Detached signatures on the data messages of 电子招标投标办法 第40条 (notices, tender documents,
clarifications, bids, opening records, evaluation reports, candidate/result/award notices,
contracts), meeting 电子签名法 第13条: a change to content or signature is detectable.

The signature covers the canonical JSON (sorted keys, no spaces, UTF-8) of the signed
attributes ``{format, kind, digest_alg, digest, signed_at, signer_cert_sha256}``, so the kind
and the claimed signing time are protected too (like CMS signed attributes). ``signed_at``
is the signer's claim, not a trusted timestamp: it is informational and may not be later than
the trusted time (+ ``SKEW``). The certificate path is checked at a trusted time (ADR 0019):
* ``at`` given by the caller: the platform's receipt (server clock) of a signature it is sent;
* a ``receipt`` in the signature: the platform's seal (kind ``signature_receipt``) over the
  signature and the time the platform received it, that time; the sealing certificate must be a
  ``platform`` certificate, itself checked at that time;
* a signature by a ``platform`` certificate (the platform's own seal): its ``signed_at``, the
  time the trusted party attests;
* otherwise the verification time ``now``.
A later revocation on the path passes and is reported (``signer.revoked_later``). ``signer_chain`` (optional, a list of PEMs)
carries the intermediate CA certificates between the signer's certificate and a trusted root,
outside the signed attributes like CMS ``certificates``: they are public, and the path is checked.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tenderhub.core.shared.clock import as_utc
from tenderhub.crypto import certs, keys, signing
from tenderhub.crypto.errors import CryptoError, SignatureError
from tenderhub.crypto.suites import check_suite
from tenderhub.crypto.x509 import CertInfo, TrustList, cert_info

FORMAT = "tenderhub-detached-signature/1"
FIELDS = ("format", "kind", "digest_alg", "digest", "signed_at", "signer_cert", "signature")
RECEIPT_KIND = "signature_receipt"
SKEW = timedelta(minutes=5)  # how much later than the trusted time a signer's clock may claim


@dataclass(frozen=True)
class VerifiedDocument:
    kind: str
    signed_at: datetime
    digest_alg: str
    digest: str
    signer: CertInfo
    trusted: bool
    checked_at: datetime | None = None  # the trusted time the certificate path was checked at
    time_source: str = "not checked"  # where that time comes from


def signed_bytes(sig: dict[str, Any]) -> bytes:
    info = cert_info(sig["signer_cert"].encode())
    attrs = {k: sig[k] for k in ("format", "kind", "digest_alg", "digest", "signed_at")}
    attrs["signer_cert_sha256"] = info.fingerprint
    return json.dumps(attrs, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_document(suite: str, cert_pem: bytes, private_pem: bytes, content: bytes, *,
                  kind: str, signed_at: datetime, chain: list[bytes] | None = None) -> dict[str, Any]:
    """A JSON-able detached signature of ``content`` by the holder of ``cert_pem``. ``cert_pem``
    may hold the intermediate CAs after the holder's certificate (``ca issue`` writes it so);
    they go to ``signer_chain`` with those of ``chain``."""
    info = cert_info(cert_pem)
    if keys.public_of(check_suite(suite), private_pem) != info.public_pem:
        raise CryptoError("the private key does not belong to the certificate", field="key")
    holder, *bundled = certs.load_all(cert_pem, field="certificate")
    sig: dict[str, Any] = {
        "format": FORMAT, "kind": kind, "digest_alg": signing.DIGEST_ALG[suite],
        "digest": signing.digest(suite, content), "signed_at": as_utc(signed_at).isoformat(),
        "signer_cert": certs.pem(holder).decode("ascii") if bundled else cert_pem.decode("ascii"),
    }
    intermediates = [*bundled, *(c for pem in chain or [] for c in certs.load_all(pem))]
    if intermediates:
        sig["signer_chain"] = [certs.pem(c).decode("ascii") for c in intermediates]
    sig["signature"] = base64.b64encode(signing.sign(suite, private_pem, signed_bytes(sig))).decode()
    return sig


def _refuse(reason: str, field: str, zh: str | None = None) -> SignatureError:
    return SignatureError(reason, field=field, message_zh=zh)


def _parse(sig: dict[str, Any]) -> tuple[str, datetime, bytes]:
    if not isinstance(sig, dict) or sig.get("format") != FORMAT \
            or any(not isinstance(sig.get(k), str) for k in FIELDS):
        raise _refuse("not a tenderhub detached signature", "signature")
    suite = {v: k for k, v in signing.DIGEST_ALG.items()}.get(sig["digest_alg"])
    try:
        at = datetime.fromisoformat(sig["signed_at"])
        raw = base64.b64decode(sig["signature"], validate=True)
    except (ValueError, TypeError, binascii.Error):
        raise _refuse("malformed signed_at or signature", "signature") from None
    if suite is None or at.tzinfo is None:
        raise _refuse("unknown digest algorithm or naive signed_at", "signature")
    chain = sig.get("signer_chain", [])
    if not isinstance(chain, list) or any(not isinstance(c, str) for c in chain):
        raise _refuse("signer_chain: a list of PEM certificates is expected", "signer_chain")
    return suite, at, raw


def verify_document(sig: dict[str, Any], content: bytes, trust: TrustList | None, *, now: datetime,
                    at: datetime | None = None) -> VerifiedDocument:
    """Who signed what when; ``SignatureError``/``CertificateError`` with the reason otherwise.
    ``now``: the verification time, at which every CRL on the path must be current; ``at``: the
    trusted time to check the certificate at (the platform's receipt time), else as the module says."""
    suite, claimed, raw = _parse(sig)
    if signing.digest(suite, content) != sig["digest"]:
        raise _refuse("the content has changed since it was signed", "content", "文件内容已被修改")
    info = cert_info(sig["signer_cert"].encode())
    if keys.suite_of(info.public_pem) != suite:
        raise _refuse("the digest algorithm does not match the signer's key", "signature")
    if not signing.verify(suite, info.public_pem, signed_bytes(sig), raw):
        raise _refuse("the signature does not verify", "signature", "签名验证失败")
    if trust is None:
        return VerifiedDocument(sig["kind"], claimed, sig["digest_alg"], sig["digest"], info, False)
    trusted, source = (as_utc(at), "received by this platform") if at is not None else trusted_time(sig, info, claimed, trust, now)
    if claimed > trusted + SKEW:
        raise _refuse(f"the claimed signing time {claimed.isoformat()} is later than the trusted time "
                      f"{trusted.isoformat()} ({source})", "signed_at", "签名声称的签署时间晚于可信时间")
    chain = [c.encode() for c in sig.get("signer_chain", [])]
    info = trust.validate(sig["signer_cert"].encode(), trusted, checked_at=now, chain=chain)
    return VerifiedDocument(sig["kind"], claimed, sig["digest_alg"], sig["digest"], info, True, trusted, source)


def trusted_time(sig: dict[str, Any], info: CertInfo, claimed: datetime, trust: TrustList,
                 now: datetime) -> tuple[datetime, str]:
    """The time to check the signer's certificate at, and where it comes from."""
    if "receipt" in sig:
        return attested_time(sig, trust, now)
    if info.kind == "platform":
        return as_utc(claimed), f"the time sealed by the platform {info.subject_cn!r}"
    return as_utc(now), "the verification time (no platform receipt)"


def signed_core(sig: dict[str, Any]) -> dict[str, Any]:
    """The signature itself, without the platform's receipt."""
    return {k: v for k, v in sig.items() if k in (*FIELDS, "signer_chain")}


def receipt_content(sig: dict[str, Any], received_at: str) -> bytes:
    body = {"kind": RECEIPT_KIND, "received_at": received_at, "signature": signed_core(sig)}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal_receipt(sig: dict[str, Any], cert_pem: bytes, private_pem: bytes, *, suite: str, received_at: datetime) -> dict[str, Any]:
    """The signature with the platform's receipt: its seal over the signature and ``received_at``."""
    when = as_utc(received_at).isoformat()
    seal = sign_document(suite, cert_pem, private_pem, receipt_content(sig, when), kind=RECEIPT_KIND, signed_at=received_at)
    return {**signed_core(sig), "receipt": {"received_at": when, "seal": seal}}


def attested_time(sig: dict[str, Any], trust: TrustList, now: datetime) -> tuple[datetime, str]:
    """The time the platform's receipt attests, once the seal and its platform certificate verify."""
    receipt = sig["receipt"]
    if not isinstance(receipt, dict) or not isinstance(receipt.get("received_at"), str) or not isinstance(receipt.get("seal"), dict) \
            or "receipt" in receipt["seal"]:
        raise _refuse("receipt: {received_at, seal} expected, the seal without a receipt of its own", "receipt")
    seal = verify_document(receipt["seal"], receipt_content(sig, receipt["received_at"]), trust, now=now)
    if seal.signer.kind != "platform" or seal.kind != RECEIPT_KIND or seal.checked_at != seal.signed_at:
        raise _refuse("receipt: not a platform's signature receipt", "receipt", "回执不是交易平台的签名回执")
    try:
        received = datetime.fromisoformat(receipt["received_at"])
    except ValueError:
        raise _refuse("receipt: malformed received_at", "receipt") from None
    if seal.signed_at != received:
        raise _refuse("receipt: the received time differs from the seal's time", "receipt", "回执的接收时间与签章时间不一致")
    return as_utc(seal.signed_at), f"received by the platform {seal.signer.subject_cn!r} (its sealed receipt)"

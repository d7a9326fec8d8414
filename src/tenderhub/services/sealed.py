"""Use cases of sealed bids: resumable upload with a signed receipt, online decryption.

The platform stores ciphertext only (电子招标投标办法 第25–27条). A bidder uploads its sealed
package in chunks (resumable: the same upload id continues where it stopped), the platform
verifies the bidder's signature over the ciphertext digest, stores it durably and returns a
signed, timestamped receipt (回执). At the opening the bidder releases its content key to the
platform's opening key; the platform decrypts, checks the signed manifest against the receipt
and reads the price form out of it (第30–31条).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tenderhub.blobs.port import BlobRef
from tenderhub.core.bids import sealing
from tenderhub.core.bids.model import Bid, DocumentRef, PartialList, SealedPackage
from tenderhub.core.procedures.guards import rule_for
from tenderhub.core.procedures.model import Lot, Tender
from tenderhub.core.shared.clock import beijing
from tenderhub.core.shared.errors import Conflict, Forbidden, Invalid, NotFound, RuleViolation
from tenderhub.core.shared.roles import Actor, Role
from tenderhub.crypto import keys, package, signing
from tenderhub.crypto.envelope import verify_release
from tenderhub.crypto.errors import CryptoError
from tenderhub.crypto.sealing import open_package_hashed
from tenderhub.queries.tenders import tender_view
from tenderhub.services import parse as p
from tenderhub.services.authz import require_operator_or_manager, require_role
from tenderhub.services.bids import bidder_of, price_form, require_not_blacklisted
from tenderhub.services.context import Services, Vault
from tenderhub.services.sealed_uploads import (
    commit_if_stored,
    discard_orphan,
    read_meta,
    store_upload,
    store_whole,
    write_last_chunk,
    write_meta,
)
from tenderhub.services.tenders import change, load

SUMMARY_FIELDS = ("suite", "ciphertext_digest", "size", "manifest_digest", "bidder_public_key", "signature")


def vault_of(svc: Services) -> Vault:
    if svc.vault is None:
        raise Conflict("this platform has no sealed-bid storage configured", message_zh="本平台未配置加密投标存储", code="no_vault")
    return svc.vault


def upload_id_for(tender_id: str, lot: str, bidder_id: str, sha256: str, again: int = 0) -> str:
    """The same bidder uploading the same package to the same lot resumes the same upload;
    ``again``: the how-many-th time it is sent after its earlier upload was replaced."""
    key = f"{tender_id}|{lot}|{bidder_id}|{sha256}" + (f"|{again}" if again else "")
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def upload_id_in(tender: Tender, lot: Lot, bidder_id: str, sha256: str) -> str:
    """The upload id for this package now: the same one while it is being sent or is the bid
    (a retry gets its receipt); a new one once a later package replaced it, so sending it again
    on purpose makes it the bid again, while a late retry of the old finish changes nothing."""
    replaced = {old.receipt_id for bid in lot.bids if bid.bidder_id == bidder_id for old in bid.replaced}
    again = 0
    while (upload_id := upload_id_for(tender.id, lot.id, bidder_id, sha256, again)) in replaced:
        again += 1
    return upload_id


def checked_summary(data: Mapping[str, Any]) -> dict[str, Any]:
    summary = dict(p.mapping(data, "summary"))
    for name in SUMMARY_FIELDS:
        p.get(summary, name, "summary.")
    p.integer(summary, "size", "summary.", minimum=1)
    return summary


def begin_upload(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Start (or resume) the upload of a sealed package; refuses clear bids by construction."""
    bidder, vault = bidder_of(actor), vault_of(svc)
    summary, sha256 = checked_summary(data), p.text(data, "sha256").lower()
    problems = verify_summary(summary)
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, bidder_id=bidder.bidder_id)
        require_not_blacklisted(svc, tender.regime.value, bidder)
        lot = sealing.may_submit_sealed(tender, svc.act(actor), lot_id=p.text(data, "lot"), bidder=bidder)
        if problems:
            raise sealing_refusal(tender, problems)
        upload_id = upload_id_in(tender, lot, bidder.bidder_id, sha256)
    state = vault.uploads.begin(upload_id, int(summary["size"]), sha256)
    meta = {"tender_id": tender_id, "lot_id": lot.id, "bidder_id": bidder.bidder_id, "sha256": sha256, "summary": summary}
    write_meta(vault, upload_id, meta)
    return state_view(state)


def verify_summary(summary: Mapping[str, Any]) -> list[str]:
    try:
        return package.verify_summary(dict(summary))
    except (CryptoError, ValueError, binascii.Error) as error:
        return [f"unreadable summary: {error}"]


def sealing_refusal(tender: Tender, problems: list[str]) -> RuleViolation:
    """The bidder's signature over the ciphertext digest does not verify (电子招标投标办法 第27条)."""
    return RuleViolation(rule_for(tender, "sealed_signature_invalid"), field="summary.signature", detail="; ".join(problems))


def state_view(state: Any) -> dict[str, Any]:
    return {"upload_id": state.upload_id, "received": state.received, "total": state.total_size, "complete": state.complete}


def meta_of(vault: Vault, upload_id: str, actor: Actor) -> dict[str, Any]:
    meta = read_meta(vault, upload_id)
    if meta["bidder_id"] != actor.user_id:
        raise Forbidden("only the bidder who began an upload may continue it", message_zh="只有发起上传的投标人可以继续上传", field="upload_id")
    return meta


def put_chunk(svc: Services, actor: Actor, upload_id: str, offset: int, data: bytes) -> dict[str, Any]:
    """Write one chunk at ``offset`` (durable before the answer); resume at ``received``."""
    vault = vault_of(svc)
    require_role(actor, Role.BIDDER)
    meta_of(vault, upload_id, actor)
    return state_view(vault.uploads.write_chunk(upload_id, offset, data))


def upload_state(svc: Services, actor: Actor, upload_id: str) -> dict[str, Any]:
    vault = vault_of(svc)
    meta_of(vault, upload_id, actor)
    return state_view(vault.uploads.state(upload_id))


def finish_upload(svc: Services, actor: Actor, upload_id: str, last: tuple[int, bytes] | None = None) -> dict[str, Any]:
    """Store the package durably, record the sealed bid, answer with the signed receipt.

    ``last``: the last chunk ``(offset, bytes)``, written (durably) first — a package that
    fits one chunk is sent by ``begin`` and this one request. The bytes are checked against
    the signed summary and moved into the store before the tender's write lock is taken
    (hashing and fsyncs never hold up other bidders); under the lock the rules are checked
    (again: ``begin`` checked them too) and the bid recorded. A refusal there (the deadline
    passed meanwhile) removes the ciphertext again unless a recorded blob has the same digest
    (``discard_orphan``). Idempotent: finishing again returns the receipt already issued."""
    bidder_of(actor)  # bidders only
    vault = vault_of(svc)
    meta = meta_of(vault, upload_id, actor)
    ref = store_whole(vault, meta, upload_id, last) if last is not None else None
    if ref is None:
        if last is not None:
            write_last_chunk(vault, upload_id, *last)
        ref = store_upload(vault, meta, upload_id)
    try:
        return record_sealed_bid(svc, actor, meta, upload_id, ref)
    except Refused as refused:
        if refused.code not in PASSING:  # "try again": the retried finish needs the bytes
            discard_orphan(svc, actor, vault, ref.digest)
        raise


Refused = (RuleViolation, Conflict, Forbidden)
"""What the rules answer under the tender lock (deadline, registration, blacklist, lot state)."""
PASSING = frozenset({"blacklist_unavailable", "db_busy", "stale_version"})
"""Refusals that tell the bidder to try again later: the stored ciphertext stays for the retry."""


def record_sealed_bid(svc: Services, actor: Actor, meta: Mapping[str, Any], upload_id: str, ref: Any) -> dict[str, Any]:
    """Under the tender's lock: check the rules again on the server clock, record the bid and
    its blob, commit, and sign the receipt (a repeated finish: the receipt already issued)."""
    bidder = bidder_of(actor)
    with svc.uow(actor) as uow:
        tender = load(uow, meta["tender_id"], for_update=True, bidder_id=bidder.bidder_id)  # its own bids only
        existing = bid_with_receipt(tender, upload_id)
        if existing is not None:  # finished before (perhaps replaced since: the bid stays as it is)
            return receipt(svc, tender, *existing)
        act = svc.act(actor)
        require_not_blacklisted(svc, tender.regime.value, bidder)
        bid = submit_and_commit(svc, uow, tender, act, bidder, meta["lot_id"], sealed_package(meta, ref, upload_id, act.at))
        assert bid.sealed is not None
        return receipt(svc, tender, bid, bid.sealed)


def submit_and_commit(svc: Services, uow: Any, tender: Tender, act: Any, bidder: Any, lot_id: str, package: SealedPackage) -> Bid:
    """The bid with its package, its blob and the receipt event, committed once the ciphertext
    is stored (both upload protocols end here, under the tender's lock)."""
    bid = record_submission(uow, tender, act, bidder, lot_id, package)
    commit_if_stored(vault_of(svc), uow, package.digest)
    return bid


def record_submission(uow: Any, tender: Tender, act: Any, bidder: Any, lot_id: str, package: SealedPackage) -> Bid:
    """The bid with its package, its blob row and the receipt event, not committed (a group of
    bids commits once: ``sealed_batch``)."""
    bid = sealing.submit_sealed(tender, act, lot_id=lot_id, bidder=bidder, package=package)
    uow.blobs.record(package.digest, package.size, kind="sealed_bid", owner=bid.id, at=act.at)
    tender.record("bids:package:received", bid.id, act.at, act.by, digest=package.digest, size=package.size,
                  receipt=package.receipt_id)
    return bid


def sealed_package(meta: Mapping[str, Any], ref: Any, upload_id: str, at: Any) -> SealedPackage:
    summary = meta["summary"]
    public = str(summary["bidder_public_key"])
    return SealedPackage(
        suite=str(summary["suite"]), digest=ref.digest, size=ref.size, signature=str(summary["signature"]),
        bidder_key=keys.fingerprint(public.encode()), receipt_id=upload_id, received_at=at,
        summary_digest=str(summary["ciphertext_digest"]), bidder_public_key=public,
        claimed_manifest_digest=str(summary["manifest_digest"]),
    )


def bid_with_receipt(tender: Tender, receipt_id: str) -> tuple[Bid, SealedPackage] | None:
    """The bid that received the upload ``receipt_id``, and that package (its current one, or
    one it replaced since)."""
    for lot in tender.lots:
        for bid in lot.bids:
            for kept in (bid.sealed, *bid.replaced):
                if kept is not None and kept.receipt_id == receipt_id:
                    return bid, kept
    return None


def receipt(svc: Services, tender: Tender, bid: Bid, sealed: SealedPackage) -> dict[str, Any]:
    """回执: what the platform received and when, signed with the platform's signing key; the
    same body for the same package however often it is asked (a replaced one keeps its version)."""
    lot = tender.lot(bid.lot_id)
    body = {
        "receipt_id": sealed.receipt_id, "tender": tender.code, "lot": lot.code, "bid": bid.id,
        "bidder": bid.uscc, "bidder_name": bid.name, "suite": sealed.suite, "ciphertext_sha256": sealed.digest,
        "ciphertext_digest": sealed.summary_digest, "size": sealed.size,
        "received_at": beijing(sealed.received_at).isoformat(timespec="milliseconds"), "version": sealed.bid_version or bid.version,
    }
    pair = vault_of(svc).keys.pair("signing", sealed.suite)
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    signature = signing.sign(sealed.suite, pair.private_pem, canonical)
    return {"receipt": body, "platform_key": keys.fingerprint(pair.public_pem), "signature": base64.b64encode(signature).decode()}


def verify_receipt(svc: Services, signed: Mapping[str, Any]) -> bool:
    """Whether the receipt carries this platform's signature (a malformed signature: False)."""
    body = signed["receipt"]
    pair = vault_of(svc).keys.pair("signing", body["suite"])
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        signature = base64.b64decode(signed["signature"])
    except ValueError:  # binascii.Error, or a non-ASCII string
        return False
    return signing.verify(body["suite"], pair.public_pem, canonical, signature)


def platform_keys(svc: Services) -> dict[str, Any]:
    """The public keys bidders need: the opening key to release content keys to, per suite."""
    return vault_of(svc).keys.public_keys()  # type: ignore[no-any-return]


def decrypt(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The bidder releases its content key; the platform opens and verifies the package."""
    bidder, vault = bidder_of(actor), vault_of(svc)
    try:
        release = base64.b64decode(p.text(data, "release"), validate=True)
    except ValueError as error:  # binascii.Error, or a non-ASCII string
        raise Invalid("release must be base64", message_zh="release 须为 base64 编码", field="release") from error
    with svc.uow(actor) as uow:
        tender = load(uow, tender_id, for_update=True, bidder_id=bidder.bidder_id)  # its own bid only
        lot = tender.lot(p.text(data, "lot"))
        bid = own_sealed_bid(tender, lot.id, bidder.bidder_id)
        act = svc.act(actor)
        sealing.decrypting(tender, act, lot.id, bid.id)
        try:  # the release must be signed with the bid's key: otherwise the bidder's failure (第31条)
            if bid.sealed is not None and bid.sealed.bidder_public_key:
                verify_release(release, bid.sealed.bidder_public_key.encode())
            outcome = open_and_verify(vault, bid, release)
        except CryptoError as error:
            outcome = f"解密失败 / decryption failed: {error}"
        if isinstance(outcome, str):
            sealing.record_failure(tender, act, lot_id=lot.id, bid_id=bid.id, by_bidder=True, detail=outcome)
        else:
            form, manifest_digest, documents = outcome
            bid.documents = documents
            for doc in documents:
                uow.blobs.record(doc.digest, doc.size, kind="bid_document", owner=bid.id, at=act.at)
            sealing.record_decryption(tender, act, lot_id=lot.id, bid_id=bid.id, form=form, manifest_digest=manifest_digest)
            tender.record("bids:package:read", bid.id, act.at, act.by, "decrypted at the opening", files=len(documents))
        uow.commit()
        return {"lot": lot.code, "bid": bid.id, "status": bid.status.value, "decryption": bid.sealed.decryption.value if bid.sealed else None,
                "failure": bid.sealed.failure if bid.sealed else "", "tender": own_bids_view(tender, actor)}


def own_bids_view(tender: Tender, actor: Actor) -> dict[str, Any]:
    """The tender as the bidder sees it with its own bids (``my_bids``): only those were
    loaded (ADR 0010), so they are never shown as the lot's ``bids``; every bid is in
    ``GET /api/tenders/{id}``."""
    view = tender_view(tender, actor)
    for lot, shown in zip(tender.lots, view["lots"], strict=True):
        if isinstance(lot.bids, PartialList) and "bids" in shown:
            shown["my_bids"] = shown.pop("bids")
    return view


def own_sealed_bid(tender: Tender, lot_id: str, bidder_id: str) -> Bid:
    for bid in tender.lot(lot_id).bids:
        if bid.bidder_id == bidder_id and bid.sealed is not None:
            return bid
    raise NotFound("you have no sealed bid in this lot", message_zh="您在本标段没有加密投标", field="lot")


def open_and_verify(vault: Vault, bid: Bid, release: bytes) -> tuple[Any, str, list[DocumentRef]] | str:
    """Decrypt and check the package; a string says why it failed (the bidder's fault).

    The plaintext goes straight from the decryption into the tar reader; each file is written
    once, into the blob store's temp directory, hashed as written, and moved into the store by
    a durable rename once the signed manifest and the receipt agree with it."""
    sealed = bid.sealed
    assert sealed is not None
    tmp_dir = temp_dir_of(vault)
    opener = vault.keys.pair("opening", sealed.suite)
    source, spooled = stored_path(vault, sealed.digest, tmp_dir)
    try:
        opened = open_package_hashed(sealed.suite, opener.private_pem, release, source, tmp_dir)
    except (CryptoError, ValueError, KeyError, tarfile.TarError) as error:
        return f"解密失败 / decryption failed: {error}"
    finally:
        if spooled:
            source.unlink(missing_ok=True)
    try:
        return verified(vault, sealed, opened)
    finally:
        opened.discard()  # whatever was not moved into the store


def temp_dir_of(vault: Vault) -> Path:
    """Where decrypted files are written: inside the blob store (same file system) when it can
    adopt files by rename, else a scratch directory beside it."""
    temp_dir = getattr(vault.blobs, "temp_dir", None)
    scratch = Path(temp_dir()) if temp_dir is not None else vault.meta_dir.parent / ".opening"
    scratch.mkdir(parents=True, exist_ok=True)
    return scratch


def stored_path(vault: Vault, digest: str, tmp_dir: Path) -> tuple[Path, bool]:
    """The ciphertext as a file, and whether it is a copy to remove afterwards."""
    path_for = getattr(vault.blobs, "path_for", None)
    if path_for is not None:
        return Path(path_for(digest)), False
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="sealed-")
    with vault.blobs.open(digest) as src, os.fdopen(fd, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return Path(name), True


def verified(vault: Vault, sealed: SealedPackage, opened: package.Opened) -> tuple[Any, str, list[DocumentRef]] | str:
    problems = package.verify_opened(sealed.suite, sealed.bidder_public_key.encode(), opened)
    digest = signing.digest(sealed.suite, opened.manifest_bytes)
    if digest != sealed.claimed_manifest_digest:
        problems.append("the manifest differs from the one the receipt names")
    if problems:
        return "投标文件与清单或回执不符 / the package does not match its manifest or receipt: " + "; ".join(problems)
    try:
        form = price_form({"price_form": opened.manifest.get("price_form") or {}})
    except Invalid as error:
        return f"开标一览表无效 / the price form is invalid: {error}"
    return form, digest, [store_document(vault, item) for item in opened.files]


def store_document(vault: Vault, item: package.Unpacked) -> DocumentRef:
    """Keep a decrypted file: its bytes were hashed and fsynced as they were written and just
    checked against the signed manifest, so it moves into the store by a durable rename."""
    adopt = getattr(vault.blobs, "adopt", None)
    if adopt is not None:
        ref = adopt(item.path, BlobRef(item.sha256, item.size))
    else:
        with open(item.path, "rb") as src:
            ref = vault.blobs.put_stream(src, expected_digest=item.sha256)
    return DocumentRef(item.name, ref.digest, ref.size)


def fail_decrypt(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The platform or another party failed a bid's decryption: withdrawn, not revoked (第31条)."""
    lot, bid_ref, detail = p.text(data, "lot"), p.text(data, "bid"), p.text(data, "detail")

    def act_on(tender: Tender, act: Any) -> None:
        sealing.record_failure(tender, act, lot_id=lot, bid_id=bid_id_of(tender, lot, bid_ref), by_bidder=p.boolean(data, "by_bidder", default=False), detail=detail)

    return change(svc, actor, tender_id, act_on, guard=require_operator_or_manager)


def bid_id_of(tender: Tender, lot: str, ref: str) -> str:
    for bid in tender.lot(lot).bids:
        if ref in (bid.id, bid.name, bid.uscc, bid.bidder_id):
            return bid.id
    return ref


def close_decryption(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    lot = p.text(data, "lot")
    return change(svc, actor, tender_id, lambda tender, act: sealing.close_decryption(tender, act, lot_id=lot), guard=require_operator_or_manager)


def sign_opening_record(svc: Services, actor: Actor, tender_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A bidder confirms the record; with ``signature`` (its own detached signature of the
    record document, checked against the trust list) the confirmation is an electronic signature."""
    from tenderhub.services.evaluation import personal_signature

    bidder, lot = bidder_of(actor), p.text(data, "lot")

    def act_on(tender: Tender, act: Any) -> None:
        proof = personal_signature(svc, tender, lot, "opening_record", data, at=act.at)
        sealing.sign_opening_record(tender, act, lot_id=lot, bidder_id=bidder.bidder_id, signature=json.dumps(proof) if proof else "")

    return change(svc, actor, tender_id, act_on, guard=lambda tender, who: None)

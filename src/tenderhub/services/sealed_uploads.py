"""Storing a sealed upload (ciphertext only; ``services/sealed.py`` has the use cases): the last
chunk a finish carries, the check of the bytes against the bidder's signed summary before they
enter the blob store, and the removal of a ciphertext whose bid was refused after it was stored.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from typing import Any, BinaryIO

from tenderhub.blobs.port import BlobRef
from tenderhub.core.rules.catalogue import by_code
from tenderhub.core.shared.errors import Conflict, NotFound, RuleViolation
from tenderhub.core.shared.roles import Actor
from tenderhub.crypto import package
from tenderhub.services.context import Services, Vault


def write_meta(vault: Vault, upload_id: str, meta: Mapping[str, Any]) -> None:
    """The upload's tender, lot, bidder and signed summary: replaced atomically (a process
    kill leaves the old file or the new one) but not fsynced — it promises nothing by itself
    (a begin lost to a power loss is begun again), and once a receipt is issued the bid row
    holds all of it (a finish retried after the file was lost: begin again, same receipt)."""
    vault.meta_dir.mkdir(parents=True, exist_ok=True)
    path = vault.meta_dir / f"{upload_id}.json"
    tmp = path.with_name(f".{upload_id}.{os.urandom(4).hex()}.tmp")
    tmp.write_bytes(json.dumps(meta, ensure_ascii=False).encode())
    os.replace(tmp, path)


def read_meta(vault: Vault, upload_id: str) -> dict[str, Any]:
    """What ``write_meta`` wrote; missing or unreadable (cut by a power loss) is no upload."""
    path = vault.meta_dir / f"{upload_id}.json"
    try:
        if not upload_id.isalnum():
            raise FileNotFoundError(upload_id)
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        raise NotFound(f"no upload {upload_id!r}", message_zh=f"没有上传任务 {upload_id}", field="upload_id") from None
    return meta


def store_whole(vault: Vault, meta: Mapping[str, Any], upload_id: str, last: tuple[int, bytes]) -> Any:
    """A finish carrying the whole package (offset 0, nothing received before): checked
    against the signed summary in memory and written once, straight into the store
    (``UploadArea.finish_whole``). None when this is not such a finish (the usual path)."""
    offset, body = last
    try:
        state = vault.uploads.state(upload_id)
    except NotFound:
        return None  # finished before: the usual path answers
    if offset != 0 or state.received != 0 or len(body) != state.total_size:
        return None
    sha256 = check_against_summary(meta["summary"], lambda _mode: io.BytesIO(body))
    try:
        return vault.uploads.finish_whole(upload_id, body, vault.blobs, checked_sha256=sha256)
    except NotFound:  # a concurrent finish of the same upload moved it meanwhile
        return moved_upload(vault, meta, upload_id)
    except Conflict as error:
        if error.code != "upload_not_whole":
            raise
        return None  # a concurrent chunk arrived meanwhile: the usual path


def write_last_chunk(vault: Vault, upload_id: str, offset: int, data: bytes) -> None:
    """The chunk a finish carries; none to write once the upload was finished (a retry)."""
    try:
        vault.uploads.write_chunk(upload_id, offset, data, finishing=True)
    except NotFound as error:
        if error.code != "upload_not_found":
            raise


def discard_orphan(svc: Services, actor: Actor, vault: Vault, digest: str) -> None:
    """Remove a ciphertext stored for a bid that was then refused, unless a recorded blob
    (another bid's: the store is content-addressed) has the same digest. In a transaction of
    its own (it must see every commit so far) and under the digest's lock, which a finish holds
    from its last check that the bytes exist to its commit: never a receipt without bytes."""
    remove = getattr(vault.blobs, "remove", None)
    if remove is None:  # a store without removal (S3): the orphan stays, unreferenced
        return
    with digest_lock(vault, digest), svc.uow(actor) as uow:
        if uow.blobs.find(digest) is None:
            remove(digest)


def commit_if_stored(vault: Vault, uow: Any, digest: str) -> None:
    """Commit the bid only if its ciphertext is still in the store (a concurrent refusal of an
    identical package may have just removed it: the bidder uploads again)."""
    with digest_lock(vault, digest):
        if not vault.blobs.exists(digest):
            raise upload_lost()
        uow.commit()


def upload_lost() -> Conflict:
    """The bid's ciphertext left the store before its commit (a concurrent refusal of an
    identical package removed it): nothing is recorded, the bidder uploads again."""
    return Conflict("the uploaded package was removed meanwhile; upload it again (begin a new upload)",
                    message_zh="已上传的投标文件已被移除，请重新上传", field="upload_id", code="upload_lost")


def digest_locks(vault: Vault, digests: Iterable[str]) -> Any:
    """``digest_lock`` for several digests (each lock taken once, in one order)."""
    locks = getattr(vault.blobs, "digest_locks", None)
    return locks(digests) if locks is not None else nullcontext()


def digest_lock(vault: Vault, digest: str) -> Any:
    lock = getattr(vault.blobs, "digest_lock", None)
    return lock(digest) if lock is not None else nullcontext()


def store_upload(vault: Vault, meta: Mapping[str, Any], upload_id: str) -> Any:
    """The uploaded bytes must be the ones the bidder signed (电子办法 第27条, 电子签名法 第13条):
    checked before they enter the store (a refusal leaves nothing there), read once."""
    partial = vault.uploads.partial(upload_id)
    if partial is None:  # moved by an earlier (or a concurrent) finish, or nothing sent yet (upload_incomplete)
        ref = moved_upload(vault, meta, upload_id)
        check_against_summary(meta["summary"], lambda _mode: vault.blobs.open(ref.digest))
        return ref
    require_complete(vault, upload_id)
    sha256 = check_against_summary(meta["summary"], partial.open)
    try:
        return vault.uploads.finish(upload_id, vault.blobs, checked_sha256=sha256)
    except NotFound:  # a concurrent finish of the same upload moved the bytes meanwhile
        return moved_upload(vault, meta, upload_id)


def require_complete(vault: Vault, upload_id: str) -> None:
    """Missing bytes are said as such (resume at ``received``), not as a signature mismatch."""
    state = vault.uploads.state(upload_id)
    if not state.complete:
        raise Conflict(f"upload {upload_id} has {state.received} of {state.total_size} bytes; resume at {state.received}",
                       message_zh=f"上传尚未完成（{state.received}/{state.total_size} 字节），请从 {state.received} 续传",
                       field="upload_id", code="upload_incomplete")


def moved_upload(vault: Vault, meta: Mapping[str, Any], upload_id: str) -> Any:
    try:
        return vault.uploads.finish(upload_id, vault.blobs)
    except NotFound:
        if not vault.blobs.exists(meta["sha256"]):
            raise
        return BlobRef(meta["sha256"], vault.blobs.size(meta["sha256"]))


def check_against_summary(summary: Mapping[str, Any], opener: Callable[..., BinaryIO], *, signature_verified: bool = False) -> str:
    """Refuse bytes that differ from the signed summary; their SHA-256 otherwise
    (``signature_verified``: see ``package.check_sealed``)."""
    with opener("rb") as stored:
        problems, sha256 = package.check_sealed(dict(summary), stored, signature_verified=signature_verified)
    if problems:
        raise RuleViolation(by_code("SEALED_SIGNATURE_INVALID"), field="summary", detail="; ".join(problems))
    return sha256

"""The bid package: manifest → signature → tar → envelope sealed to the bidder's own key.

Tar layout (plain, inside the envelope): ``manifest.json`` (canonical JSON), ``manifest.sig``
(the bidder's signature over those exact bytes), ``files/<name>`` for each bid file. Next to
the sealed file the bidder uploads a summary (``PACKAGE.json``, see ``summary``) whose
signature over the ciphertext digest the platform checks on upload (回执).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from tenderhub.crypto import keys, signing
from tenderhub.crypto.signing import Hasher

MANIFEST_FORMAT = "tenderhub-bid-manifest/1"
SUMMARY_FORMAT = "tenderhub-bid-package/1"
MAX_MANIFEST = 1 << 20


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def file_entry(suite: str, path: Path) -> dict[str, Any]:
    return {"name": path.name, "size": path.stat().st_size, "digest": signing.digest_file(suite, path)}


def build_manifest(suite: str, public_pem: bytes, files: list[Path], price_form: dict[str, Any], *,
                   created_at: datetime, machine: dict[str, Any], tool_version: str) -> dict[str, Any]:
    names = [p.name for p in files]
    if len(set(names)) != len(names):
        raise ValueError("two bid files have the same name")
    return {
        "format": MANIFEST_FORMAT, "suite": suite, "digest_alg": signing.DIGEST_ALG[suite],
        "bidder_key_fingerprint": keys.fingerprint(public_pem), "created_at": created_at.isoformat(),
        "files": [file_entry(suite, p) for p in files], "price_form": price_form,
        "machine": machine, "tool": {"name": "tenderhub", "version": tool_version},
    }


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o644
    tar.addfile(info, io.BytesIO(data))


def write_tar(dst: IO[bytes], manifest: bytes, signature: bytes, files: list[Path]) -> None:
    """Stream the plain package (tar) into ``dst``; memory stays bounded."""
    with tarfile.open(fileobj=dst, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, "manifest.json", manifest)
        _add_bytes(tar, "manifest.sig", signature)
        for path in files:
            info = tarfile.TarInfo(f"files/{path.name}")
            info.size, info.mode = path.stat().st_size, 0o644
            with open(path, "rb") as f:
                tar.addfile(info, f)


def _member_target(member: tarfile.TarInfo, into: Path) -> Path | None:
    name = member.name
    if not member.isfile():
        return None
    if name in ("manifest.json", "manifest.sig"):
        return into / name
    if name.startswith("files/") and "/" not in name[6:] and name[6:] not in ("", ".", ".."):
        return into / "files" / name[6:]
    return None


def unpack(plain_tar_path_or_stream: str | Path | BinaryIO, into: Path | None = None
           ) -> tuple[dict[str, Any], list[Path]]:
    """Extract a plain package into ``into`` (a new temporary directory by default):
    ``(manifest dict, paths of the bid files under into/files)``. Only regular files with
    the expected names are extracted (no links, no path traversal)."""
    into = into or Path(tempfile.mkdtemp(prefix="tenderhub-bid-"))
    (into / "files").mkdir(parents=True, exist_ok=True)
    src = plain_tar_path_or_stream
    stream = open(src, "rb") if isinstance(src, str | Path) else src  # noqa: SIM115
    files = _extract(stream, into)
    if stream is not src:
        stream.close()
    manifest = json.loads((into / "manifest.json").read_bytes())
    return manifest, files


def _extract(stream: BinaryIO, into: Path) -> list[Path]:
    files: list[Path] = []
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            target = _member_target(member, into)
            source = tar.extractfile(member) if target else None
            if target is None or source is None or target.exists():
                raise ValueError(f"unexpected entry in the bid package: {member.name!r}")
            if target.parent.name != "files" and member.size > MAX_MANIFEST:
                raise ValueError("manifest too large")
            with open(target, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            files += [target] if target.parent.name == "files" else []
    if not (into / "manifest.json").exists() or not (into / "manifest.sig").exists():
        raise ValueError("the bid package has no signed manifest")
    return files


def read_signed_manifest(into: Path) -> tuple[bytes, bytes]:
    """The exact manifest bytes and their signature, as unpacked into ``into``."""
    return (into / "manifest.json").read_bytes(), (into / "manifest.sig").read_bytes()


def verify_manifest(suite: str, bidder_public_pem: bytes, manifest_bytes: bytes, signature: bytes,
                    files_dir: Path) -> list[str]:
    """Problems found (an empty list when the signature, every file and nothing else match)."""
    if not signing.verify(suite, bidder_public_pem, manifest_bytes, signature):
        return ["the manifest signature does not verify with the bidder's key"]
    manifest = json.loads(manifest_bytes)
    problems = [] if manifest.get("suite") == suite else [f"the manifest suite is not {suite}"]
    listed = {entry["name"]: entry for entry in manifest.get("files", [])}
    for name, entry in listed.items():
        problems += _file_problems(suite, Path(files_dir) / name, entry)
    present = {p.name for p in Path(files_dir).iterdir()} if Path(files_dir).is_dir() else set()
    problems += [f"{name}: not in the manifest" for name in sorted(present - set(listed))]
    return problems


def _file_problems(suite: str, path: Path, entry: dict[str, Any]) -> list[str]:
    if not path.is_file():
        return [f"{entry['name']}: missing"]
    if path.stat().st_size != entry["size"]:
        return [f"{entry['name']}: size {path.stat().st_size}, manifest says {entry['size']}"]
    if signing.digest_file(suite, path) != entry["digest"]:
        return [f"{entry['name']}: digest does not match the manifest"]
    return []


def summary(suite: str, private_pem: bytes, hasher: Hasher, size: int, manifest: bytes) -> dict[str, Any]:
    """The upload summary: the bidder signs the ASCII hex digest of the whole sealed file."""
    digest = hasher.hexdigest()
    public = keys.public_of(suite, private_pem)
    return {
        "format": SUMMARY_FORMAT, "suite": suite, "digest_alg": signing.DIGEST_ALG[suite],
        "ciphertext_digest": digest, "size": size, "manifest_digest": signing.digest(suite, manifest),
        "bidder_public_key": public.decode("ascii"), "bidder_key_fingerprint": keys.fingerprint(public),
        "signature": base64.b64encode(signing.sign(suite, private_pem, digest.encode("ascii"))).decode(),
    }


def verify_summary(summary: dict[str, Any], sealed: BinaryIO | None = None) -> list[str]:
    """Problems with an upload summary (and, given the sealed file, with its digest and size)."""
    if sealed is None:
        return _summary_problems(summary)
    return check_sealed(summary, sealed)[0]


def _summary_problems(summary: dict[str, Any]) -> list[str]:
    suite, public = summary["suite"], summary["bidder_public_key"].encode()
    signature = base64.b64decode(summary["signature"])
    return [] if signing.verify(suite, public, summary["ciphertext_digest"].encode(), signature) \
        else ["the summary signature does not verify"]


def check_sealed(summary: dict[str, Any], sealed: BinaryIO, *, signature_verified: bool = False) -> tuple[list[str], str]:
    """``verify_summary`` with the sealed file, read once: the problems, and the file's SHA-256
    (its blob address: the suite digest itself for intl, computed alongside SM3 for gm).
    ``signature_verified``: the caller has just verified this summary's signature (a problem
    there was already refused): only the file is checked against it."""
    suite, problems = summary["suite"], [] if signature_verified else _summary_problems(summary)
    sha, other, size = hashlib.sha256(), (Hasher(suite) if suite != "intl" else None), 0
    while block := sealed.read(1 << 20):
        sha.update(block)
        if other is not None:
            other.update(block)
        size += len(block)
    digest = other.hexdigest() if other is not None else sha.hexdigest()
    problems += [] if digest == summary["ciphertext_digest"] else ["ciphertext digest differs"]
    problems += [] if size == summary["size"] else ["size differs"]
    return problems, sha.hexdigest()


@dataclass
class Unpacked:
    """A bid file written once from the decrypted stream, hashed as it was written."""

    name: str
    path: Path  # a temp file (fsynced), to be moved into the blob store by rename
    size: int
    digest: str  # the suite digest (what the manifest lists)
    sha256: str  # the blob-store address (the same as ``digest`` for intl)


@dataclass
class Opened:
    manifest_bytes: bytes
    signature: bytes
    files: list[Unpacked]

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads(self.manifest_bytes)  # type: ignore[no-any-return]

    def discard(self) -> None:
        for item in self.files:
            item.path.unlink(missing_ok=True)


class Unpacker:
    """A writable sink for the decrypted stream that unpacks the tar as the bytes arrive (no
    plaintext tar on disk, no second pass): ``manifest.json``/``manifest.sig`` into memory,
    each ``files/<name>`` into a new temp file in ``tmp_dir``, hashed while written and
    fsynced. Only regular files with the expected names are accepted (pax headers allowed,
    no links, no path traversal); ``close()`` checks the archive ended properly. On any
    problem ``discard()`` removes what was written."""

    def __init__(self, suite: str, tmp_dir: Path) -> None:
        self.suite, self.tmp_dir = suite, tmp_dir
        self.opened, self.small = Opened(b"", b"", []), dict[str, bytes]()
        self._block, self._left, self._pad, self._ended = bytearray(), 0, 0, False
        self._pax: dict[str, str] = {}
        self._member: _Member | None = None

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            view = view[self._step(view):]
        return len(data)

    def _step(self, view: memoryview) -> int:
        if self._left:
            return self._data(view)
        if self._pad:
            used = min(self._pad, len(view))
            self._pad -= used
            return used
        used = min(512 - len(self._block), len(view))
        self._block += view[:used]
        if len(self._block) == 512:
            self._header(bytes(self._block))
            self._block.clear()
        return used

    def _header(self, block: bytes) -> None:
        if self._ended or block == bytes(512):
            self._ended = True
            return
        try:
            info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.TarError as error:
            raise ValueError(f"the bid package is not a valid tar: {error}") from None
        if info.type in (tarfile.XHDTYPE, tarfile.XGLTYPE):
            self._start(_Member(info.size, bytearray(), None, pax=True), info.size)
            return
        info.name, info.size = self._pax.pop("path", info.name), int(self._pax.pop("size", info.size))
        self._pax.clear()
        self._start(self._member_for(info), info.size)

    def _member_for(self, info: tarfile.TarInfo) -> _Member:
        target = _member_target(info, Path(".")) if info.isreg() else None
        in_files = target is not None and target.parent.name == "files"
        taken = {f.name for f in self.opened.files} if in_files else set(self.small)
        if target is None or target.name in taken:
            raise ValueError(f"unexpected entry in the bid package: {info.name!r}")
        if in_files:
            return _Member(info.size, None, _HashedFile(self.suite, target.name, self.tmp_dir, self.opened))
        if info.size > MAX_MANIFEST:
            raise ValueError("manifest too large")
        return _Member(info.size, bytearray(), None, name=target.name)

    def _start(self, member: _Member, size: int) -> None:
        self._member, self._left, self._pad = member, size, -size % 512
        if size == 0:
            self._end_member()

    def _data(self, view: memoryview) -> int:
        assert self._member is not None
        used = min(self._left, len(view))
        self._member.take(view[:used])
        self._left -= used
        if not self._left:
            self._end_member()
        return used

    def _end_member(self) -> None:
        member, self._member = self._member, None
        assert member is not None
        if member.pax:
            self._pax = _pax_records(bytes(member.buffer or b""))
        elif member.file is not None:
            member.file.done()
        else:
            self.small[member.name] = bytes(member.buffer or b"")

    def close(self) -> Opened:
        if self._left or self._block or self._member is not None:
            raise ValueError("the bid package ends in the middle of an entry")
        if set(self.small) != {"manifest.json", "manifest.sig"}:
            raise ValueError("the bid package has no signed manifest")
        self.opened.manifest_bytes, self.opened.signature = self.small["manifest.json"], self.small["manifest.sig"]
        return self.opened

    def discard(self) -> None:
        if self._member is not None and self._member.file is not None:
            self._member.file.abort()
        self.opened.discard()


@dataclass
class _Member:
    size: int
    buffer: bytearray | None
    file: _HashedFile | None
    pax: bool = False
    name: str = ""

    def take(self, data: memoryview) -> None:
        if self.buffer is not None:
            if len(self.buffer) + len(data) > MAX_MANIFEST:
                raise ValueError("a header or manifest in the bid package is too large")
            self.buffer += data
        elif self.file is not None:
            self.file.write(data)


class _HashedFile:
    """One bid file: a temp file, written once, hashed with SHA-256 (and SM3 for gm)."""

    def __init__(self, suite: str, name: str, tmp_dir: Path, opened: Opened) -> None:
        fd, path = tempfile.mkstemp(dir=tmp_dir, prefix="open-")
        self.name, self.path, self.opened, self.size = name, Path(path), opened, 0
        self.out = os.fdopen(fd, "wb")
        self.sha, self.other = hashlib.sha256(), (Hasher(suite) if suite != "intl" else None)

    def write(self, data: memoryview) -> None:
        self.sha.update(data)
        if self.other is not None:
            self.other.update(bytes(data))
        self.out.write(data)
        self.size += len(data)

    def done(self) -> None:
        self.out.flush()
        os.fsync(self.out.fileno())
        self.out.close()
        digest = self.sha.hexdigest()
        self.opened.files.append(Unpacked(self.name, self.path, self.size, self.other.hexdigest() if self.other else digest, digest))

    def abort(self) -> None:
        self.out.close()
        self.path.unlink(missing_ok=True)


def _pax_records(data: bytes) -> dict[str, str]:
    """``"%d %s=%s\n"`` records of a pax extended header (only ``path`` and ``size`` are used)."""
    records, pos = {}, 0
    while pos < len(data):
        length_text, _, _ = data[pos:pos + 20].partition(b" ")
        if not length_text.isdigit() or int(length_text) <= len(length_text) + 1:
            raise ValueError("the bid package has a malformed pax header")
        record = data[pos + len(length_text) + 1:pos + int(length_text)].rstrip(b"\n")
        key, _, value = record.partition(b"=")
        records[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += int(length_text)
    return records


def verify_opened(suite: str, bidder_public_pem: bytes, opened: Opened) -> list[str]:
    """``verify_manifest`` for a package read by ``unpack_hashed`` (digests already taken)."""
    if not signing.verify(suite, bidder_public_pem, opened.manifest_bytes, opened.signature):
        return ["the manifest signature does not verify with the bidder's key"]
    manifest = json.loads(opened.manifest_bytes)
    problems = [] if manifest.get("suite") == suite else [f"the manifest suite is not {suite}"]
    listed = {entry["name"]: entry for entry in manifest.get("files", [])}
    present = {item.name: item for item in opened.files}
    for name, entry in listed.items():
        item = present.get(name)
        if item is None:
            problems.append(f"{name}: missing")
        elif item.size != entry["size"]:
            problems.append(f"{name}: size {item.size}, manifest says {entry['size']}")
        elif item.digest != entry["digest"]:
            problems.append(f"{name}: digest does not match the manifest")
    return problems + [f"{name}: not in the manifest" for name in sorted(set(present) - set(listed))]

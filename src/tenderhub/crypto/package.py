"""The bid package: manifest → signature → tar → envelope sealed to the bidder's own key.

Tar layout (plain, inside the envelope): ``manifest.json`` (canonical JSON), ``manifest.sig``
(the bidder's signature over those exact bytes), ``files/<name>`` for each bid file. Next to
the sealed file the bidder uploads a summary (``PACKAGE.json``, see ``summary``) whose
signature over the ciphertext digest the platform checks on upload (回执).
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import tarfile
import tempfile
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
    suite, public = summary["suite"], summary["bidder_public_key"].encode()
    signature = base64.b64decode(summary["signature"])
    problems = [] if signing.verify(suite, public, summary["ciphertext_digest"].encode(), signature) \
        else ["the summary signature does not verify"]
    if sealed is not None:
        hasher, size = Hasher(suite), 0
        while block := sealed.read(1 << 20):
            hasher.update(block)
            size += len(block)
        problems += [] if hasher.hexdigest() == summary["ciphertext_digest"] else ["ciphertext digest differs"]
        problems += [] if size == summary["size"] else ["size differs"]
    return problems

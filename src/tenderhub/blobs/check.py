"""Check a blob store against what the platform recorded: every recorded blob must be
present, of the recorded size, and hash to its digest; every stored blob must hash to its
name. Streams both sides (memory stays bounded); used by ``tenderhub audit verify``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tenderhub.blobs.port import BlobStore, hash_stream


@dataclass(frozen=True)
class BlobProblem:
    digest: str
    kind: str  # "missing" | "size" | "content"
    expected: str
    actual: str

    def describe(self) -> str:
        what = {"missing": "file missing", "size": "wrong size (truncated or extended)", "content": "content changed"}
        return f"blob {self.digest}: {what[self.kind]}: expected {self.expected}, actual {self.actual}"


@dataclass
class BlobReport:
    checked: int = 0
    recorded: int = 0
    unrecorded: int = 0  # stored and intact but unknown to the database (e.g. an aborted use case)
    bytes: int = 0
    problems: list[BlobProblem] = field(default_factory=list)
    broken: int = 0

    @property
    def first(self) -> BlobProblem | None:
        return self.problems[0] if self.problems else None

    def add(self, problem: BlobProblem | None) -> None:
        if problem is not None:
            self.broken += 1
            if not self.problems:  # keep the first: memory stays bounded
                self.problems.append(problem)


def check_blobs(
    store: BlobStore,
    recorded: Iterable[tuple[str, int]],
    is_recorded: Callable[[str], bool],
) -> BlobReport:
    """``recorded``: (digest, size) of every blob the database knows; ``is_recorded``: a
    lookup for the digests found in the store but not among them."""
    report = BlobReport()
    for digest, size in recorded:
        report.recorded += 1
        report.add(check_one(store, digest, size, report))
    for digest in store.iter_digests():
        if not is_recorded(digest):
            report.unrecorded += 1
            report.add(check_one(store, digest, None, report))
    return report


def check_one(store: BlobStore, digest: str, size: int | None, report: BlobReport) -> BlobProblem | None:
    if not store.exists(digest):
        return BlobProblem(digest, "missing", f"{size} bytes", "no such file")
    report.checked += 1
    actual_size = store.size(digest)
    if size is not None and actual_size != size:
        return BlobProblem(digest, "size", f"{size} bytes", f"{actual_size} bytes")
    with store.open(digest) as f:
        actual, _ = hash_stream(f)
    report.bytes += actual_size
    if actual != digest:
        return BlobProblem(digest, "content", f"sha256 {digest}", f"sha256 {actual}")
    return None

"""``package.Unpacker``: the decrypted tar is unpacked as it streams in, each bid file written
once and hashed as written; anything but the expected regular files is refused and leaves
nothing behind."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from tenderhub.crypto import package, signing


def a_tar(entries: list[tuple[str, bytes]], *, kind: bytes = tarfile.REGTYPE) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size, info.type = len(data), kind
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def feed(data: bytes, tmp: Path, *, piece: int, suite: str = "intl") -> package.Opened:
    sink = package.Unpacker(suite, tmp)
    try:
        for at in range(0, len(data), piece):
            sink.write(data[at:at + piece])
        return sink.close()
    except BaseException:
        sink.discard()
        raise


BODY = bytes(range(256)) * 4099  # not a multiple of 512
NAME = "技术标-" + "很长的文件名" * 20 + ".pdf"  # non-ASCII and long: a pax header carries it


@pytest.mark.parametrize("piece", [97, 511, 1 << 20])
def test_files_are_written_once_with_their_digests_whatever_the_pieces(tmp_path: Path, piece: int) -> None:
    opened = feed(a_tar([("manifest.json", b"{}"), ("manifest.sig", b"sig"), (f"files/{NAME}", BODY)]), tmp_path, piece=piece)
    [item] = opened.files
    assert (opened.manifest_bytes, opened.signature) == (b"{}", b"sig")
    assert item.name == NAME and item.path.read_bytes() == BODY and item.size == len(BODY)
    assert item.digest == item.sha256 == hashlib.sha256(BODY).hexdigest()


def test_gm_files_carry_the_sm3_digest_and_the_sha256_address(tmp_path: Path) -> None:
    opened = feed(a_tar([("manifest.json", b"{}"), ("manifest.sig", b"s"), ("files/a.pdf", BODY)]), tmp_path, piece=4096, suite="gm")
    assert opened.files[0].digest == signing.digest("gm", BODY) and opened.files[0].sha256 == hashlib.sha256(BODY).hexdigest()


@pytest.mark.parametrize(("entries", "kind", "problem"), [
    ([("manifest.json", b"{}"), ("manifest.sig", b"s"), ("files/../x", b"1")], tarfile.REGTYPE, "unexpected entry"),
    ([("manifest.json", b"{}"), ("manifest.sig", b"s"), ("other.txt", b"1")], tarfile.REGTYPE, "unexpected entry"),
    ([("manifest.json", b"{}"), ("files/a", b"1"), ("files/a", b"2")], tarfile.REGTYPE, "unexpected entry"),
    ([("files/a", b"1")], tarfile.REGTYPE, "no signed manifest"),
    ([("files/a", b"")], tarfile.SYMTYPE, "unexpected entry"),
])
def test_anything_but_the_expected_files_is_refused_and_nothing_is_left(tmp_path: Path, entries, kind, problem) -> None:  # type: ignore[no-untyped-def]
    data = a_tar(entries, kind=kind) if kind != tarfile.REGTYPE else a_tar(entries)
    with pytest.raises(ValueError, match=problem):
        feed(data, tmp_path, piece=1000)
    assert list(tmp_path.iterdir()) == []


def test_a_stream_cut_in_the_middle_of_a_file_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    data = a_tar([("manifest.json", b"{}"), ("manifest.sig", b"s"), ("files/a.pdf", BODY)])
    with pytest.raises(ValueError, match="middle of an entry"):
        feed(data[:5000], tmp_path, piece=1000)
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_header_is_refused(tmp_path: Path) -> None:
    data = bytearray(a_tar([("manifest.json", b"{}"), ("manifest.sig", b"s")]))
    data[148:156] = b"0000000\x00"  # the header checksum
    with pytest.raises(ValueError, match="not a valid tar"):
        feed(bytes(data), tmp_path, piece=512)

"""The platform's keys are made once, even when many requests need them at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tenderhub.crypto.platform_keys import PlatformKeys


def test_concurrent_first_uses_of_a_key_all_get_the_one_key_written(tmp_path: Path) -> None:
    store = PlatformKeys(tmp_path / "keys")
    with ThreadPoolExecutor(16) as pool:
        pairs = list(pool.map(lambda _: store.pair("signing", "intl"), range(64)))
    assert {p.private_pem for p in pairs} == {(tmp_path / "keys" / "signing-intl.key").read_bytes()}
    assert PlatformKeys(tmp_path / "keys").pair("signing", "intl").public_pem == pairs[0].public_pem


def first_use_in_a_process(directory: str) -> bytes:
    return PlatformKeys(Path(directory)).pair("opening", "intl").private_pem


def test_worker_processes_using_a_key_first_at_once_all_get_the_one_key_written(tmp_path: Path) -> None:
    """``serve --workers N``: each process has its own cache; the file lock makes one key."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(4) as pool:
        made = pool.map(first_use_in_a_process, [str(tmp_path / "keys")] * 8)
    assert set(made) == {(tmp_path / "keys" / "opening-intl.key").read_bytes()}
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == [".lock", "opening-intl.key", "opening-intl.pub.pem"]


def test_the_local_ca_is_made_once_as_a_complete_pair_even_after_a_crash_while_making(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from tenderhub.crypto.platform_keys import PlatformIdentity

    directory = tmp_path / "keys"
    directory.mkdir()
    (directory / ".local-ca.key.new").write_bytes(b"half a key")  # left by a crash while making
    identity = PlatformIdentity(PlatformKeys(directory), tmp_path / "trust", "测试平台")
    cert, key = identity.ca(datetime(2026, 1, 1, tzinfo=UTC))
    assert b"BEGIN CERTIFICATE" in cert and b"PRIVATE KEY" in key
    assert (directory / "local-ca.key").stat().st_mode & 0o777 == 0o600
    assert not (directory / ".local-ca.key.new").exists()
    assert identity.ca(datetime(2026, 6, 1, tzinfo=UTC)) == (cert, key)

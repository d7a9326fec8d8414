"""``tenderhub audit verify`` finds every kind of tampering and names the first broken event
or blob; ``audit head`` + ``--expect-head`` catch the deletion of the last rows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from audit_support import Platform

from tenderhub import cli
from tenderhub.db.repositories.audit import GENESIS

Capsys = pytest.CaptureFixture[str]


def verify(platform: Platform, capsys: Capsys, *extra: str) -> tuple[int, dict[str, Any]]:
    code = cli.main(["audit", "verify", *platform.args(), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_an_untouched_platform_verifies(platform: Platform, capsys: Capsys) -> None:
    code, facts = verify(platform, capsys)
    assert code == 0 and facts["ok"] and facts["chain_problem"] is None and facts["blob_problem"] is None
    assert facts["events"] == len(platform.seqs()) > 20
    assert facts["head"]["seq"] == platform.seqs()[-1]
    assert facts["blobs"] | {"bytes": 0} == {"checked": 3, "recorded": 3, "unrecorded": 0, "bytes": 0, "broken": 0}


def test_the_readable_summary_names_events_blobs_and_head(platform: Platform, capsys: Capsys) -> None:
    assert cli.main(["audit", "verify", *platform.args()]) == 0
    out = capsys.readouterr().out
    assert f"{len(platform.seqs())} events" in out and "3 blobs" in out and "audit chain intact" in out


def test_a_changed_field_names_that_event(platform: Platform, capsys: Capsys) -> None:
    seq = platform.seqs()[5]
    platform.sql("UPDATE audit_events SET actor = 'someone-else' WHERE seq = :seq", seq=seq)
    code, facts = verify(platform, capsys)
    problem = facts["chain_problem"]
    assert code == 1 and (problem["seq"], problem["kind"]) == (seq, "changed")
    assert problem["id"] and ":" in problem["tag"]


def test_a_deleted_middle_row_is_named_as_missing_before_the_next_event(platform: Platform, capsys: Capsys) -> None:
    seqs = platform.seqs()
    platform.sql("DELETE FROM audit_events WHERE seq = :seq", seq=seqs[7])
    code, facts = verify(platform, capsys)
    problem = facts["chain_problem"]
    assert code == 1 and (problem["seq"], problem["kind"]) == (seqs[8], "missing")
    assert f"seq {seqs[7]} absent" in problem["detail"]


def test_two_swapped_rows_are_named_as_reordered(platform: Platform, capsys: Capsys) -> None:
    seqs = platform.seqs()
    a, b = seqs[3], seqs[10]  # swap the two rows' contents: everything but the position moves
    platform.sql(
        "UPDATE audit_events SET seq = -1 WHERE seq = :a",
        "UPDATE audit_events SET seq = :a WHERE seq = :b",
        "UPDATE audit_events SET seq = :b WHERE seq = -1",
        a=a, b=b,
    )
    code, facts = verify(platform, capsys)
    problem = facts["chain_problem"]
    assert code == 1 and (problem["seq"], problem["kind"]) == (a, "reordered")
    assert f"follows seq {seqs[9]}" in problem["detail"]


def test_a_changed_prev_hash_names_that_event(platform: Platform, capsys: Capsys) -> None:
    seq = platform.seqs()[12]
    platform.sql("UPDATE audit_events SET prev_hash = :h WHERE seq = :seq", h="f" * 64, seq=seq)
    code, facts = verify(platform, capsys)
    assert code == 1 and (facts["chain_problem"]["seq"], facts["chain_problem"]["kind"]) == (seq, "prev_hash_changed")


def test_deleting_the_first_row_is_found(platform: Platform, capsys: Capsys) -> None:
    seqs = platform.seqs()
    platform.sql("DELETE FROM audit_events WHERE seq = :seq", seq=seqs[0])
    code, facts = verify(platform, capsys)
    assert code == 1 and (facts["chain_problem"]["seq"], facts["chain_problem"]["kind"]) == (seqs[1], "missing")


def test_the_text_output_names_the_first_broken_event(platform: Platform, capsys: Capsys) -> None:
    seq = platform.seqs()[2]
    platform.sql("UPDATE audit_events SET reason = 'edited' WHERE seq = :seq", seq=seq)
    assert cli.main(["audit", "verify", *platform.args()]) == 1
    out = capsys.readouterr().out
    assert f"event seq {seq} (id " in out and "changed" in out and "audit chain broken" in out


def test_deleted_last_rows_pass_without_an_anchor_but_fail_against_one(platform: Platform, capsys: Capsys) -> None:
    assert cli.main(["audit", "head", *platform.args()]) == 0
    head = capsys.readouterr().out.strip()
    seqs = platform.seqs()
    assert head.startswith(f"{seqs[-1]}:")
    platform.sql("DELETE FROM audit_events WHERE seq >= :seq", seq=seqs[-2])
    assert verify(platform, capsys)[0] == 0  # the limit of a chain without an outside anchor
    code, facts = verify(platform, capsys, "--expect-head", head)
    problem = facts["chain_problem"]
    assert code == 1 and (problem["seq"], problem["kind"]) == (seqs[-1], "head_missing")
    assert f"ends at seq {seqs[-3]}" in problem["detail"]


def test_an_anchor_that_is_still_in_the_chain_verifies(platform: Platform, capsys: Capsys) -> None:
    assert cli.main(["audit", "head", *platform.args(), "--json"]) == 0
    head = json.loads(capsys.readouterr().out)
    assert verify(platform, capsys, "--expect-head", f"{head['seq']}:{head['hash']}")[0] == 0
    assert verify(platform, capsys, "--expect-head", f"0:{GENESIS}")[0] == 0


def test_a_rewritten_anchored_row_is_a_head_mismatch(platform: Platform, capsys: Capsys) -> None:
    seqs = platform.seqs()
    anchor = f"{seqs[-1]}:{'e' * 64}"
    code, facts = verify(platform, capsys, "--expect-head", anchor)
    assert code == 1 and (facts["chain_problem"]["seq"], facts["chain_problem"]["kind"]) == (seqs[-1], "head_mismatch")


def _blob_problem(platform: Platform, capsys: Capsys) -> dict[str, Any]:
    code, facts = verify(platform, capsys)
    assert code == 1 and facts["chain_problem"] is None
    problem: dict[str, Any] = facts["blob_problem"]
    return problem


def test_one_changed_byte_in_a_blob_is_named(platform: Platform, capsys: Capsys) -> None:
    digest = platform.digests[1]
    path = platform.store.path_for(digest)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    problem = _blob_problem(platform, capsys)
    assert (problem["digest"], problem["kind"], problem["expected"]) == (digest, "content", f"sha256 {digest}")
    assert problem["actual"].startswith("sha256 ") and problem["actual"] != problem["expected"]


def test_a_truncated_blob_is_named(platform: Platform, capsys: Capsys) -> None:
    digest = platform.digests[0]
    path = platform.store.path_for(digest)
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[:10])
    problem = _blob_problem(platform, capsys)
    assert (problem["digest"], problem["kind"], problem["expected"], problem["actual"]) == (digest, "size", f"{size} bytes", "10 bytes")


def test_a_deleted_blob_is_named(platform: Platform, capsys: Capsys) -> None:
    digest = platform.digests[2]
    platform.store.path_for(digest).unlink()
    problem = _blob_problem(platform, capsys)
    assert (problem["digest"], problem["kind"]) == (digest, "missing")


def test_a_blob_in_the_store_that_the_database_does_not_know_is_still_checked(platform: Platform, capsys: Capsys) -> None:
    platform.sql("DELETE FROM blobs WHERE digest = :d", d=platform.digests[0])
    code, facts = verify(platform, capsys)
    assert code == 0 and facts["blobs"]["unrecorded"] == 1 and facts["blobs"]["checked"] == 3
    platform.store.path_for(platform.digests[0]).write_bytes(b"changed")
    code, facts = verify(platform, capsys)
    assert code == 1 and (facts["blob_problem"]["digest"], facts["blob_problem"]["kind"]) == (platform.digests[0], "content")


def test_the_text_output_names_the_broken_blob(platform: Platform, capsys: Capsys) -> None:
    platform.store.path_for(platform.digests[0]).unlink()
    assert cli.main(["audit", "verify", *platform.args()]) == 1
    out = capsys.readouterr().out
    assert f"blob {platform.digests[0]}: file missing" in out and "1 of 3" in out

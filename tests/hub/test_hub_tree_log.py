"""The hub tree carries the transparency log (电子招标投标办法 第45条, RFC 9162): a lower hub
forwards its platforms' signed chain heads exactly once, and its own signed tree heads with
consistency proofs; the upper hub keeps them and catches a lower hub whose log was rewritten.
Both hubs on the database under test (SQLite, and PostgreSQL in the second run)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hub_support import PLATFORM, T0, Platform, client_for, make_hub, release
from test_hub_protocol_schemas import assert_valid
from test_hub_transparency import AT, Capsys, Served, a_tenderer, log_heads, rewrite_from
from test_hub_tree import LOWER_ID, TOKEN, Flaky

from db_support import fresh_database
from tenderhub import cli
from tenderhub.bootstrap import build
from tenderhub.core.shared.clock import FixedClock
from tenderhub.core.shared.errors import Conflict
from tenderhub.crypto import keys
from tenderhub.crypto.platform_keys import PlatformKeys
from tenderhub.hub import monitor, protocol, transparency, tree
from tenderhub.hub.context import Hub, open_hub
from tenderhub.hub.relay import Refused, Transient
from tenderhub.hub.tlog import (
    SignedTreeHead,
    entry_for_release,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_sth,
)
from tenderhub.hub.tlog.sqlstore import leaves, nodes
from tenderhub.hub.tree import HEADS, Forwarder, read_position
from tenderhub.settings import Settings


@dataclass
class Tree:
    upper: Hub
    lower: Hub
    upstream: TestClient  # the upper hub's app
    flaky: Flaky  # the link from the lower hub to the upper hub
    forwarder: Forwarder
    platform: Platform  # registered at the lower hub

    def head(self, seq: int, hash_hex: str | None = None) -> Any:
        body = transparency.head_body(PLATFORM, self.platform.pair, seq, hash_hex or f"{seq:064x}")
        return self.platform.client.post(transparency.HEADS_PATH, json=body)

    def view(self) -> dict[str, Any]:
        found: dict[str, Any] = self.upstream.get(f"/hub/lower-hubs/{LOWER_ID}").json()
        return found


@pytest.fixture
def hubs(tmp_path: Path, database_url: str) -> Iterator[tuple[Hub, Hub]]:
    (tmp_path / "lowerdb").mkdir()
    lower_db = fresh_database(tmp_path / "lowerdb")
    upper = make_hub(tmp_path / "upper", database_url)
    lower = open_hub(tmp_path / "lower", next(lower_db), clock=FixedClock(T0))
    try:
        yield upper, lower
    finally:
        lower.close()
        upper.close()
        next(lower_db, None)


@pytest.fixture
def wired(hubs: tuple[Hub, Hub]) -> Tree:
    upper, lower = hubs
    upstream = client_for(upper, admin_token=TOKEN)
    flaky = Flaky(upstream._transport)
    forwarder = Forwarder(lower, httpx.Client(transport=flaky, base_url="http://testserver"), LOWER_ID, token=TOKEN, limit=4)
    return Tree(upper, lower, upstream, flaky, forwarder, Platform(client_for(lower)))


def drain(forwarder: Forwarder) -> None:
    while forwarder.forward_once().handled:
        pass


def upstream_seqs(t: Tree) -> list[int]:
    return [h["seq"] for h in t.upstream.get(f"/hub/platforms/{PLATFORM}/chain-heads").json()["heads"]]


# ---- chain heads ------------------------------------------------------------------------------


def test_chain_heads_reach_the_upper_hub_once_across_outages(wired: Tree) -> None:
    for seq in (3, 7):
        assert wired.head(seq).status_code == 201
    wired.forwarder.forward_once()  # joins, the registration, the two heads
    assert upstream_seqs(wired) == [3, 7] and read_position(wired.lower, HEADS) == 1
    for seq in (9, 12, 15, 20, 21):
        assert wired.head(seq).status_code == 201
    for mode in ("refuse", "503", "lose"):  # "lose": the upper hub logs head 9, the answer never comes
        wired.flaky.mode = mode
        with pytest.raises(Transient):
            wired.forwarder.forward_once()
        assert read_position(wired.lower, HEADS) == 1  # no answer, no step
    wired.flaky.mode = "up"
    assert wired.forwarder.forward_once().heads == 4  # limit 4: 9 again (a repeat upstream), 12, 15, 20
    drain(wired.forwarder)
    assert upstream_seqs(wired) == [3, 7, 9, 12, 15, 20, 21]  # each once, in log order
    assert read_position(wired.lower, HEADS) == 6
    logged = wired.upstream.get(f"/hub/platforms/{PLATFORM}/chain-heads").json()["heads"]
    kinds = [json.loads(e["entry"])["kind"] for e in wired.upstream.get("/hub/log/entries").json()["entries"]]
    assert len({h["leaf_index"] for h in logged}) == 7 and kinds.count("chain_head") == 7
    assert kinds.count("tree_head") == wired.view()["accepted"]  # and every tree head it accepted from the lower hub


def test_a_forwarded_head_is_checked_against_the_platforms_own_key(wired: Tree) -> None:
    wired.forwarder.forward_once()
    forged = transparency.head_body(PLATFORM, keys.generate("intl"), 5, "ab" * 32)
    answer = wired.upstream.post(transparency.HEADS_PATH, json=forged)
    assert (answer.status_code, answer.json()["code"]) == (401, "bad_signature")
    assert wired.head(4).status_code == 201
    wired.forwarder.forward_once()
    other = transparency.head_body(PLATFORM, wired.platform.pair, 4, "cd" * 32)  # the platform signs another hash at seq 4
    assert wired.upstream.post(transparency.HEADS_PATH, json=other).json()["code"] == "forwarded_only"  # only through its hub
    with pytest.raises(Conflict) as rewritten:  # and there, the upper hub's own check
        transparency.log_chain_head(wired.upper, other, via=LOWER_ID)
    assert rewritten.value.code == "chain_head_conflict"


# ---- tree heads -------------------------------------------------------------------------------


def publish(t: Tree, numbers: range) -> None:
    for n in numbers:
        assert t.platform.post(release(n)).status_code == 201


def test_the_upper_hub_keeps_every_consistent_tree_head_of_a_good_lower_hub(wired: Tree) -> None:
    assert wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}").status_code == 404  # not joined yet
    sizes = []
    for numbers in (range(0, 3), range(3, 4), range(4, 9)):
        publish(wired, numbers)
        wired.head(numbers.stop)
        drain(wired.forwarder)
        sizes.append(wired.view()["tree_head"]["size"])
    assert sizes == [4, 6, 12]  # releases and heads of the lower hub's log
    view = wired.view()
    assert (view["state"], view["accepted"], view["fork"]) == ("ok", 3, None)
    assert_valid("lower-hub", view)
    lower_sth = SignedTreeHead.from_dict(client_for(wired.lower).get("/hub/log/sth").json())
    assert view["tree_head"]["root"] == lower_sth.root_hex
    assert verify_sth(SignedTreeHead.from_dict(view["tree_head"]), wired.lower.signing_pair().public_pem)
    history = wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/tree-heads").json()["tree_heads"]
    assert [h["size"] for h in history] == [4, 6, 12]
    assert wired.forwarder.forward_tree_head() is False  # nothing new: nothing posted
    again = monitor.tree_head_post(wired.lower, LOWER_ID, lower_sth, 12)
    assert_valid("forwarded-tree-head", again)
    assert wired.upstream.post(monitor.FORWARD_STH_PATH, json=again).status_code == 200  # the same head: a repeat
    assert wired.view()["accepted"] == 3
    assert [h["state"] for h in wired.upstream.get("/hub/lower-hubs").json()] == ["ok"]


def rewrite_leaf(hub: Hub, index: int) -> None:
    """The dishonest operator of the lower hub: replace leaf ``index`` (a pair's right leaf) and
    recompute the hash above it, as a careful forger would."""
    forged = entry_for_release("ocds-thxxxx-T2025-0001", "forged", "0" * 64, PLATFORM, T0)
    with hub.engine.begin() as conn:
        conn.execute(sa.update(leaves).where(leaves.c.idx == index).values(entry=forged, leaf_hash=leaf_hash(forged)))
        left = conn.execute(sa.select(leaves.c.leaf_hash).where(leaves.c.idx == index - 1)).scalar_one()
        conn.execute(sa.update(nodes).where(nodes.c.level == 1, nodes.c.idx == index // 2)
                     .values(hash=node_hash(bytes(left), leaf_hash(forged))))


@pytest.mark.parametrize("grows", [False, True], ids=["same-size", "grown"])
def test_a_lower_hub_that_rewrote_a_leaf_is_caught_and_refused(wired: Tree, grows: bool) -> None:
    publish(wired, range(0, 3))
    drain(wired.forwarder)
    accepted = wired.view()["tree_head"]
    rewrite_leaf(wired.lower, 1)
    if grows:
        publish(wired, range(3, 5))
    with pytest.raises(Refused, match="hub_log_forked"):
        drain(wired.forwarder)
    view = wired.view()
    assert view["state"] == "forked" and view["tree_head"] == accepted  # the rewritten head was not kept
    assert_valid("lower-hub", view)
    evidence = view["fork"]["evidence"]
    old, new = (SignedTreeHead.from_dict(evidence[k]) for k in ("accepted", "presented"))
    lower_key = wired.lower.signing_pair().public_pem
    assert verify_sth(old, lower_key) and verify_sth(new, lower_key)  # both signed by the lower hub ...
    proof = [bytes.fromhex(h) for h in evidence["claim"]["consistency"]]
    assert not verify_consistency(old.size, new.size, old.root, new.root, proof)  # ... and they disagree
    assert new.size == (5 if grows else 3)
    with pytest.raises(Refused, match="hub_forked"):  # from now on: refused, with the reason
        wired.forwarder.forward_once()
    refused = wired.upstream.post(tree.FORWARD_PATH, json=tree.forwarded_registration(wired.lower, LOWER_ID, _row(wired.lower)))
    assert (refused.status_code, refused.json()["code"]) == (409, "hub_forked")
    assert "GET /hub/lower-hubs/" in refused.json()["message"]["en"]


def test_a_lower_hub_whose_log_shrank_is_caught(wired: Tree) -> None:
    publish(wired, range(0, 5))
    drain(wired.forwarder)
    with wired.lower.engine.begin() as conn:  # restored from an older backup: the last leaves are gone
        conn.execute(sa.delete(leaves).where(leaves.c.idx >= 3))
        above = [(r.level, r.idx) for r in conn.execute(sa.select(nodes.c.level, nodes.c.idx)) if (r.idx + 1) << r.level > 3]
        for level, idx in above:  # the subtrees that covered them
            conn.execute(sa.delete(nodes).where(nodes.c.level == level, nodes.c.idx == idx))
    with pytest.raises(Refused, match="hub_log_forked"):
        wired.forwarder.forward_once()
    evidence = wired.view()["fork"]["evidence"]
    assert (evidence["accepted"]["size"], evidence["presented"]["size"]) == (5, 3)


def test_nobody_else_can_get_a_lower_hub_flagged(wired: Tree) -> None:
    publish(wired, range(0, 2))
    drain(wired.forwarder)
    sth = transparency.tree_head(wired.lower)
    good = monitor.tree_head_post(wired.lower, LOWER_ID, sth, 0)  # right hub, right key, but proven from 0
    stale = wired.upstream.post(monitor.FORWARD_STH_PATH, json=good)
    assert (stale.status_code, stale.json()["code"], stale.json()["field"]) == (409, "stale_tree_head", "/first")
    forged_root = {**sth.as_dict(), "root": "ee" * 32}
    by_other = {**good, "sth": forged_root, "first": 3, "consistency": []}
    by_other["signature"] = protocol.sign(keys.generate("intl"), monitor.signed_part(LOWER_ID, forged_root, 3, []))
    answer = wired.upstream.post(monitor.FORWARD_STH_PATH, json=by_other)
    assert (answer.status_code, answer.json()["code"]) == (401, "bad_signature")
    by_other["signature"] = protocol.sign(wired.lower.signing_pair(), monitor.signed_part(LOWER_ID, forged_root, 3, []))
    answer = wired.upstream.post(monitor.FORWARD_STH_PATH, json=by_other)  # the post is the hub's, the STH's signature not
    assert (answer.status_code, answer.json()["code"]) == (401, "bad_sth")
    bad = wired.upstream.post(monitor.FORWARD_STH_PATH, json={**good, "consistency": ["xyz"]})
    assert (bad.status_code, bad.json()["field"]) == (422, "/consistency")
    padded = wired.upstream.post(monitor.FORWARD_STH_PATH, json={**good, "sth": {**good["sth"], "note": 1}})
    assert (padded.status_code, padded.json()["field"]) == (422, "/sth")
    as_platform = {**good, "hub_id": PLATFORM}
    assert wired.upstream.post(monitor.FORWARD_STH_PATH, json=as_platform).json()["code"] == "not_a_hub"
    assert wired.view()["state"] == "ok" and wired.view()["accepted"] == 1


def _row(hub: Hub) -> Any:
    from tenderhub.hub import tables

    with hub.engine.connect() as conn:
        return conn.execute(sa.select(tables.platforms).where(tables.platforms.c.id == PLATFORM)).one()


def test_a_head_logged_before_signatures_were_kept_is_not_forwarded(wired: Tree) -> None:
    assert wired.head(2).status_code == 201
    with wired.lower.engine.begin() as conn:  # as migration 0004 leaves an older head
        conn.execute(sa.update(transparency.chain_heads).values(signature=None))
    assert wired.head(5).status_code == 201
    drain(wired.forwarder)
    assert upstream_seqs(wired) == [5]



# ---- ``tenderhub audit verify --hub UPPER`` ---------------------------------------------------


def test_audit_verify_against_the_upper_hub_sees_the_forwarded_heads(database_url: str, tmp_path: Path, capsys: Capsys) -> None:
    """Live hubs: the platform logs its heads at its hub, which forwards them up; checked
    against the upper hub's log, a rewritten old row is caught there as well."""
    data_dir = tmp_path / "platform"
    trading = build(Settings.load(data_dir=data_dir, db_url=database_url), clock=FixedClock(AT))
    for name in ("lowerdb", "upperdb"):
        (tmp_path / name).mkdir()
    databases = [fresh_database(tmp_path / name) for name in ("lowerdb", "upperdb")]  # each hub its own database
    lower, upper = (make_hub(tmp_path / name, next(db)) for name, db in zip(("lower", "upper"), databases, strict=True))
    served = [Served(lower), Served(upper)]
    try:
        pair = PlatformKeys(data_dir / "keys").pair("signing", "intl")
        anchors = log_heads(trading, a_tenderer(trading), served[0].url, pair)
        with httpx.Client(base_url=served[1].url) as link:
            drain(Forwarder(lower, link, LOWER_ID))
        base = ["audit", "verify", "--data-dir", str(data_dir), "--db", database_url, "--json", "--platform-id", PLATFORM]
        assert cli.main([*base, "--hub", served[1].url]) == 0
        facts = json.loads(capsys.readouterr().out)["hub"]
        assert facts["problems"] == [] and facts["sth"]["size"] == 4  # the three heads logged upstream, and the lower hub's tree head
        assert facts["via"]["id"] == LOWER_ID and facts["via"]["state"] == "ok"
        rewrite_from(trading, anchors[1] - 1)
        for url in (served[0].url, served[1].url):  # caught by the platform's hub and by the upper hub
            assert cli.main([*base, "--hub", url]) == 1
            problems = json.loads(capsys.readouterr().out)["hub"]["problems"]
            assert problems[0].startswith(f"seq {anchors[1]}: logged at index ") and "history rewritten" in problems[0]
        assert cli.main([*base[:-3], "--platform-id", PLATFORM, "--hub", served[1].url]) == 1
        assert f"via lower hub {LOWER_ID}: its log ok" in capsys.readouterr().out
    finally:
        for s in served:
            s.stop()
        for hub in (lower, upper):
            hub.close()
        trading.engine.dispose()
        for db in databases:
            next(db, None)

"""ADR 0031: a lower hub whose signed claim of inclusion fails is flagged like a forked one, and
the upper hub's administrator clears a flag after an investigation (a reason, for a fork the
lower hub's tree head accepted going forward); the evidence stays, the clearing is in this hub's
log. Both hubs on the database under test (SQLite, and PostgreSQL in the second run)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hub_support import PLATFORM, T0, release
from test_hub_protocol_schemas import assert_valid
from test_hub_tree import LOWER_ID, TOKEN
from test_hub_tree_log import Tree, drain, hubs, publish, rewrite_leaf, wired  # noqa: F401  (the fixtures)
from test_hub_tree_proofs import clear_live, forge, stored_rows

from tenderhub.crypto import keys, signing
from tenderhub.hub import flags, monitor, protocol, proven, transparency, tree
from tenderhub.hub.context import Hub
from tenderhub.hub.protocol import envelope
from tenderhub.hub.relay import Refused
from tenderhub.hub.tlog import SignedTreeHead
from tenderhub.hub.tlog.sqlstore import leaves, nodes
from tenderhub.hub.tlog.sth import tree_head_bytes

ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def false_claim(t: Tree) -> dict[str, Any]:
    """A release the platform signed and the lower hub never logged, forwarded under another leaf's proof."""
    publish(t, range(0, 3))
    drain(t.forwarder)
    body = proven.releases_post(t.lower, LOWER_ID, t.view()["tree_head"]["size"], stored_rows(t)[:1])
    hidden = envelope(PLATFORM, t.platform.pair, release(9))
    return forge(t, {**body, "releases": [{**hidden, "log": body["releases"][0]["log"]}]})


def clear_url(flag_id: int) -> str:
    return f"/hub/lower-hubs/{LOWER_ID}/flags/{flag_id}:clear"


def log_entries(t: Tree) -> list[dict[str, Any]]:
    return [json.loads(e["entry"]) for e in t.upstream.get("/hub/log/entries").json()["entries"]]


def state(t: Tree) -> tuple[Any, ...]:
    """What a refused clearing must leave as it was: the flags, the accepted heads, the log's size."""
    with t.upper.engine.connect() as conn:
        rows = conn.execute(sa.select(flags.flags).order_by(flags.flags.c.id)).all()
        heads = conn.execute(sa.select(monitor.tree_heads).order_by(monitor.tree_heads.c.size)).all()
    return [tuple(r) for r in rows], [tuple(h) for h in heads], transparency.merkle_log(t.upper.engine).size()


def test_a_false_claim_flags_the_lower_hub_and_what_it_vouches_for_is_refused(wired: Tree) -> None:  # noqa: F811
    answer = wired.upstream.post(proven.RELEASES_PATH, json=false_claim(wired)).json()
    assert answer["results"][0]["error"]["code"] == "not_in_lower_log"
    view = wired.view()
    [flag] = view["flags"]["live"]
    unproven = wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/unproven").json()["unproven"][0]
    assert (view["state"], view["fork"], flag["kind"], flag["evidence"]["unproven"]) == ("false_claim", None, "false_claim", unproven["id"])
    assert flag["evidence"]["claim"] == protocol.digest(unproven["evidence"]["claim"])
    logged = log_entries(wired)[flag["leaf_index"]]  # the flag is in the upper hub's log, committing to its evidence
    assert (logged["kind"], logged["hub"], logged["flag"], logged["evidence"]) == ("flag", LOWER_ID, flag["id"], protocol.digest(flag["evidence"]))
    publish(wired, range(3, 5))
    with pytest.raises(Refused, match="hub_flagged"):  # its next round: the tree head is refused, naming the evidence
        drain(wired.forwarder)
    again = wired.upstream.post(proven.RELEASES_PATH, json=proven.releases_post(wired.lower, LOWER_ID, view["tree_head"]["size"], stored_rows(wired)[:1]))
    assert (again.status_code, again.json()["code"]) == (409, "hub_flagged") and f"/hub/lower-hubs/{LOWER_ID}/flags" in again.json()["message"]["en"]
    assert "第45条" in again.json()["message"]["en"] and "第45条" in again.json()["message"]["zh"]
    forwarded = wired.upstream.post(tree.FORWARD_PATH, json=tree.forwarded_registration(wired.lower, LOWER_ID, _platform_row(wired.lower)))
    assert forwarded.json()["code"] == "hub_flagged"
    direct = wired.upstream.post("/hub/releases", json=envelope(PLATFORM, wired.platform.pair, release(7)))
    assert direct.status_code == 201  # as after a fork (ADR 0015): its platforms may post past it


def _platform_row(hub: Hub) -> Any:
    from tenderhub.hub import tables

    with hub.engine.connect() as conn:
        return conn.execute(sa.select(tables.platforms).where(tables.platforms.c.id == PLATFORM)).one()


def test_bad_input_and_an_unknown_tree_head_flag_nobody(wired: Tree) -> None:  # noqa: F811
    claim = false_claim(wired)
    malformed = wired.upstream.post(proven.RELEASES_PATH, content=b'{"hub_id": "hub-beijing", "size": ', headers={"Content-Type": "application/json"})
    unknown = wired.upstream.post(proven.RELEASES_PATH, json=forge(wired, {**claim, "size": claim["size"] + 1}))
    unsigned = wired.upstream.post(proven.RELEASES_PATH, json={**claim, "signature": forge(wired, {**claim, "size": 1})["signature"]})
    assert [(r.status_code, r.json().get("code")) for r in (unknown, unsigned)] == [(409, "unknown_tree_head"), (401, "bad_signature")]
    assert malformed.status_code in (400, 422)
    view = wired.view()
    assert (view["state"], view["flags"], view["refusals"]["unproven_claims"]) == ("ok", {"live": [], "cleared": 0}, 0)
    assert wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/flags").json()["flags"] == []


def test_a_cleared_false_claim_lets_forwards_through_again_and_its_evidence_stays(wired: Tree) -> None:  # noqa: F811
    wired.upstream.post(proven.RELEASES_PATH, json=false_claim(wired))
    publish(wired, range(3, 5))
    with pytest.raises(Refused, match="hub_flagged"):
        drain(wired.forwarder)
    [cleared] = clear_live(wired, "转发程序缺陷，已修复 / a forwarder bug, fixed")
    assert (cleared["clearance"]["reason"], cleared["clearance"]["operator"], cleared["clearance"]["by"]) == (
        "转发程序缺陷，已修复 / a forwarder bug, fixed", "王五", "hub-admin")
    assert cleared["clearance"]["address"] == "testclient" and cleared["cleared_at"] == T0.isoformat()
    drain(wired.forwarder)  # accepted again
    assert wired.upstream.get(f"/hub/releases/{release(4)['id']}").status_code == 200
    view = wired.view()
    assert (view["state"], view["flags"]["live"], view["flags"]["cleared"]) == ("ok", [], 1)
    public = wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/flags").json()["flags"]
    assert [f["id"] for f in public] == [cleared["id"]] and public[0]["evidence"] == cleared["evidence"]
    assert "address" not in public[0]["clearance"]  # the operator's address: to the administrator only
    assert len(wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/unproven").json()["unproven"]) == 1  # the evidence stays
    logged = log_entries(wired)[cleared["clearance"]["leaf_index"]]
    assert logged == {"v": 1, "kind": "flag_cleared", "hub": LOWER_ID, "flag": cleared["id"], "cleared_at": T0.isoformat(timespec="microseconds"),
                      "reason": "转发程序缺陷，已修复 / a forwarder bug, fixed", "operator": "王五"}


@pytest.mark.parametrize(("body", "headers", "status", "field"), [
    ({"operator": "王五"}, ADMIN, 422, "/reason"),
    ({"reason": "   ", "operator": "王五"}, ADMIN, 422, "/reason"),
    ({"reason": "x" * 2001, "operator": "王五"}, ADMIN, 422, "/reason"),
    ({"reason": "查明", "operator": ""}, ADMIN, 422, "/operator"),
    ({"reason": "查明", "operator": "王五"}, {}, 401, "authorization"),
    ({"reason": "查明", "operator": "王五"}, {"Authorization": "Bearer wrong"}, 401, "authorization"),
    ({"reason": "查明", "operator": "王五", "tree_head": "abc"}, ADMIN, 422, "/tree_head"),
], ids=["no-reason", "blank-reason", "long-reason", "no-operator", "no-token", "wrong-token", "bad-tree-head"])
def test_a_refused_clearing_names_the_field_and_changes_nothing(wired: Tree, body: dict[str, Any], headers: dict[str, str],  # noqa: F811
                                                                 status: int, field: str) -> None:
    wired.upstream.post(proven.RELEASES_PATH, json=false_claim(wired))
    [flag] = wired.view()["flags"]["live"]
    before = state(wired)
    answer = wired.upstream.post(clear_url(flag["id"]), json=body, headers=headers)
    assert (answer.status_code, answer.json()["field"]) == (status, field), answer.text
    assert state(wired) == before and wired.view()["state"] == "false_claim"


def test_a_false_claims_clearing_takes_no_tree_head_and_a_flag_is_cleared_once(wired: Tree) -> None:  # noqa: F811
    wired.upstream.post(proven.RELEASES_PATH, json=false_claim(wired))
    [flag] = wired.view()["flags"]["live"]
    before = state(wired)
    head = transparency.tree_head(wired.lower).as_dict()
    with_head = wired.upstream.post(clear_url(flag["id"]), json={"reason": "查明", "operator": "王五", "tree_head": head}, headers=ADMIN)
    unknown = wired.upstream.post(clear_url(flag["id"] + 1), json={"reason": "查明", "operator": "王五"}, headers=ADMIN)
    assert [(a.status_code, a.json()["code"]) for a in (with_head, unknown)] == [(422, "tree_head_not_taken"), (404, "not_found")]
    assert state(wired) == before
    clear_live(wired)
    twice = wired.upstream.post(clear_url(flag["id"]), json={"reason": "再次", "operator": "王五"}, headers=ADMIN)
    assert (twice.status_code, twice.json()["code"]) == (409, "already_cleared")


# ---- a fork ------------------------------------------------------------------------------------


def saved_leaf(hub: Hub, index: int) -> tuple[bytes, bytes, bytes]:
    with hub.engine.connect() as conn:
        leaf = conn.execute(sa.select(leaves.c.entry, leaves.c.leaf_hash).where(leaves.c.idx == index)).one()
        node = conn.execute(sa.select(nodes.c.hash).where(nodes.c.level == 1, nodes.c.idx == index // 2)).scalar_one()
    return bytes(leaf.entry), bytes(leaf.leaf_hash), bytes(node)


def restore_leaf(hub: Hub, index: int, saved: tuple[bytes, bytes, bytes]) -> None:
    """The investigation's outcome: the lower hub's operator puts the original leaf back."""
    entry, hashed, node = saved
    with hub.engine.begin() as conn:
        conn.execute(sa.update(leaves).where(leaves.c.idx == index).values(entry=entry, leaf_hash=hashed))
        conn.execute(sa.update(nodes).where(nodes.c.level == 1, nodes.c.idx == index // 2).values(hash=node))


def signed_head(pair: keys.KeyPair, fingerprint: str, size: int, root: str, at: Any) -> dict[str, Any]:
    raw = base64.b64encode(signing.sign(pair.suite, pair.private_pem, tree_head_bytes(size, root, at, fingerprint))).decode()
    return SignedTreeHead(size, root, at, raw, fingerprint).as_dict()


def forked(t: Tree) -> tuple[dict[str, Any], tuple[bytes, bytes, bytes]]:
    """The lower hub's log rewritten at leaf 1 and caught: (the live fork flag, the original leaf)."""
    publish(t, range(0, 3))
    drain(t.forwarder)
    saved = saved_leaf(t.lower, 1)
    rewrite_leaf(t.lower, 1)
    with pytest.raises(Refused, match="hub_log_forked"):
        drain(t.forwarder)
    [flag] = t.view()["flags"]["live"]
    assert (t.view()["state"], flag["kind"]) == ("forked", "fork")
    return flag, saved


def test_a_fork_is_cleared_with_a_tree_head_of_the_lower_hub_that_extends_the_accepted_one(wired: Tree) -> None:  # noqa: F811
    flag, saved = forked(wired)
    accepted = wired.view()["tree_head"]
    restore_leaf(wired.lower, 1, saved)
    publish(wired, range(3, 5))  # the lower hub goes on from its restored log
    head = transparency.tree_head(wired.lower)
    proof = [h.hex() for h in transparency.merkle_log(wired.lower.engine).consistency_proof(accepted["size"], head.size)]
    body = {"reason": "备份恢复了被改写的叶子 / the rewritten leaf restored from backup", "operator": "王五", "tree_head": head.as_dict(), "consistency": proof}
    answer = wired.upstream.post(clear_url(flag["id"]), json=body, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert answer.json()["clearance"]["tree_head"] == head.as_dict()
    view = wired.view()
    assert (view["state"], view["fork"], view["tree_head"], view["flags"]["cleared"]) == ("ok", None, head.as_dict(), 1)
    logged = [(e["kind"], e.get("size"), e.get("tree_size")) for e in log_entries(wired)[-2:]]
    assert logged == [("tree_head", head.size, None), ("flag_cleared", None, head.size)]
    drain(wired.forwarder)  # forwards accepted again, judged from the head accepted going forward
    assert wired.upstream.get(f"/hub/releases/{release(4)['id']}").status_code == 200
    [kept] = wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/flags").json()["flags"]
    assert kept["evidence"] == flag["evidence"] and kept["cleared_at"] is not None  # the evidence stays


def test_a_forks_clearing_refuses_a_tree_head_missing_foreign_inconsistent_or_older_and_changes_nothing(wired: Tree) -> None:  # noqa: F811
    flag, saved = forked(wired)
    accepted, fingerprint = wired.view()["tree_head"], wired.lower.key_info()["fingerprint"]
    rewritten = transparency.tree_head(wired.lower)  # the second history: not consistent with the accepted head
    restore_leaf(wired.lower, 1, saved)
    good = transparency.tree_head(wired.lower)
    other = keys.generate("intl")
    cases = {
        "missing": ({}, 422, "/tree_head", None),
        "foreign": ({"tree_head": signed_head(other, fingerprint, good.size, good.root_hex, T0)}, 422, "/tree_head/signature", "bad_sth"),
        "inconsistent": ({"tree_head": rewritten.as_dict()}, 422, "/consistency", "not_consistent"),
        "older": ({"tree_head": signed_head(wired.lower.signing_pair(), fingerprint, good.size, good.root_hex, T0 - timedelta(minutes=1))},
                  422, "/tree_head/timestamp", "tree_head_before_fork"),
        "no-reason": ({"tree_head": good.as_dict(), "reason": ""}, 422, "/reason", None),
        "no-token": ({"tree_head": good.as_dict()}, 401, "authorization", None),
    }
    before = state(wired)
    for name, (extra, status, field, code) in cases.items():
        headers = {} if name == "no-token" else ADMIN
        answer = wired.upstream.post(clear_url(flag["id"]), json={"reason": "查明", "operator": "王五", **extra}, headers=headers)
        assert (answer.status_code, answer.json()["field"]) == (status, field), (name, answer.text)
        assert code is None or answer.json()["code"] == code, (name, answer.text)
    assert state(wired) == before and wired.view()["state"] == "forked"
    assert accepted == wired.view()["tree_head"]
    same = wired.upstream.post(clear_url(flag["id"]), json={"reason": "查明", "operator": "王五", "tree_head": good.as_dict()}, headers=ADMIN)
    assert same.status_code == 200 and wired.view()["state"] == "ok"  # the accepted tree itself, re-signed: no proof needed


def test_the_monitor_lists_a_hub_flagged_for_a_false_claim(wired: Tree) -> None:  # noqa: F811
    wired.upstream.post(proven.RELEASES_PATH, json=false_claim(wired))
    [listed] = wired.upstream.get("/hub/lower-hubs").json()
    assert (listed["state"], len(listed["flags"]["live"])) == ("false_claim", 1)
    assert_valid("lower-hub", listed)

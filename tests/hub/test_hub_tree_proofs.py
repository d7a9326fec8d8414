"""ADR 0029: what a lower hub forwards must be in its own log. Each forwarded release and chain
head carries its leaf and inclusion proof under a tree head the upper hub accepted; the lower
hub signs the claim. An item not proven is refused and the refusal kept with the evidence,
public; the upper hub's own log commits to every tree head of its lower hubs; the upper hub
shows what it refused of each lower hub. Both hubs on the database under test (SQLite, and
PostgreSQL in the second run)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hub_support import PLATFORM, T0, client_for, registration, release
from test_hub_protocol_schemas import assert_valid, errors
from test_hub_tree import LOWER_ID, TOKEN
from test_hub_tree_log import Tree, drain, hubs, publish, rewrite_leaf, wired  # noqa: F401  (the fixtures)

from tenderhub.hub import protocol, proven, stored, tables, transparency
from tenderhub.hub.protocol import envelope
from tenderhub.hub.relay import Refused
from tenderhub.hub.tlog import (
    SignedTreeHead,
    entry_for_release,
    leaf_hash,
    verify_inclusion,
    verify_sth,
)


def stored_rows(t: Tree) -> list[Any]:
    with t.lower.engine.connect() as conn:
        return list(conn.execute(stored.stored_query().order_by(tables.releases.c.position)).all())


def forge(t: Tree, body: dict[str, Any], name: str = "releases") -> dict[str, Any]:
    """The lower hub signs the (changed) claim: it is its own, the upper hub must judge it."""
    items = body[name]
    claim = proven.signed_part(LOWER_ID, body["size"], [i["log"] for i in items], [proven.bare(i) for i in items])
    return {**body, "signature": protocol.sign(t.lower.signing_pair(), claim)}


def clear_live(t: Tree, reason: str = "调查结束 / investigated") -> list[dict[str, Any]]:
    """The upper hub's administrator clears every live flag of the lower hub (no tree head: false claims)."""
    live = t.view()["flags"]["live"]
    answers = [t.upstream.post(f"/hub/lower-hubs/{LOWER_ID}/flags/{f['id']}:clear", json={"reason": reason, "operator": "王五"},
                               headers={"Authorization": f"Bearer {TOKEN}"}) for f in live]
    assert [a.status_code for a in answers] == [200] * len(live), [a.text for a in answers]
    return [a.json() for a in answers]


def evidence_holds(t: Tree, record: dict[str, Any]) -> None:
    """What anyone can check with the lower hub's key alone: the hub signed the claim and the tree
    head; the item hashes to what the claim names; and the claim's proof fails for it."""
    evidence, key = record["evidence"], t.lower.signing_pair()
    claim = {k: v for k, v in evidence["claim"].items() if k != "signature"}
    assert protocol.verify(key.suite, key.public_pem, claim, evidence["claim"]["signature"])
    sth = SignedTreeHead.from_dict(evidence["tree_head"])
    assert verify_sth(sth, key.public_pem) and sth.size == claim["size"]
    for n in evidence["failed"]:
        item, signed = evidence["items"][str(n)], claim["items"][n]
        assert hashlib.sha256(protocol.canonical(item)).hexdigest() == signed["item"]
        path = [bytes.fromhex(h) for h in signed["audit_path"]]
        included = verify_inclusion(leaf_hash(signed["entry"].encode()), signed["leaf_index"], sth.size, path, sth.root)
        fields = json.loads(signed["entry"])
        assert not included or fields.get("release_id", fields.get("seq")) != item.get("release", {}).get("id", item.get("seq"))


def test_forwarded_releases_and_heads_carry_proofs_in_the_lower_hubs_log(wired: Tree) -> None:  # noqa: F811
    publish(wired, range(0, 3))
    assert wired.head(4).status_code == 201
    drain(wired.forwarder)
    view = wired.view()
    assert view["refusals"] == {"count": 0, "by_what": {}, "last_refused_at": None, "unproven_claims": 0}
    body = proven.releases_post(wired.lower, LOWER_ID, view["tree_head"]["size"], stored_rows(wired))
    root = bytes.fromhex(view["tree_head"]["root"])
    for item in body["releases"]:  # every leaf the lower hub names is the release's, under the accepted root
        log = item["log"]
        assert json.loads(log["entry"])["release_id"] == item["release"]["id"]
        assert verify_inclusion(leaf_hash(log["entry"].encode()), log["leaf_index"], body["size"], [bytes.fromhex(h) for h in log["audit_path"]], root)
    assert_valid("forwarded-releases", body)
    assert_valid("forwarded-heads", proven.heads_post(wired.lower, LOWER_ID, body["size"], transparency.signed_heads(wired.lower, -1, 10)))
    again = wired.upstream.post(proven.RELEASES_PATH, json=body).json()
    assert again["repeat"] == 3 and not errors("batch-response", again)  # the same, proven again: repeats


def test_a_release_the_lower_hub_did_not_log_is_refused_and_the_evidence_kept(wired: Tree) -> None:  # noqa: F811
    publish(wired, range(0, 3))
    drain(wired.forwarder)
    size = wired.view()["tree_head"]["size"]
    body = proven.releases_post(wired.lower, LOWER_ID, size, stored_rows(wired)[:1])
    hidden = envelope(PLATFORM, wired.platform.pair, release(9))  # the platform signed it; the lower hub never logged it
    swapped = forge(wired, {**body, "releases": [{**hidden, "log": body["releases"][0]["log"]}]})  # another leaf's proof
    entry = entry_for_release(release(9)["ocid"], release(9)["id"], protocol.digest(release(9)), PLATFORM, T0)
    invented = forge(wired, {**body, "releases": [{**hidden, "log": {"leaf_index": 1, "entry": entry.decode(), "audit_path": body["releases"][0]["log"]["audit_path"]}}]})
    for claim in (swapped, invented):
        answer = wired.upstream.post(proven.RELEASES_PATH, json=claim).json()
        assert answer["refused"] == 1 and answer["results"][0]["error"]["code"] == "not_in_lower_log", answer
        assert answer["results"][0]["error"]["field"] == "/releases/0/log"
        clear_live(wired)  # each false claim flags the hub (ADR 0031): cleared, so the next one is judged
    assert wired.upstream.get(f"/hub/releases/{release(9)['id']}").status_code == 404
    records = wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/unproven").json()["unproven"]
    assert [(r["what"], r["subjects"]) for r in records] == [("release", [release(9)["id"]])] * 2
    for record in records:
        evidence_holds(wired, record)
    summary = wired.view()["refusals"]
    assert (summary["count"], summary["by_what"], summary["unproven_claims"]) == (1, {"release": 1}, 2)
    refused = wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/refusals").json()["refusals"]
    assert [(r["what"], r["subject"], r["status"], r["code"], r["times"]) for r in refused] == [("release", release(9)["id"], 422, "not_in_lower_log", 2)]


def test_a_chain_head_the_lower_hub_did_not_log_is_refused_and_kept(wired: Tree) -> None:  # noqa: F811
    assert wired.head(3).status_code == 201
    drain(wired.forwarder)
    size = wired.view()["tree_head"]["size"]
    body = proven.heads_post(wired.lower, LOWER_ID, size, transparency.signed_heads(wired.lower, -1, 10))
    other = transparency.head_body(PLATFORM, wired.platform.pair, 8, "ab" * 32)  # signed by the platform, never logged below
    claim = forge(wired, {**body, "heads": [{**other, "log": body["heads"][0]["log"]}]}, "heads")
    results = wired.upstream.post(proven.HEADS_PATH, json=claim).json()["results"]
    assert (results[0]["status"], results[0]["error"]["code"], results[0]["error"]["field"]) == ("refused", "not_in_lower_log", "/heads/0/log")
    assert [h["seq"] for h in wired.upstream.get(f"/hub/platforms/{PLATFORM}/chain-heads").json()["heads"]] == [3]
    record = wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/unproven").json()["unproven"][0]
    assert (record["what"], record["subjects"]) == ("chain_head", [f"{PLATFORM}#8"])
    evidence_holds(wired, record)


def test_a_claim_the_lower_hub_did_not_sign_or_under_an_unknown_tree_head_flags_nobody(wired: Tree) -> None:  # noqa: F811
    publish(wired, range(0, 2))
    drain(wired.forwarder)
    size = wired.view()["tree_head"]["size"]
    body = proven.releases_post(wired.lower, LOWER_ID, size, stored_rows(wired))
    hidden = envelope(PLATFORM, wired.platform.pair, release(9))
    swapped = {**body, "releases": [{**hidden, "log": body["releases"][0]["log"]}, body["releases"][1]]}  # not re-signed
    answer = wired.upstream.post(proven.RELEASES_PATH, json=swapped)
    assert (answer.status_code, answer.json()["code"]) == (401, "bad_signature")
    unknown = forge(wired, {**body, "size": size + 1})
    answer = wired.upstream.post(proven.RELEASES_PATH, json=unknown)
    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (409, "unknown_tree_head", "/size")
    bare = {k: v for k, v in body.items()}
    bare["releases"] = [{k: v for k, v in r.items() if k != "log"} for r in body["releases"]]
    assert wired.upstream.post(proven.RELEASES_PATH, json=bare).json()["field"] == "/releases/0/log"
    assert wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/unproven").json()["unproven"] == []
    assert wired.view()["refusals"]["count"] == 0


def test_the_upper_hubs_log_commits_to_every_tree_head_of_the_lower_hub_the_forked_one_too(wired: Tree) -> None:  # noqa: F811
    publish(wired, range(0, 2))
    drain(wired.forwarder)
    publish(wired, range(2, 3))
    drain(wired.forwarder)
    accepted = wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/tree-heads").json()["tree_heads"]
    rewrite_leaf(wired.lower, 1)
    publish(wired, range(3, 5))
    with pytest.raises(Refused, match="hub_log_forked"):
        drain(wired.forwarder)
    entries = [json.loads(e["entry"]) for e in wired.upstream.get("/hub/log/entries").json()["entries"]]
    logged = [(e["hub"], e["size"], e["root"], e["signature"]) for e in entries if e["kind"] == "tree_head"]
    assert len(accepted) == 2 and logged[:2] == [(LOWER_ID, h["size"], h["root"], h["signature"]) for h in accepted]
    forked = wired.view()["fork"]["evidence"]["presented"]
    assert logged[2:] == [(LOWER_ID, forked["size"], forked["root"], forked["signature"])]  # the second history, in the log


def test_after_a_fork_the_platforms_may_post_past_their_hub(wired: Tree) -> None:  # noqa: F811
    """ADR 0015 stands: a forked hub loses what it vouches for, its platforms keep their record."""
    publish(wired, range(0, 2))
    drain(wired.forwarder)
    body = envelope(PLATFORM, wired.platform.pair, release(7))
    assert wired.upstream.post("/hub/releases", json=body).json()["code"] == "forwarded_only"
    rewrite_leaf(wired.lower, 1)
    publish(wired, range(2, 3))
    with pytest.raises(Refused, match="hub_log_forked"):
        drain(wired.forwarder)
    assert wired.view()["state"] == "forked"
    assert wired.upstream.post("/hub/releases", json=body).status_code == 201
    head = transparency.head_body(PLATFORM, wired.platform.pair, 2, "cd" * 32)
    assert wired.upstream.post(transparency.HEADS_PATH, json=head).status_code == 201


def test_the_monitor_shows_what_the_upper_hub_refused_of_each_lower_hub(wired: Tree) -> None:  # noqa: F811
    squatter = wired.upstream.post("/hub/platforms", json=registration(PLATFORM), headers={"Authorization": f"Bearer {TOKEN}"})
    assert squatter.status_code == 201  # the platform's id is taken upstream by another key
    assert wired.head(3).status_code == 201
    wired.forwarder.forward_once()
    summary = wired.view()["refusals"]
    assert summary["by_what"] == {"registration": 1, "chain_head": 1} and summary["last_refused_at"] == T0.isoformat()
    refused = {(r["what"], r["subject"], r["code"]) for r in wired.upstream.get(f"/hub/lower-hubs/{LOWER_ID}/refusals").json()["refusals"]}
    assert refused == {("registration", PLATFORM, "conflict"), ("chain_head", f"{PLATFORM}#3", "bad_signature")}
    listed = wired.upstream.get("/hub/lower-hubs").json()
    assert [h["refusals"]["count"] for h in listed] == [2]
    lower_side = {(r["what"], r["subject"]) for r in client_for(wired.lower).get("/hub/upstream/refusals").json()["refusals"]}
    assert lower_side == {(what, subject) for what, subject, _code in refused}  # what the lower hub recorded on its side agrees

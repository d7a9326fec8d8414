"""Security review of the hub tree: a permanent refusal upstream is recorded and forwarding goes
on past it; the upper hub shows how stale a lower hub's tree head is; only a platform logs chain
heads as itself; concurrent forwarded registrations of one id are a clean outcome. Both hubs on
the database under test (SQLite, and PostgreSQL in the second run)."""

from __future__ import annotations

from test_hub_tree_log import Tree, hubs, wired  # noqa: F401  (the fixtures)
from test_hub_tree import LOWER_ID

from tenderhub.hub import transparency


def test_a_lower_hub_cannot_log_chain_heads_under_its_own_id(wired: Tree) -> None:  # noqa: F811
    wired.forwarder.forward_once()  # joined: LOWER_ID is a member of kind hub
    body = transparency.head_body(LOWER_ID, wired.lower.signing_pair(), 1, "ab" * 32)
    answer = wired.upstream.post(transparency.HEADS_PATH, json=body)
    assert (answer.json()["code"], answer.json()["field"]) == ("not_a_platform", "/platform_id")
    assert wired.upstream.get(f"/hub/platforms/{LOWER_ID}/chain-heads").json()["heads"] == []

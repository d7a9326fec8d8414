"""Review of the upper hub's monitor (hub/monitor.py): once a lower hub is flagged, nothing it
signs is accepted any more, even a tree head whose request passed the flag check before the
fork was recorded (two requests at once: the judge re-reads the flag under its lock)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hub_support import T0
from test_hub_tree import LOWER_ID
from test_hub_tree_log import Tree, drain, hubs, publish, wired  # noqa: F401 (fixtures)

from tenderhub.core.shared.errors import Conflict
from tenderhub.crypto import signing
from tenderhub.hub import monitor, protocol, transparency
from tenderhub.hub.context import Hub
from tenderhub.hub.tlog import SignedTreeHead
from tenderhub.hub.tlog.sth import tree_head_bytes


def forged_post(lower: Hub, size: int, first: int) -> dict[str, Any]:
    """The lower hub signs a head of ``size`` leaves with another root: a second history."""
    pair, fingerprint = lower.signing_pair(), lower.key_info()["fingerprint"]
    root = "ee" * 32
    raw = base64.b64encode(signing.sign(pair.suite, pair.private_pem, tree_head_bytes(size, root, T0, fingerprint))).decode()
    sth = SignedTreeHead(size, root, T0, raw, fingerprint).as_dict()
    return {"hub_id": LOWER_ID, "sth": sth, "first": first, "consistency": [],
            "signature": protocol.sign(pair, monitor.signed_part(LOWER_ID, sth, first, []))}


def test_a_tree_head_judged_after_its_hub_was_flagged_meanwhile_is_refused(wired: Tree) -> None:  # noqa: F811
    publish(wired, range(0, 3))
    drain(wired.forwarder)
    accepted = wired.view()["tree_head"]
    publish(wired, range(3, 5))
    good = monitor.parse(monitor.tree_head_post(wired.lower, LOWER_ID, transparency.tree_head(wired.lower), accepted["size"]))
    bad = monitor.parse(forged_post(wired.lower, accepted["size"], accepted["size"]))
    for _post in (good, bad):  # both requests pass the unlocked flag check before either is judged
        monitor.lower_hub_key(wired.upper, LOWER_ID)
    with pytest.raises(Conflict) as forked:
        monitor._judge(wired.upper, bad)
    assert forked.value.code == "hub_log_forked"
    with pytest.raises(Conflict) as refused:
        monitor._judge(wired.upper, good)
    assert refused.value.code == "hub_forked"
    view = wired.view()
    assert (view["state"], view["tree_head"], view["accepted"]) == ("forked", accepted, 1)


def test_a_second_forged_head_at_once_is_answered_hub_forked_not_busy(wired: Tree) -> None:  # noqa: F811
    publish(wired, range(0, 3))
    drain(wired.forwarder)
    size = wired.view()["tree_head"]["size"]
    first, second = (monitor.parse(forged_post(wired.lower, size, size)) for _ in range(2))
    with pytest.raises(Conflict, match="not consistent"):
        monitor._judge(wired.upper, first)
    with pytest.raises(Conflict) as again:
        monitor._judge(wired.upper, second)
    assert again.value.code == "hub_forked"

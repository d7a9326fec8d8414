"""The checks of the exchange conformance suite, each over HTTP only (docs/conformance.md).

Each check takes the ``Probe`` (what earlier checks learnt: the platform's key, its feed) and
returns a ``Check`` that passed, failed with the reason, or was skipped (a skipped check is
not a pass). The kit never needs the platform's database or code.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from tenderhub.conformance.instruction import signed_instruction
from tenderhub.conformance.report import Check, spec
from tenderhub.core.shared.clock import SystemClock, beijing
from tenderhub.crypto import keys
from tenderhub.crypto.errors import CryptoError
from tenderhub.crypto.keys import KeyPair
from tenderhub.exchange.ocds.validate import validate_release
from tenderhub.hub import protocol

PAGE, SECOND_PAGE, SECOND_READ = 100, 3, 60  # the second read: pages of 3 over the first 60 items
IDEMPOTENCY_SAMPLE = 50
MAX_ITEMS = 1_000_000
EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass
class Probe:
    client: httpx.Client
    hub_pair: KeyPair | None = None
    hub: httpx.Client | None = None
    deadline: float = 10.0
    key: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)

    def json(self, path: str, **params: Any) -> tuple[int, Any]:
        answer = self.client.get(path, params=params or None)
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, None

    def verifies(self, doc: Any, signature: Any) -> bool:
        if not self.key or not isinstance(signature, str):
            return False
        try:
            return protocol.verify(self.key["suite"], self.key["public_pem"].encode(), doc, signature)
        except (CryptoError, ValueError, TypeError):
            return False


def check_key(probe: Probe) -> Check:
    check = Check("key", "平台签名公钥已公开 / the platform publishes its signing key", spec("key"))
    status, body = probe.json("/api/exchange/key")
    if status != 200 or not isinstance(body, dict):
        return check.fail(f"GET /api/exchange/key answered HTTP {status}")
    try:
        pem = str(body["public_pem"]).encode()
        suite, print_ = keys.suite_of(pem), keys.fingerprint(pem)
    except (KeyError, CryptoError, ValueError) as exc:
        return check.fail(f"no readable public key: {exc}")
    if (body.get("suite"), body.get("fingerprint")) != (suite, print_):
        return check.fail(f"suite/fingerprint {body.get('suite')}/{body.get('fingerprint')} do not match the key ({suite}/{print_})")
    probe.key = body
    return check.ok(f"{suite} key {print_[:16]}… of platform {body.get('platform_id')}")


def read_feed(probe: Probe, limit: int, upto: int = 10**9) -> tuple[list[dict[str, Any]], str | None]:
    """Every item (or the first ``upto``), page by page; an error text when a page is malformed."""
    items: list[dict[str, Any]] = []
    cursor = 0
    while len(items) < upto:
        status, body = probe.json("/api/exchange/releases", cursor=cursor, limit=limit)
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("items"), list):
            return items, f"GET /api/exchange/releases?cursor={cursor} answered HTTP {status}"
        if not body["items"]:
            return items, None if body.get("next_cursor") == cursor else f"an empty page moved the cursor to {body.get('next_cursor')}"
        items += body["items"]
        if len(items) > MAX_ITEMS:
            return items, f"the feed does not end (over {MAX_ITEMS} items)"
        following = body.get("next_cursor")
        if not isinstance(following, int) or following != body["items"][-1].get("position"):
            return items, f"next_cursor {following!r} is not the last position of the page"
        cursor = following
    return items, None


def check_feed(probe: Probe) -> Check:
    check = Check("feed", "发布订阅有序且完整 / the feed is ordered and complete", spec("feed"))
    items, problem = read_feed(probe, PAGE)
    probe.items = [i for i in items if isinstance(i, dict) and isinstance(i.get("release"), dict)]
    if problem:
        return check.fail(problem)
    if not items:
        return check.fail("the feed is empty: publish at least one tender before certifying")
    positions = [i.get("position") for i in items]
    if positions != list(range(1, len(items) + 1)):
        return check.fail("positions are not 1, 2, 3, … without gaps or repeats", [f"positions: {positions[:20]}"])
    again, problem = read_feed(probe, SECOND_PAGE, SECOND_READ)
    first = [(i["position"], i["release"]["id"]) for i in items[:len(again)]]
    if problem or len(again) < min(len(items), SECOND_READ) or [(i.get("position"), i.get("release", {}).get("id")) for i in again] != first:
        return check.fail(f"reading with pages of {SECOND_PAGE} gives another sequence than pages of {PAGE}", [problem] if problem else [])
    return order_and_coverage(probe, check)


def order_and_coverage(probe: Probe, check: Check) -> Check:
    wrong = [i["release"].get("id") for i in probe.items if i.get("platform_id") != probe.key.get("platform_id")]
    if wrong:
        return check.fail("items name another platform than the key's", [str(w) for w in wrong])
    by_ocid: dict[str, list[dict[str, Any]]] = {}
    for item in probe.items:
        by_ocid.setdefault(str(item["release"].get("ocid")), []).append(item["release"])
    late = [ocid for ocid, rels in by_ocid.items() if "tender" not in (rels[0].get("tag") or [])]
    if late:
        return check.fail("a process does not start with its tender notice release", late)
    backwards = [f"{r.get('id')} ({r.get('date')})" for rels in by_ocid.values() for prev, r in itertools.pairwise(rels)
                 if stamp(r.get("date")) < stamp(prev.get("date"))]
    if backwards:
        return check.fail("a release comes before an older one of the same process", backwards)
    missing = unpublished_tenders(probe, by_ocid)
    if missing:
        return check.fail("published tenders without a release in the feed", missing)
    return check.ok(f"{len(probe.items)} releases of {len(by_ocid)} processes, positions 1–{len(probe.items)}, the same in pages of {PAGE} and of {SECOND_PAGE}")


def stamp(text: Any) -> datetime:
    """The release date (an unreadable or offset-less date sorts first: the schema check names it)."""
    try:
        parsed = datetime.fromisoformat(str(text))
    except ValueError:
        return EARLIEST
    return parsed if parsed.tzinfo is not None else EARLIEST


def unpublished_tenders(probe: Probe, by_ocid: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Tenders the platform lists publicly (published) whose code ends no ocid of the feed."""
    status, tenders = probe.json("/api/tenders", limit=200)
    if status != 200 or not isinstance(tenders, list):
        return [f"GET /api/tenders answered HTTP {status}"]
    listed = [t for t in tenders if isinstance(t, dict) and t.get("published_at")]
    return [str(t.get("code")) for t in listed if not any(ocid.endswith(f"-{t.get('code')}") for ocid in by_ocid)]


def check_signatures(probe: Probe) -> Check:
    check = Check("signatures", "发布签名有效 / every release is signed by the published key", spec("signatures"))
    if not probe.items or not probe.key:
        return check.skip("no key or no releases to check")
    bad = [str(i["release"].get("id")) for i in probe.items if not probe.verifies(i["release"], i.get("signature"))]
    if bad:
        return check.fail(f"{len(bad)} of {len(probe.items)} signatures do not verify over the canonical JSON", bad)
    return check.ok(f"{len(probe.items)} signatures verify ({probe.key['suite']})")


def check_schema(probe: Probe) -> Check:
    check = Check("schema", "OCDS 1.1.5 + 扩展校验零错误 / releases validate with zero errors", spec("schema"))
    if not probe.items:
        return check.skip("no releases to validate")
    found = [f"{i['release'].get('id')}: {p.path} {p.message}" for i in probe.items for p in validate_release(i["release"])]
    if found:
        return check.fail(f"{len(found)} schema problems (OCDS 1.1.5, bids, lots, tenderhub extension)", found)
    return check.ok(f"{len(probe.items)} releases valid against OCDS 1.1.5 with the bids, lots and tenderhub extensions")


def check_ids(probe: Probe) -> Check:
    check = Check("ids", "发布编号唯一 / release ids are unique and belong to their ocid", spec("ids"))
    if not probe.items:
        return check.skip("no releases")
    ids = Counter(str(i["release"].get("id")) for i in probe.items)
    repeated = [f"{rid} ×{n}" for rid, n in ids.items() if n > 1]
    if repeated:
        return check.fail("release ids repeat in the feed", repeated)
    foreign = [str(i["release"].get("id")) for i in probe.items
               if not str(i["release"].get("id")).startswith(f"{i['release'].get('ocid')}-") or not str(i["release"].get("ocid")).startswith("ocds-")]
    if foreign:
        return check.fail("ids must be {ocid}-… and ocids start with a registered ocds- prefix", foreign)
    return check.ok(f"{len(ids)} distinct ids")


def check_idempotency(probe: Probe) -> Check:
    check = Check("idempotency", "同一发布重发字节相同 / the same release id gives identical bytes", spec("idempotency"))
    if not probe.items:
        return check.skip("no releases")
    sample, differing = probe.items[:IDEMPOTENCY_SAMPLE], []
    for item in sample:
        rid = str(item["release"].get("id"))
        copies = [probe.json(f"/api/exchange/releases/{quote(rid, safe='')}") for _ in range(2)]
        if any(status != 200 or not isinstance(body, dict) for status, body in copies):
            differing.append(f"{rid}: HTTP {[s for s, _ in copies]}")
        elif {protocol.canonical(b.get("release")) for _, b in copies} != {protocol.canonical(item["release"])}:
            differing.append(f"{rid}: other bytes than the feed's")
        elif not all(probe.verifies(b["release"], b.get("signature")) for _, b in copies):
            differing.append(f"{rid}: a re-sent copy's signature does not verify")
    if differing:
        return check.fail(f"{len(differing)} of {len(sample)} releases are not re-sent identically", differing)
    return check.ok(f"{len(sample)} releases fetched twice: the same canonical bytes, valid signatures")


def first_tender(probe: Probe) -> str | None:
    status, tenders = probe.json("/api/tenders", limit=200)
    if status != 200 or not isinstance(tenders, list):
        return None
    return next((str(t["id"]) for t in tenders if isinstance(t, dict) and t.get("published_at") and t.get("id")), None)


def check_instruction(probe: Probe) -> Check:
    check = Check("instruction", "监督指令签名回执 / an instruction is acknowledged, signed, in time", spec("instruction"))
    if probe.hub_pair is None:
        return check.skip("needs --hub-key (a key the platform trusts for supervision instructions)")
    tender = first_tender(probe)
    if tender is None or not probe.key:
        return check.skip("needs the platform's key and a published tender")
    body = signed_instruction(probe.hub_pair, id=f"CERT-{uuid.uuid4().hex[:12]}", kind="inquire", tender_id=tender,
                              issued_at=beijing(SystemClock().now()).isoformat(), reason="接入检测 / conformance check")
    started = time.monotonic()
    answer = probe.client.post("/api/instructions", json=body)
    elapsed = time.monotonic() - started
    problems = ack_problems(probe, body, answer, 201)
    if not problems and elapsed > probe.deadline:
        problems.append(f"acknowledged after {elapsed:.2f} s, beyond the deadline of {probe.deadline:.0f} s")
    if not problems:
        problems += repeat_and_refusals(probe, body, answer.json())
    if problems:
        return check.fail("the instruction exchange does not conform", problems)
    return check.ok(f"inquire acknowledged in {elapsed:.2f} s (deadline {probe.deadline:.0f} s), signed; the repeat gave the same acknowledgement; forged and unknown-kind instructions refused")


def ack_problems(probe: Probe, body: dict[str, Any], answer: httpx.Response, expected: int) -> list[str]:
    if answer.status_code != expected:
        return [f"POST /api/instructions answered HTTP {answer.status_code}, expected {expected}: {answer.text[:200]}"]
    ack = answer.json()
    facts = ack.get("acknowledgement") if isinstance(ack, dict) else None
    if not isinstance(facts, dict):
        return ["the answer holds no acknowledgement"]
    out = [] if probe.verifies(facts, ack.get("signature")) else ["the acknowledgement's signature does not verify with the platform's key"]
    wanted = {"instruction_id": body["instruction"]["id"], "digest": "sha256:" + protocol.digest(body["instruction"])}
    out += [f"acknowledgement.{k} is {facts.get(k)!r}, expected {v!r}" for k, v in wanted.items() if facts.get(k) != v]
    return out + [f"acknowledgement.{k} is missing" for k in ("received_at", "outcome") if not facts.get(k)]


def repeat_and_refusals(probe: Probe, body: dict[str, Any], first: dict[str, Any]) -> list[str]:
    assert probe.hub_pair is not None
    out: list[str] = []
    again = probe.client.post("/api/instructions", json=body)
    if again.status_code != 200 or again.json() != first:
        out.append(f"the repeated instruction got HTTP {again.status_code} and {'the same' if again.json() == first else 'another'} acknowledgement")
    forged = {**body, "instruction": {**body["instruction"], "id": body["instruction"]["id"] + "-F", "reason": "forged"}}
    refused = probe.client.post("/api/instructions", json=forged)
    if refused.status_code not in (401, 403):
        out.append(f"an instruction with a forged signature got HTTP {refused.status_code}, expected 401 or 403")
    odd = signed_instruction(probe.hub_pair, id=body["instruction"]["id"] + "-K", kind="dissolve",
                             tender_id=body["instruction"]["tender_id"], issued_at=body["instruction"]["issued_at"])
    unknown = probe.client.post("/api/instructions", json=odd)
    if unknown.status_code != 422:
        out.append(f"an instruction of unknown kind got HTTP {unknown.status_code}, expected 422")
    return out


def check_hub(probe: Probe) -> Check:
    check = Check("hub", "公共服务平台已收到全部发布 / the hub holds every release, byte for byte", spec("hub"))
    if probe.hub is None or not probe.items:
        return check.skip("no hub given or no releases")
    missing = []
    for item in probe.items:
        rid = str(item["release"].get("id"))
        answer = probe.hub.get(f"/hub/releases/{quote(rid, safe='')}")
        if answer.status_code != 200:
            missing.append(f"{rid}: HTTP {answer.status_code}")
        elif protocol.canonical(answer.json().get("release")) != protocol.canonical(item["release"]):
            missing.append(f"{rid}: the hub holds other bytes")
    if missing:
        return check.fail(f"{len(missing)} of {len(probe.items)} releases are not at the hub as the platform publishes them", missing)
    return check.ok(f"all {len(probe.items)} releases are at the hub with the same canonical bytes")


CHECKS = (check_key, check_feed, check_signatures, check_schema, check_ids, check_idempotency, check_instruction)

"""Building a signed supervision instruction (the body of ``POST /api/instructions``)."""

from __future__ import annotations

from typing import Any

from tenderhub.crypto import keys
from tenderhub.crypto.keys import KeyPair
from tenderhub.hub import protocol

BASIS = {"suspend": ("招标投标法实施条例", 62), "resume": ("招标投标法实施条例", 62),
         "correct": ("招标投标法", 7), "inquire": ("招标投标法", 7)}


def signed_instruction(pair: KeyPair, *, id: str, kind: str, tender_id: str, issued_at: str,
                       issuer: str = "公共服务平台 / hub", reason: str = "监督检查 / supervision check") -> dict[str, Any]:
    """An instruction signed by ``pair`` over its canonical JSON."""
    law, article = BASIS.get(kind, ("招标投标法实施条例", 62))
    body = {"id": id, "kind": kind, "tender_id": tender_id, "reason": reason, "basis": {"law": law, "article": article},
            "issued_at": issued_at, "issuer": {"name": issuer, "key_fingerprint": keys.fingerprint(pair.public_pem)}}
    return {"instruction": body, "signature": protocol.sign(pair, body)}

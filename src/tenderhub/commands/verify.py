"""``tenderhub verify FILE [--trust CA.pem ...] [--intermediate SUB.pem ...] [--crl CA.crl ...]``:
who signed what, when (电子签名法 第13条); either suite; a certificate a given CRL revokes is refused.
The trusted CAs are the roots; intermediate CAs come with the signature (``signer_chain``) or
with ``--intermediate``, and the whole path is checked (``crypto/chain.py``).

FILE is either a JSON bundle ``{"content_b64" | "content_path", "signature": {...}}``
(``content_path`` relative to the bundle), or any file with its signature in FILE.sig.json.
Exit 0 for a valid signature, 1 with the reason otherwise.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path
from typing import Any

from tenderhub.core.shared.clock import SystemClock, beijing
from tenderhub.core.shared.errors import DomainError
from tenderhub.crypto.documents import VerifiedDocument, verify_document
from tenderhub.crypto.x509 import TrustList


def add_parser(subs: Any) -> None:
    verify = subs.add_parser("verify", help="verify a signed document")
    verify.add_argument("file", type=Path, help="a signed bundle (.json) or a file with FILE.sig.json")
    verify.add_argument("--trust", type=Path, action="append", default=[], help="a trusted CA (repeatable)")
    verify.add_argument("--intermediate", type=Path, action="append", default=[],
                        help="an intermediate CA certificate, not trusted itself (repeatable)")
    verify.add_argument("--crl", type=Path, action="append", default=[],
                        help="a CRL of a trusted or intermediate CA (repeatable)")
    verify.set_defaults(handler=run)


def load(path: Path) -> tuple[dict[str, Any], bytes]:
    """(signature, content) from a bundle or from FILE + FILE.sig.json."""
    if path.suffix == ".json":
        bundle = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(bundle, dict) and "signature" in bundle:
            if "content_b64" in bundle:
                return bundle["signature"], base64.b64decode(bundle["content_b64"])
            return bundle["signature"], (path.parent / bundle["content_path"]).read_bytes()
    sig_path = path.with_name(path.name + ".sig.json")
    return json.loads(sig_path.read_text(encoding="utf-8")), path.read_bytes()


def describe(doc: VerifiedDocument) -> str:
    s = doc.signer
    uscc = f", USCC {s.uscc}" if s.uscc else ""
    path = " → ".join(repr(cn) for cn in s.path) or repr(s.issuer_cn)
    chain = f"certificate issued by {path}, trusted" if doc.trusted else \
        f"certificate issued by {s.issuer_cn!r}, NOT checked (no --trust given)"
    return (f"有效签名 / valid signature: {doc.kind}\n"
            f"  signer:    {s.subject_cn} ({s.kind}{uscc})\n"
            f"  signed at: {beijing(doc.signed_at):%Y-%m-%d %H:%M:%S} Beijing time\n"
            f"  digest:    {doc.digest_alg} {doc.digest}\n"
            f"  {chain}")


def run(args: argparse.Namespace) -> int:
    try:
        sig, content = load(args.file)
        crls = [p.read_bytes() for p in args.crl]
        between = [p.read_bytes() for p in args.intermediate]
        trust = TrustList([p.read_bytes() for p in args.trust], crls, intermediates=between) if args.trust else None
        doc = verify_document(sig, content, trust, now=SystemClock().now())
    except DomainError as e:
        print(f"签名无效 / invalid: {e.message_en}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"无法读取 / unreadable: {e}", file=sys.stderr)
        return 1
    print(describe(doc))
    return 0

"""``tenderhub bidder keygen|seal|decrypt``: the bidder's offline tool (DESIGN §4).

    tenderhub bidder keygen [--suite intl|gm] --out DIR
    tenderhub bidder seal --key DIR --price P --period-days N [--security S] [--security-form F]
                          [--quality Q] [--project-manager NAME] --out PACKAGE FILES...
    tenderhub bidder decrypt --key DIR --package PACKAGE --platform-key OPENING_PUB.pem --out RELEASE
    tenderhub bidder submit --server URL --token TOKEN --tender ID --lot CODE [--chunk-size BYTES] [--whole-max BYTES] PACKAGE
    tenderhub bidder opening-key --server URL [--suite intl|gm] --out FILE

``seal`` encrypts to the bidder's OWN key and writes PACKAGE and PACKAGE.json (the upload
summary); ``submit`` uploads PACKAGE — in one request when it has at most ``--whole-max`` bytes,
else in chunks (resumable: run it again after an interruption) — and keeps the platform's signed receipt in PACKAGE.receipt.json; at the opening, ``decrypt``
releases the content key to the platform's opening key (``opening-key`` fetches it), in a
release signed with the bidder's key (the platform checks it against the key of the bid).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from tenderhub import __version__
from tenderhub.core.shared.clock import SystemClock
from tenderhub.core.shared.errors import DomainError
from tenderhub.crypto import keys, machine, sealing

PRIVATE, PUBLIC, META = "bidder.key", "bidder.pub.pem", "bidder.json"


def add_parser(subs: Any) -> None:
    bidder = subs.add_parser("bidder", help="bidder tool: keys, sealing a bid, releasing its key")
    inner = bidder.add_subparsers(dest="bidder_command", required=True)
    keygen = inner.add_parser("keygen", help="create the bidder's key pair in DIR")
    keygen.add_argument("--suite", default="intl", choices=["intl", "gm"])
    keygen.add_argument("--out", required=True, type=Path)
    keygen.set_defaults(handler=run_keygen)
    _add_seal(inner)
    decrypt = inner.add_parser("decrypt", help="release the content key to the opening key")
    decrypt.add_argument("--key", required=True, type=Path)
    decrypt.add_argument("--package", required=True, type=Path)
    decrypt.add_argument("--platform-key", required=True, type=Path)
    decrypt.add_argument("--out", required=True, type=Path)
    decrypt.set_defaults(handler=run_decrypt)
    _add_submit(inner)
    _add_opening_key(inner)


def _add_seal(inner: Any) -> None:
    seal = inner.add_parser("seal", help="sign and encrypt the bid files into PACKAGE")
    seal.add_argument("--key", required=True, type=Path)
    seal.add_argument("--price", required=True, help="投标报价 (yuan)")
    seal.add_argument("--period-days", required=True, type=int, help="工期/交货期 (days)")
    seal.add_argument("--security", help="投标保证金 amount (yuan)")
    seal.add_argument("--security-form", help="保证金形式 (e.g. 银行保函)")
    seal.add_argument("--quality", help="质量标准")
    seal.add_argument("--project-manager", help="项目经理")
    seal.add_argument("--chunk-size", type=int, default=1 << 20, help=argparse.SUPPRESS)
    seal.add_argument("--out", required=True, type=Path)
    seal.add_argument("files", nargs="+", type=Path)
    seal.set_defaults(handler=run_seal)


def fail(text: str) -> int:
    print(f"错误 / error: {text}", file=sys.stderr)
    return 1


def load_key(folder: Path) -> tuple[str, bytes]:
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    return str(meta["suite"]), (folder / PRIVATE).read_bytes()


def run_keygen(args: argparse.Namespace) -> int:
    pair = keys.generate(args.suite)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        keys.write_private_file(args.out / PRIVATE, pair.private_pem)
    except FileExistsError:
        return fail(f"{args.out / PRIVATE} exists: refusing to replace a key")
    (args.out / PUBLIC).write_bytes(pair.public_pem)
    meta = {"suite": pair.suite, "fingerprint": keys.fingerprint(pair.public_pem)}
    (args.out / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"{pair.suite} key {meta['fingerprint'][:16]}…: {args.out / PRIVATE} (0600), {args.out / PUBLIC}")
    return 0


def amount(text: str | None, name: str) -> str | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{name}: not an amount: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name}: not an amount: {text!r}")
    return str(value)


def price_form(args: argparse.Namespace) -> dict[str, Any]:
    """开标一览表: the structured price form read out at the opening (唱标)."""
    if args.period_days <= 0:
        raise ValueError("--period-days must be positive")
    return {
        "price": amount(args.price, "--price"), "period_days": args.period_days,
        "quality": args.quality, "security_amount": amount(args.security, "--security"),
        "security_form": args.security_form, "project_manager": args.project_manager,
    }


def run_seal(args: argparse.Namespace) -> int:
    try:
        suite, private = load_key(args.key)
        form = price_form(args)
        missing = [str(p) for p in args.files if not p.is_file()]
        if missing:
            raise ValueError(f"not a file: {', '.join(missing)}")
        summary = _seal(args, suite, private, form)
    except (DomainError, OSError, ValueError, KeyError) as e:
        return fail(e.message_en if isinstance(e, DomainError) else str(e))
    summary_path = args.out.with_name(args.out.name + ".json")
    summary_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"sealed {len(args.files)} file(s): {args.out} ({summary['size']} bytes), summary {summary_path}")
    print(f"ciphertext {summary['digest_alg']}: {summary['ciphertext_digest']}")
    return 0


def _seal(args: argparse.Namespace, suite: str, private: bytes, form: dict[str, Any]) -> dict[str, Any]:
    total = sum(p.stat().st_size for p in args.files)
    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, transient=True, disable=total < (8 << 20)) as bar:
        task = bar.add_task("sealing", total=total)
        return sealing.seal_package(
            suite, private, list(args.files), form, args.out, created_at=SystemClock().now(),
            machine=machine.fingerprint(), tool_version=__version__, chunk_size=args.chunk_size,
            progress=lambda n: bar.advance(task, n),
        )


def run_decrypt(args: argparse.Namespace) -> int:
    try:
        suite, private = load_key(args.key)
        blob = sealing.release_for(suite, private, args.package, args.platform_key.read_bytes())
    except (DomainError, OSError, ValueError, KeyError) as e:
        return fail(e.message_en if isinstance(e, DomainError) else str(e))
    args.out.write_bytes(blob)
    print(f"key released for {args.package.name} to the opening key, signed with your key: {args.out}")
    return 0


# ---- submit: resumable upload to the trading platform ------------------------------------------

CHUNK = 1 << 20
WHOLE_MAX = 8 << 20  # the platform's largest request body: a package up to this size goes in one request
FALLBACK = frozenset({404, 405, 413, 431})  # a platform without the one-request route, or finding it too large: resumable
RETRIES = 4
BACKOFF = 0.5  # seconds, doubled after every failed attempt
RETRY_CODES = frozenset({"db_busy", "upload_gap"})
State = dict[str, Any]


class SubmitError(Exception):
    """The platform refused (a problem document) or could not be reached."""

    def __init__(self, text: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(text)
        self.status, self.code = status, code

    @property
    def retryable(self) -> bool:
        return self.status >= 500 or self.status == 429 or self.code in RETRY_CODES


def _add_submit(inner: Any) -> None:
    submit = inner.add_parser("submit", help="upload PACKAGE to the platform (resumable) and keep its signed receipt")
    _add_server(submit)
    submit.add_argument("--token", default=os.environ.get("TENDERHUB_TOKEN"),
                        help="the bidder's API token (default: TENDERHUB_TOKEN); write --token=TOKEN, a token may start with '-'")
    submit.add_argument("--tender", required=True, help="tender id")
    submit.add_argument("--lot", required=True, help="lot code or id")
    submit.add_argument("--chunk-size", type=int, default=CHUNK, help="bytes per request of the resumable upload (default 1 MiB)")
    submit.add_argument("--whole-max", type=int, default=WHOLE_MAX,
                        help="a package of at most this many bytes goes in one request (POST …/sealed-bids; default 8 MiB, 0: always resumable)")
    submit.add_argument("package", type=Path, help="the sealed PACKAGE (PACKAGE.json must lie next to it)")
    submit.set_defaults(handler=run_submit)


def _add_opening_key(inner: Any) -> None:
    opening = inner.add_parser("opening-key", help="fetch the platform's opening public key (for decrypt)")
    _add_server(opening)
    opening.add_argument("--suite", default="intl", choices=["intl", "gm"])
    opening.add_argument("--out", required=True, type=Path)
    opening.set_defaults(handler=run_opening_key)


def _add_server(parser: Any) -> None:
    parser.add_argument("--server", required=True, help="the trading platform's URL, e.g. http://127.0.0.1:8000")


def client_for(server: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=httpx.Timeout(60.0, connect=10.0))


def answer(response: httpx.Response) -> Any:
    """The JSON body of a success; a ``SubmitError`` with the problem's text otherwise."""
    if response.status_code < 400:
        return response.json()
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    text = str(body.get("detail") or response.text or response.reason_phrase)
    cite = f" ({body['law']} 第{body['article']}条)" if body.get("law") and body.get("article") else ""
    raise SubmitError(f"{response.status_code} {body.get('code', '')}: {text}{cite}", status=response.status_code, code=str(body.get("code", "")))


def attempt(send: Callable[[int], Any], *, what: str, sleep: Callable[[float], None] = time.sleep) -> Any:
    """``send(n)`` for n = 0, 1, …: retried with backoff on a network error or a retryable answer."""
    for n in range(RETRIES + 1):
        try:
            return send(n)
        except (httpx.TransportError, SubmitError) as error:
            if isinstance(error, SubmitError) and not error.retryable:
                raise
            if n == RETRIES:
                raise SubmitError(f"{what}: giving up after {RETRIES + 1} attempts: {error}") from error
            sleep(BACKOFF * 2 ** n)
    raise AssertionError("unreachable")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        while block := src.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def submit_package(client: httpx.Client, tender: str, lot: str, package_path: Path, *, chunk_size: int = CHUNK,
                   whole_max: int = WHOLE_MAX, on_state: Callable[[State], None] | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """The signed receipt for PACKAGE: in one request when it has at most ``whole_max`` bytes
    (``POST …/sealed-bids``; retried whole, and the same receipt comes back), else (or when the
    platform has no such route or finds the body too large) the resumable upload."""
    summary = json.loads(package_path.with_name(package_path.name + ".json").read_text(encoding="utf-8"))
    body = {"lot": lot, "sha256": sha256_of(package_path), "summary": summary}
    if package_path.stat().st_size <= whole_max:
        try:
            return submit_whole(client, tender, body, package_path, sleep)
        except SubmitError as error:
            if error.status not in FALLBACK:
                raise
    return submit_resumable(client, tender, body, package_path, chunk_size=chunk_size, on_state=on_state, sleep=sleep)


def submit_whole(client: httpx.Client, tender: str, body: dict[str, Any], package_path: Path, sleep: Callable[[float], None]) -> dict[str, Any]:
    """One request: the summary in ``X-Sealed-Begin`` (base64 JSON), the package as the body."""
    headers = {"Content-Type": "application/octet-stream", "X-Sealed-Begin": base64.b64encode(json.dumps(body).encode()).decode()}
    data = package_path.read_bytes()
    receipt: dict[str, Any] = attempt(lambda n: answer(client.post(f"/api/tenders/{tender}/sealed-bids", content=data, headers=headers)),
                                      what="submit", sleep=sleep)
    return receipt


def submit_resumable(client: httpx.Client, tender: str, body: dict[str, Any], package_path: Path, *, chunk_size: int,
                     on_state: Callable[[State], None] | None, sleep: Callable[[float], None]) -> dict[str, Any]:
    """Begin (or resume) the upload, send the rest in chunks, finish: the signed receipt.

    The platform's answer to ``begin`` says how much it already holds, so running this again
    after an interruption continues there. ``on_state`` sees every state (after begin and
    after each chunk); an exception it raises stops the upload, which resumes next time."""
    state: State = attempt(lambda n: answer(client.post(f"/api/tenders/{tender}/sealed-uploads", json=body)), what="begin", sleep=sleep)
    report = on_state or (lambda s: None)
    report(state)
    with open(package_path, "rb") as src:
        while state["total"] - state["received"] > chunk_size:
            state = next_chunk(client, src, state, chunk_size, sleep)
            report(state)
        src.seek(state["received"])
        last = src.read()  # at most one chunk: sent with the finish (a small package: begin + finish)
    finish = f"/api/sealed-uploads/{state['upload_id']}/finish"
    kwargs: dict[str, Any] = {"params": {"offset": state["received"]}, "content": last,
                              "headers": {"Content-Type": "application/octet-stream"}} if last else {}
    receipt: dict[str, Any] = attempt(lambda n: answer(client.post(finish, **kwargs)), what="finish", sleep=sleep)
    return receipt


def next_chunk(client: httpx.Client, src: Any, state: State, chunk_size: int, sleep: Callable[[float], None]) -> State:
    """Send the chunk at ``received``; after a failure ask the platform where to resume."""
    path = f"/api/sealed-uploads/{state['upload_id']}"

    def send(n: int) -> State:
        current = state if n == 0 else answer(client.get(path))
        src.seek(current["received"])
        data = src.read(chunk_size)
        headers = {"Content-Type": "application/octet-stream"}
        sent: State = answer(client.put(path, params={"offset": current["received"]}, content=data, headers=headers))
        return sent

    result: State = attempt(send, what=f"chunk at {state['received']}", sleep=sleep)
    return result


def receipt_path(package_path: Path) -> Path:
    return package_path.with_name(package_path.name + ".receipt.json")


def verify_receipt(client: httpx.Client, signed: dict[str, Any], package_path: Path) -> list[str]:
    """Problems with the receipt: the platform's signature, and that it names this package."""
    checked = answer(client.post("/api/receipts/verify", json=signed))
    body = signed["receipt"]
    problems = [] if checked.get("valid") else ["the platform signature does not verify"]
    if body.get("ciphertext_sha256", "").removeprefix("sha256:") != sha256_of(package_path):
        problems.append("the receipt names other content than PACKAGE")
    return problems


def run_submit(args: argparse.Namespace) -> int:
    if not args.token:
        return fail("--token (or TENDERHUB_TOKEN) is required")
    if args.chunk_size <= 0:
        return fail("--chunk-size must be positive")
    try:
        with client_for(args.server, args.token) as client:
            signed = _upload_with_bar(client, args)
            receipt_path(args.package).write_text(json.dumps(signed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            problems = verify_receipt(client, signed, args.package)
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume / 已中断：再次运行同一命令即可续传", file=sys.stderr)
        return 130
    except (SubmitError, httpx.HTTPError, OSError, ValueError, KeyError) as e:
        return fail(f"{e} (run the same command again to resume)")
    if problems:
        return fail(f"receipt {receipt_path(args.package)}: " + "; ".join(problems))
    body = signed["receipt"]
    print(f"回执 / receipt {body['receipt_id']}: {body['tender']} {body['lot']}, {body['size']} bytes received at {body['received_at']}")
    print(f"platform signature verified; saved to {receipt_path(args.package)}")
    return 0


def _upload_with_bar(client: httpx.Client, args: argparse.Namespace) -> dict[str, Any]:
    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns) as bar:
        task = bar.add_task("uploading", total=None)

        def show(state: State) -> None:
            bar.update(task, total=state["total"], completed=state["received"])

        return submit_package(client, args.tender, args.lot, args.package, chunk_size=args.chunk_size, whole_max=args.whole_max, on_state=show)


def run_opening_key(args: argparse.Namespace) -> int:
    try:
        with client_for(args.server) as client:
            published = answer(client.get("/api/platform/keys"))
        pem = str(published[args.suite]["opening"]).encode()
        fingerprint = keys.fingerprint(pem)
    except (SubmitError, httpx.HTTPError, OSError, ValueError, KeyError, TypeError) as e:
        return fail(str(e))
    args.out.write_bytes(pem)
    print(f"platform opening key ({args.suite}) {fingerprint[:16]}…: {args.out}")
    return 0

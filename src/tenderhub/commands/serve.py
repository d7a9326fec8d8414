"""``tenderhub serve [--role all|trading|hub] [--data-dir DIR] [--port N] [--db URL] [--host H] [--workers N]``.

Without ``--role`` and ``--db`` (or with ``--role all``) the embedded system (``tenderhub.embedded``): the
hub at ``/hub/...`` and two trading platforms at ``/a`` and ``/b``, each on its own SQLite file
under ``DATA_DIR/hub/``, ``DATA_DIR/platform-a/``, ``DATA_DIR/platform-b/``, their outbox
relays posting to the hub every second. ``--role trading``: one trading platform API on
``DATA_DIR`` (or ``--db``; ``--db`` without ``--role`` means this role), joining the hub at
``--hub URL`` when given (``hub/membership.py``); ``--role hub``: the hub alone (``DATA_DIR/hub.db`` unless ``--db``;
see ``tenderhub.hub.serve``), forwarding to an upper hub with ``--upstream URL`` (``hub/tree.py``).

On first start a platform's operator account is created and its API token printed once and
stored in its ``operator.token`` (mode 0600); later starts only say where it is. The same for
the hub administrator token (``hub-admin.token``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import socket
from dataclasses import replace
from multiprocessing import connection
from pathlib import Path
from typing import Any

from tenderhub.bootstrap import Platform, build
from tenderhub.hub.membership import JoinError
from tenderhub.services.subjects import create_operator
from tenderhub.settings import Settings

TOKEN_FILE = "operator.token"


def add_parser(subs: Any) -> None:
    serve = subs.add_parser("serve", help="run the hub and two trading platforms in one process (or one role alone)")
    serve.add_argument("--data-dir", help="data directory (default: data/, or TENDERHUB_DATA_DIR)")
    serve.add_argument("--db", help="database URL for --role trading|hub (default: SQLite in the data directory)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--role", choices=("all", "trading", "hub"),
                       help="all: hub + two trading platforms in one process (the default without --db); trading (the default with --db) or hub: one app alone")
    serve.add_argument("--hub", help="--role trading: the hub's URL; register with it, relay the outbox to it, use its blacklist")
    serve.add_argument("--hub-token-file", help="--role trading --hub: file holding the hub administrator token (or TENDERHUB_HUB_TOKEN)")
    serve.add_argument("--platform-code", help="--role trading: the platform code (default TENDERHUB_PLATFORM_CODE or TH110000001)")
    serve.add_argument("--platform-name", help="--role trading: the platform name (default TENDERHUB_PLATFORM_NAME)")
    serve.add_argument("--upstream", help="--role hub: the upper hub's URL; join it and forward this hub's platforms and releases (第45条)")
    serve.add_argument("--upstream-token-file", help="--role hub --upstream: file holding the upper hub's administrator token (or TENDERHUB_UPSTREAM_TOKEN)")
    serve.add_argument("--hub-id", help="--role hub --upstream: this hub's id at the upper hub (default hub-<key fingerprint>)")
    serve.add_argument("--crl-fetch-interval", type=float, default=None, metavar="SECONDS",
                       help="--role hub: fetch the trust list's CRLs every SECONDS (default 3600, sooner before a nextUpdate; 0: never)")
    serve.add_argument("--workers", type=int, default=1,
                       help="--role trading: server processes sharing the port (default 1; see docs/benchmarks.md)")
    serve.add_argument("--pin-cpus", action="store_true",
                       help="--role trading: each server process on one CPU of its own (worker i on the i-th allowed CPU; ADR 0032)")
    serve.add_argument("--http", choices=("auto", "h11", "httptools"), default="auto",
                       help="--role trading: uvicorn's HTTP/1.1 parser (default auto: h11 unless httptools is installed; ADR 0022)")
    serve.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from tenderhub.web.common.warm import ready
    from tenderhub.web.trading.app import create_app

    role = args.role or ("trading" if args.db else "all")  # --db alone: one trading platform, as before the embedded default
    if getattr(args, "hub", None) and role != "trading":
        print("--hub applies to --role trading: a trading platform joins a hub; the embedded system wires its own")
        return 2
    if getattr(args, "upstream", None) and role != "hub":
        print("--upstream applies to --role hub: a hub joins its upper hub (电子招标投标办法 第45条)")
        return 2
    if getattr(args, "workers", 1) != 1 and (role != "trading" or args.workers < 1):
        print("--workers N (N >= 1) applies to --role trading: the embedded system and the hub run in one process")
        return 2
    if getattr(args, "workers", 1) > 1 and getattr(args, "hub", None):  # the hub's services are linked in this process only
        print("--workers N > 1 cannot be combined with --hub: the workers would serve without the hub's blacklist, "
              "instruction key, trust list and single sign-on / --workers 大于 1 时不能同时使用 --hub："
              "工作进程将不经公共服务平台的失信名单、监督指令密钥、信任列表和单点登录")
        return 2
    if role == "hub":
        from tenderhub.hub.serve import run_hub

        return run_hub(args)
    if role == "all":
        return run_embedded(args)
    settings = trading_settings(args)
    platform = build(settings)
    prepare_storage(platform)
    path, token = ensure_operator(platform)
    if token:
        print(f"运营人员 API 令牌（仅显示一次）/ Operator API token (shown once): {token}")
    print(f"operator token file: {path}")
    try:
        membership = join(platform, args) if getattr(args, "hub", None) else None
    except JoinError as exc:
        print(f"cannot join the hub / 无法接入公共服务平台: {exc}")
        platform.engine.dispose()
        return 2
    try:
        if getattr(args, "workers", 1) > 1:
            return run_workers(platform, args)
        else:
            pin_to_cpu(0 if getattr(args, "pin_cpus", False) else None)
            uvicorn.run(ready(create_app(platform)), host=args.host, port=args.port, http=getattr(args, "http", "auto"))
    finally:
        if membership is not None:
            membership.close()
    return 0


def prepare_storage(platform: Platform) -> None:
    """What a fresh blob store and upload area would otherwise make during their first uploads
    (directories and lock files), made once before serving."""
    vault = platform.services.vault
    for part in (getattr(vault, "blobs", None), getattr(vault, "uploads", None)):
        prepare = getattr(part, "prepare", None)
        if prepare is not None:
            prepare()


def run_workers(platform: Platform, args: argparse.Namespace) -> int:
    """``--workers N``: N uvicorn worker processes, each building the same platform from the
    environment set here (the database is migrated and the platform's keys and certificate
    made once, in this process, before any worker starts)."""
    import uvicorn

    settings, vault = platform.settings, platform.services.vault
    if vault is not None:  # every suite's keys and the certificate, made once
        vault.keys.public_keys()
        vault.identity.certificate(platform.services.clock.now())
    os.environ.update({"TENDERHUB_DATA_DIR": str(settings.data_dir), "TENDERHUB_DB_URL": settings.db_url,
                       "TENDERHUB_PLATFORM_CODE": settings.platform_code, "TENDERHUB_PLATFORM_NAME": settings.platform_name})
    if hasattr(socket, "SO_REUSEPORT"):
        platform.engine.dispose()  # the workers open their own connections
        return run_reuseport_workers(args.workers, args.host, args.port, getattr(args, "http", "auto"), pin=getattr(args, "pin_cpus", False))
    uvicorn.run("tenderhub.commands.serve:worker_app", factory=True, workers=args.workers, host=args.host, port=args.port,
                http=getattr(args, "http", "auto"))
    return 0


def run_reuseport_workers(count: int, host: str, port: int, http: str = "auto", *, pin: bool = False) -> int:
    """N worker processes, each listening on a socket of its own bound with ``SO_REUSEPORT``:
    the kernel spreads new connections over them (one shared socket let whichever worker woke
    first accept a whole burst of connections, docs/benchmarks.md). SIGTERM or SIGINT stops
    them all (exit 0); a worker that exits on its own takes the others down (exit 1: the
    supervisor restarts the service). ``pin``: worker i runs on the i-th allowed CPU (``pin_to_cpu``)."""
    context = multiprocessing.get_context("spawn")  # no thread of this process (a hub relay) is copied
    workers = [context.Process(target=reuseport_worker, args=(host, port, http, i if pin else None), daemon=True) for i in range(count)]
    for worker in workers:
        worker.start()

    asked = []

    def stop(signum: int, _frame: Any) -> None:
        asked.append(signum)
        for worker in workers:
            if worker.is_alive():
                worker.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    connection.wait([worker.sentinel for worker in workers])  # the first exit
    failed = not asked
    stop(signal.SIGTERM, None)
    for worker in workers:
        worker.join()
    return 1 if failed else 0


def reuseport_worker(host: str, port: int, http: str = "auto", cpu: int | None = None) -> None:
    import uvicorn

    pin_to_cpu(cpu)  # before uvicorn or the app start a thread: every thread of the worker inherits it

    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    uvicorn.Server(uvicorn.Config(worker_app, factory=True, host=host, port=port, http=http)).run(sockets=[sock])


def pin_to_cpu(index: int | None) -> int | None:
    """Run this process (and the threads it starts from now on) on the ``index``-th CPU it is
    allowed (modulo their number); None: leave it free. Returns the CPU chosen. One process's
    threads hand the GIL to each other all the time; on one CPU a hand-over is a switch on that
    CPU, across CPUs a wake-up of another (virtual) CPU: ≈ 2 ms of CPU per sealed bid on the
    platform's VM (ADR 0032, docs/benchmarks.md tenth pass). Linux only (``sched_setaffinity``)."""
    if index is None or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    cpu = allowed[index % len(allowed)]
    os.sched_setaffinity(0, {cpu})
    return cpu


def worker_app() -> Any:
    """The app of one ``--workers`` process (uvicorn's factory; settings from the environment)."""
    from tenderhub.web.common.warm import ready
    from tenderhub.web.trading.app import create_app

    return ready(create_app(build(Settings.load())))  # every worker warms its own route table


def trading_settings(args: argparse.Namespace) -> Settings:
    settings = Settings.load(data_dir=args.data_dir, db_url=args.db)
    code, name = getattr(args, "platform_code", None), getattr(args, "platform_name", None)
    return replace(settings, platform_code=code or settings.platform_code, platform_name=name or settings.platform_name)


def join(platform: Platform, args: argparse.Namespace) -> Any:
    """Join the hub at ``--hub``: register, trust its key, use its blacklist, start the relay."""
    from tenderhub.hub.membership import join_hub

    token_file = getattr(args, "hub_token_file", None)
    token = Path(token_file).read_text(encoding="utf-8").strip() if token_file else os.environ.get("TENDERHUB_HUB_TOKEN")
    membership = join_hub(platform, args.hub, admin_token=token, public_url=f"http://{args.host}:{args.port}")
    membership.start()
    print(f"{platform.settings.platform_code} joined the hub at {args.hub}: registered, relaying the outbox every second")
    return membership


def run_embedded(args: argparse.Namespace) -> int:
    import uvicorn

    from tenderhub import embedded

    if args.db:
        print("--db applies to --role trading or --role hub; the embedded system keeps one SQLite file per role in the data directory")
        return 2
    root = Path(Settings.load(data_dir=args.data_dir).data_dir)
    fresh_hub = not embedded.token_files(root)["hub"].exists()
    system = embedded.open_embedded(root)
    try:
        announce(system, f"http://{args.host}:{args.port}", fresh_hub)
        uvicorn.run(system.app(), host=args.host, port=args.port)
    finally:
        system.close()
    return 0


def announce(system: Any, base: str, fresh_hub: bool) -> None:
    """Print the URLs and where the tokens are (a new token once, in full)."""
    from tenderhub.embedded import token_files

    files = token_files(system.root)
    if fresh_hub:
        print(f"公共服务平台管理员令牌（仅显示一次）/ Hub administrator token (shown once): {system.admin_token}")
    print(f"公共服务平台 hub: {base}/hub/platforms  {base}/hub/feed   token file: {files['hub']}")
    for member in system.members:
        _path, token = ensure_operator(member.platform)
        if token:
            print(f"{member.spec.name} 运营人员 API 令牌（仅显示一次）/ operator API token (shown once): {token}")
        print(f"{member.spec.name} ({member.spec.code}): {base}{member.spec.prefix}/api/tenders  "
              f"{base}{member.spec.prefix}/docs   token file: {files[member.spec.code]}")
    print(f"data: {system.root.resolve()} (hub/, platform-a/, platform-b/); outbox relays post to the hub every second")


def ensure_operator(platform: Platform) -> tuple[Path, str | None]:
    """Create the operator account if missing; issue its token when no token file exists yet."""
    svc = platform.services
    operator = create_operator(svc)
    directory = Path(platform.settings.data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / TOKEN_FILE
    if path.exists():
        return path, None
    with svc.uow(operator) as uow:
        token: str = uow.tokens.issue(operator.user_id, label="serve-bootstrap", at=svc.clock.now())
        uow.commit()
    write_secret(path, token)
    return path, token


def write_secret(path: Path, secret: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")

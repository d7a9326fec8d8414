"""``tenderhub serve [--role trading|hub] [--data-dir DIR] [--port N] [--db URL] [--host H]``: the
trading platform API (default), or with ``--role hub`` the hub on its own database
(``DATA_DIR/hub.db`` unless ``--db``; see ``tenderhub.hub.serve``).

On first start an operator account is created and its API token printed once and stored in
``DATA_DIR/operator.token`` (mode 0600); later starts only say where it is.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from tenderhub.bootstrap import Platform, build
from tenderhub.services.subjects import create_operator
from tenderhub.settings import Settings

TOKEN_FILE = "operator.token"


def add_parser(subs: Any) -> None:
    serve = subs.add_parser("serve", help="run the trading platform HTTP API (OpenAPI at /openapi.json)")
    serve.add_argument("--data-dir", help="data directory (default: data/, or TENDERHUB_DATA_DIR)")
    serve.add_argument("--db", help="database URL (default: SQLite in the data directory)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--role", choices=("trading", "hub"), default="trading", help="which app to run (default: trading)")
    serve.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from tenderhub.web.trading.app import create_app

    if args.role == "hub":
        from tenderhub.hub.serve import run_hub

        return run_hub(args)
    settings = Settings.load(data_dir=args.data_dir, db_url=args.db)
    platform = build(settings)
    path, token = ensure_operator(platform)
    if token:
        print(f"运营人员 API 令牌（仅显示一次）/ Operator API token (shown once): {token}")
    print(f"operator token file: {path}")
    uvicorn.run(create_app(platform), host=args.host, port=args.port)
    return 0


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

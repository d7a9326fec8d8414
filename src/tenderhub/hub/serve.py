"""``tenderhub serve --role hub``: the hub on its own database (SQLite ``DATA_DIR/hub.db`` by
default) with its keys in ``DATA_DIR/hub-keys``. The administrator token that registers
platforms is created on first start in ``DATA_DIR/hub-admin.token`` (0600) and printed once."""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

from tenderhub.hub.app import create_hub_app
from tenderhub.hub.context import open_hub
from tenderhub.settings import Settings

ADMIN_TOKEN_FILE = "hub-admin.token"


def admin_token(directory: Path) -> tuple[str, bool]:
    """The token and whether it was just created."""
    from tenderhub.commands.serve import write_secret

    path = directory / ADMIN_TOKEN_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip(), False
    token = secrets.token_urlsafe(32)
    write_secret(path, token)
    return token, True


def run_hub(args: argparse.Namespace) -> int:
    import uvicorn

    directory = Path(Settings.load(data_dir=args.data_dir).data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    hub = open_hub(directory, args.db)
    token, created = admin_token(directory)
    if created:
        print(f"公共服务平台管理员令牌（仅显示一次）/ Hub administrator token (shown once): {token}")
    print(f"hub administrator token file: {directory / ADMIN_TOKEN_FILE}; database: {hub.engine.url.render_as_string()}")
    uvicorn.run(create_hub_app(hub, admin_token=token), host=args.host, port=args.port)
    return 0

"""``tenderhub serve --role hub``: the hub on its own database (SQLite ``DATA_DIR/hub.db`` by
default) with its keys in ``DATA_DIR/hub-keys``. The administrator token that registers
platforms is created on first start in ``DATA_DIR/hub-admin.token`` (0600) and printed once.
With ``--upstream URL`` (and ``--upstream-token-file F``, ``--hub-id ID``) the hub joins an upper
hub and forwards its platforms and releases to it (``hub/tree.py``, 电子招标投标办法 第45条).
The hub fetches its CAs' CRLs every ``--crl-fetch-interval`` seconds (default 3600, sooner
before a kept CRL's nextUpdate; 0: never, ``hub/crlloop.py``)."""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path

import httpx

from tenderhub.hub.app import create_hub_app
from tenderhub.hub.context import Hub, open_hub
from tenderhub.hub.crlloop import INTERVAL, CrlFetcher
from tenderhub.hub.lifespan import tie
from tenderhub.hub.tree import Forwarder, default_hub_id
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
    app = create_hub_app(hub, admin_token=token)
    forwarder = upstream(hub, args)
    if forwarder is not None:
        tie(app, forwarder)  # starts and stops with the app's lifespan
    interval = getattr(args, "crl_fetch_interval", None)
    if interval is None or interval > 0:
        tie(app, CrlFetcher(hub, interval or INTERVAL))  # the CRLs of the trust list (crlpull.py)
    try:
        uvicorn.run(app, host=args.host, port=args.port)
    finally:
        if forwarder is not None:
            forwarder.client.close()
    return 0


def upstream(hub: Hub, args: argparse.Namespace) -> Forwarder | None:
    """``--upstream URL``: the forwarder to the upper hub (joins it on its first round)."""
    url = getattr(args, "upstream", None)
    if not url:
        return None
    token_file = getattr(args, "upstream_token_file", None)
    token = Path(token_file).read_text(encoding="utf-8").strip() if token_file else os.environ.get("TENDERHUB_UPSTREAM_TOKEN")
    hub_id = getattr(args, "hub_id", None) or default_hub_id(hub)
    print(f"forwarding to the upper hub {url} as {hub_id} (电子招标投标办法 第45条)")
    return Forwarder(hub, httpx.Client(base_url=url, timeout=30), hub_id, token=token)

"""A real HTTP server in a thread, serving the files of a temporary directory (a CA's CRL
distribution point), with extra paths: ``/slow/NAME`` (answers after ``SLOW`` seconds),
``/unsized/NAME`` (no Content-Length), ``/to-file`` (a redirect to ``file:///etc/passwd``) and
``/to/NAME`` (a redirect to ``/NAME``, which is allowed). It records the paths asked for."""

from __future__ import annotations

import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SLOW = 3.0


class Handler(SimpleHTTPRequestHandler):
    asked: list[str]

    def do_GET(self) -> None:
        self.server.asked.append(self.path)  # type: ignore[attr-defined]
        if self.path == "/to-file":
            return self.redirect("file:///etc/passwd")
        if self.path.startswith("/to/"):
            return self.redirect("/" + self.path.removeprefix("/to/"))
        if self.path.startswith("/unsized/"):
            return self.unsized(self.path.removeprefix("/unsized/"))
        if self.path.startswith("/slow/"):
            time.sleep(SLOW)
            self.path = "/" + self.path.removeprefix("/slow/")
        super().do_GET()

    def unsized(self, name: str) -> None:
        """The file without Content-Length (the body ends when the connection closes)."""
        self.send_response(200)
        self.end_headers()
        self.wfile.write((Path(self.directory) / name).read_bytes())

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet in the test output
        pass


class Quiet(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:  # a client that gave up (the timeout test)
        pass


class CrlServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.server = Quiet(("127.0.0.1", 0), partial(Handler, directory=str(directory)))
        self.server.daemon_threads = True
        self.server.asked = []  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def asked(self) -> list[str]:
        return self.server.asked  # type: ignore[attr-defined, no-any-return]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{path}"

    def put(self, name: str, data: bytes) -> str:
        (self.directory / name).write_bytes(data)
        return self.url(name)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

"""A lean HTTP/1.1 client for ``bench deadline-surge``: keep-alive connections over asyncio
streams, one request at a time per connection, ``Content-Length`` or chunked answers.

Why not httpx: the load generator runs on the same 2 cores as the server it measures, and
httpx's ``AsyncClient`` spent 3.3–4.9 ms of CPU per bid (docs/benchmarks.md, fourth pass),
CPU the server then did not have. The requests are the same ones, byte for byte in what
matters to the server: method, target with its query, ``Host``, ``Authorization``,
``Content-Type``, ``Content-Length`` and the body. Any transport problem (refused, reset,
cut short, timed out, unparseable) closes the connection and raises ``TransportError``; the
next request opens a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any


class TransportError(Exception):
    """The request did not get a complete answer (the caller may retry)."""


@dataclass(frozen=True)
class Response:
    status_code: int
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class Connection:
    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, target: str, *, json_body: Any = None, content: bytes = b"", headers: dict[str, str]) -> Response:
        if json_body is not None:
            content, headers = json.dumps(json_body).encode(), {**headers, "Content-Type": "application/json"}
        return await self.request("POST", target, content, headers)

    async def put(self, target: str, *, content: bytes, headers: dict[str, str]) -> Response:
        return await self.request("PUT", target, content, headers)

    async def request(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> Response:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(method, target, body, headers)
        except (OSError, EOFError, TimeoutError, ValueError, IndexError) as error:  # IncompleteReadError is an EOFError
            self.close()
            raise TransportError(f"{type(error).__name__}: {error}") from None

    async def _exchange(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> Response:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}",
                 *(f"{name}: {value}" for name, value in headers.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if body:
            writer.write(body)
        await writer.drain()
        status, length, chunked, close = await self._head(reader)
        if chunked:
            content = await self._chunks(reader)
        elif length is not None:
            content = await reader.readexactly(length)
        else:
            content, close = await reader.read(), True
        if close:
            self.close()
        return Response(status, content)

    @staticmethod
    async def _head(reader: asyncio.StreamReader) -> tuple[int, int | None, bool, bool]:
        status_line = await reader.readline()
        if not status_line:
            raise EOFError("the server closed the connection")
        status, length, chunked, close = int(status_line.split()[1]), None, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                close = value == "close"
        return status, length, chunked, close

    @staticmethod
    async def _chunks(reader: asyncio.StreamReader) -> bytes:
        content = bytearray()
        while size := int((await reader.readline()).split(b";")[0], 16):
            content += await reader.readexactly(size)
            await reader.readexactly(2)
        while await reader.readline() not in (b"\r\n", b""):  # trailers
            pass
        return bytes(content)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


class Pool:
    """``size`` connections; ``async with pool.connection() as c`` waits for a free one."""

    def __init__(self, host: str, port: int, size: int, *, timeout: float = 60.0) -> None:
        self._free: asyncio.Queue[Connection] = asyncio.Queue()
        self._all = [Connection(host, port, timeout) for _ in range(size)]
        for connection in self._all:
            self._free.put_nowait(connection)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        connection = await self._free.get()
        try:
            yield connection
        finally:
            self._free.put_nowait(connection)

    def close(self) -> None:
        for connection in self._all:
            connection.close()

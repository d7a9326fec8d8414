"""The surge's lean HTTP/1.1 client against a tiny asyncio server: what it sends, Content-Length
and chunked answers, keep-alive, and a connection cut short (TransportError, then a new one)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tenderhub.bench.http_lean import Pool, TransportError

ANSWERS = [
    b"HTTP/1.1 201 Created\r\ncontent-length: 12\r\ncontent-type: application/json\r\n\r\n{\"ok\": true}",
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\ncut short",
]


async def exchange() -> tuple[list[bytes], list[Any]]:
    seen: list[bytes] = []
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):  # the client closed its connection
                return
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
            seen.append(head + await reader.readexactly(length))
            writer.write(ANSWERS[len(seen) - 1] if len(seen) <= len(ANSWERS) else ANSWERS[0])
            await writer.drain()
            if len(seen) == 3:
                writer.close()
                return

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = Pool("127.0.0.1", port, 1, timeout=5)
    results: list[Any] = []
    async with pool.connection() as client:
        results.append(await client.post("/a?x=1", json_body={"k": "v"}, headers={"Authorization": "Bearer t"}))
        results.append(await client.put("/b", content=b"\0" * 5, headers={}))
        with pytest.raises(TransportError):
            await client.post("/c", headers={})
        results.append(await client.post("/d", headers={}))  # a new connection
    pool.close()
    server.close()
    await server.wait_closed()
    results.append(connections)
    return seen, results


def test_requests_answers_keep_alive_and_a_cut_connection() -> None:
    seen, (first, second, fourth, connections) = asyncio.run(exchange())
    assert seen[0].startswith(b"POST /a?x=1 HTTP/1.1\r\n") and b"Authorization: Bearer t\r\n" in seen[0]
    assert b"Content-Type: application/json\r\n" in seen[0] and seen[0].endswith(json.dumps({"k": "v"}).encode())
    assert seen[1].startswith(b"PUT /b HTTP/1.1\r\n") and seen[1].endswith(b"\r\n\r\n" + b"\0" * 5)
    assert (first.status_code, first.json()) == (201, {"ok": True})
    assert (second.status_code, second.json()) == (200, {"a": 1})
    assert fourth.status_code == 201 and connections == 2

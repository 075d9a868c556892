"""The bound on a request's head (`imgrepl.service.http.BoundedHead`), on a
real socket pair.  Whether a request reaches the server in one read or in
many depends on timing, so each request here is queued whole before the
server reads: one read then takes it, head and body together, which is
what a TLS connection delivers when several records are waiting."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from imgrepl.service.http import HEAD_LIMIT, BoundedHead
from uvicorn.config import Config
from uvicorn.server import ServerState


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = str(size).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def _request(body: bytes, close: bool) -> bytes:
    head = f"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
    return (head + ("Connection: close\r\n" if close else "") + "\r\n").encode() + body


async def _exchange(requests: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    config = Config(app=_app, lifespan="off", log_config=None)
    config.load()
    state = ServerState()
    server_end, client_end = socket.socketpair()
    for end in (server_end, client_end):
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    client_end.setblocking(False)
    assert client_end.send(requests) == len(requests)  # all waits for the server's first read
    await loop.connect_accepted_socket(lambda: BoundedHead(config, state, {}, loop), server_end)
    answer = b""
    while chunk := await asyncio.wait_for(loop.sock_recv(client_end, 1 << 16), 10):
        answer += chunk
    client_end.close()
    return answer


def test_a_body_read_with_its_head_does_not_count_as_head() -> None:
    body = b"[" * (HEAD_LIMIT + 4096)
    answer = asyncio.run(_exchange(_request(body, close=False) + _request(body, close=True)))
    assert answer.count(b"HTTP/1.1 400") == 2, answer[:200]  # both reached the app
    assert answer.count(str(len(body)).encode()) == 2
    assert b"431" not in answer


def test_a_head_past_the_bound_in_one_read_gets_431() -> None:
    head = b"GET /x HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (HEAD_LIMIT + 4096)
    answer = asyncio.run(_exchange(head))
    assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
    assert b"RequestHeaderFieldsTooLarge" in answer

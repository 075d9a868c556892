"""uvicorn's httptools protocol with a bound on a request's head (its
request line and headers).  httptools, which the service uses for its
speed, keeps a request line or header of any size in memory until it ends,
so one client could make the server hold gigabytes; h11, which it replaced,
refused a head past 16 KiB.  Past HEAD_LIMIT bytes with no end of headers,
the client gets 431 (ARM-shaped) and its connection is closed."""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_LIMIT = 64 * 1024


def _answer_431() -> bytes:
    message = f"the request line and headers exceed {HEAD_LIMIT} bytes"
    error = {"code": "RequestHeaderFieldsTooLarge", "message": message}
    body = json.dumps({"error": error}).encode()
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "content-type: application/json; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class BoundedHead(HttpToolsProtocol):
    _in_head = True  # the next bytes belong to a request's head
    _head_bytes = 0
    _heads_ended = 0  # heads completed on this connection

    def data_received(self, data: bytes) -> None:
        was_in_head, heads_ended = self._in_head, self._heads_ended
        super().data_received(data)
        # Only data that neither started in a body nor ended a head is all
        # head: one read can hold a whole request, body and all.
        if not was_in_head or heads_ended != self._heads_ended:
            return
        self._head_bytes += len(data)
        if self._head_bytes > HEAD_LIMIT and not self.transport.is_closing():
            self.transport.write(_answer_431())
            self.transport.close()

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        self._heads_ended += 1
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True  # a pipelined request's head may follow

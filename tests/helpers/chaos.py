"""A seeded faulty HTTP proxy for store servers: each request, by a draw of
its own random generator, is forwarded, answered `503 SlowDown` (a
transient error the engine retries), delayed, or cut off with no answer
(the connection closed, as a dropped network path does).  Same seed, same
sequence of draws: a failing chaos run can be replayed with its seed."""

from __future__ import annotations

import http.client
import http.server
import random
import threading
import time
from dataclasses import dataclass


@dataclass
class Faults:
    error: float = 0.08  # 503 SlowDown
    delay: float = 0.05  # held back up to max_delay seconds, then forwarded
    drop: float = 0.02  # connection closed without an answer
    max_delay: float = 0.5


def forward(handler: http.server.BaseHTTPRequestHandler, port: int, body: bytes) -> None:
    """Sends the request on to the server at `port` untouched (the Host header
    too, so signatures stay valid) and its answer back."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest(handler.command, handler.path, skip_host=True, skip_accept_encoding=True)
        for k, v in handler.headers.items():
            conn.putheader(k, v)
        conn.endheaders(body or None)
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    handler.send_response(resp.status)
    head = handler.command == "HEAD"  # its Content-Length is the object's
    for k, v in resp.getheaders():
        framing = k.lower() in ("content-length", "transfer-encoding", "connection")
        if (head and k.lower() == "content-length") or not framing:
            handler.send_header(k, v)
    if not head:
        handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class _QuietServer(http.server.ThreadingHTTPServer):
    """A client killed mid-request is part of the game, not an error to print."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def slow_down(handler: http.server.BaseHTTPRequestHandler) -> None:
    """S3's transient `503 SlowDown`: the client should back off and retry."""
    reply = b"<Error><Code>SlowDown</Code><Message>try again</Message></Error>"
    handler.send_response(503)
    handler.send_header("Content-Length", str(len(reply)))
    handler.end_headers()
    handler.wfile.write(reply)


class ChaosProxy:
    def __init__(self, backend_port: int, seed: int, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts = {"forwarded": 0, "error": 0, "delay": 0, "drop": 0}
        self.enabled = True
        self._fault_next = False  # see enable()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault, pause = proxy.draw()
                if fault == "drop":
                    self.close_connection = True
                    return
                if fault == "error":
                    slow_down(self)
                    return
                time.sleep(pause)
                forward(self, backend_port, body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_one

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def enable(self) -> None:
        """Chaos from now on; the first request after this always gets a
        503, so a round that reaches the store at all meets a fault."""
        with self.lock:
            self.enabled, self._fault_next = True, True

    def draw(self) -> tuple[str, float]:
        """The fate of the next request: (fault, seconds to hold it back)."""
        with self.lock:
            if not self.enabled:
                self.counts["forwarded"] += 1
                return "forwarded", 0.0
            if self._fault_next:
                self._fault_next = False
                self.counts["error"] += 1
                return "error", 0.0
            x, pause = self.rng.random(), self.rng.random() * self.faults.max_delay
            f = self.faults
            fault = (
                "error"
                if x < f.error
                else "drop"
                if x < f.error + f.drop
                else "delay"
                if x < f.error + f.drop + f.delay
                else "forwarded"
            )
            self.counts[fault] += 1
            return fault, pause if fault == "delay" else 0.0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

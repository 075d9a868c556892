"""The load process of benches/bench_service.py: C keep-alive TLS
connections to the server; on `GO PATH` (a line on stdin) they GET PATH
until `STOP`, and the latencies of that window are printed as one JSON line.

    python3 benches/service_load.py CLIENTS CA_PEM TOKEN URL INTERVAL_S
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import sys
import time


# Each client is one keep-alive TLS connection that sends the same request
# bytes again and again and reads only the status line and Content-Length:
# an HTTP client library costs a millisecond or more of CPU per request
# (httpx parses the URL each time), which on 2 cores takes CPU from the
# server and the replication and would be measured as their slowness.
class _Client(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0 or self.waiter is None or self.waiter.done():
            return
        head = bytes(self.buffer[:head_end]).lower()
        length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        if len(self.buffer) >= head_end + 4 + length:
            del self.buffer[: head_end + 4 + length]
            self.waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("closed"))

    async def get(self, request: bytes) -> int:
        """Sends one request; its status code once the whole response is in."""
        assert self.transport is not None
        if self.transport.is_closing():
            raise ConnectionError("the server closed the connection")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


async def _load(clients: int, ca: str, token: str, url: str, interval: float) -> None:
    """Keeps `clients` keep-alive connections; on `GO PATH` (stdin) they GET
    PATH until `STOP`, and the latencies of that window are printed as JSON."""
    from urllib.parse import urlsplit

    ctx = ssl.create_default_context(cafile=ca)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    where = urlsplit(url)
    head = f"Host: {where.netloc}\r\nAuthorization: Bearer {token}\r\n\r\n"
    print("ready", flush=True)
    while (line := (await reader.readline()).decode().split()) and line[0] == "GO":
        # new connections each window: the server closes idle ones (after 5 s)
        conns = [
            (await loop.create_connection(_Client, where.hostname, where.port, ssl=ctx))[1]
            for _ in range(clients)
        ]
        request = f"GET {line[1]} HTTP/1.1\r\n{head}".encode()
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(_client(c, request, stop, interval * i / clients, interval))
            for i, c in enumerate(conns)
        ]
        started = time.perf_counter()
        await reader.readline()  # STOP
        stop.set()
        results = await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
        latencies = sorted(x for lat, _ in results for x in lat)
        n = len(latencies)
        print(json.dumps({
            "requests": n, "errors": sum(e for _, e in results), "rps": n / elapsed,
            "p50_ms": 1000 * latencies[n // 2] if n else None,
            "p99_ms": 1000 * latencies[min(n - 1, int(n * 0.99))] if n else None,
        }), flush=True)  # fmt: skip
        for c in conns:
            assert c.transport is not None
            c.transport.close()


async def _client(
    conn: _Client, request: bytes, stop: asyncio.Event, offset: float, interval: float
) -> tuple[list[float], int]:
    """GETs until `stop`: each latency, and how many were not 200.  With an
    `interval`, one request per interval from `offset`, latency counted from
    when it was due (a stall counts against each request it delays)."""
    latencies, errors = [], 0
    await conn.get(request)  # the first after a pause: not counted
    due = time.perf_counter() + offset
    while not stop.is_set():
        if interval:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), due - time.perf_counter())
                break
        else:
            due = time.perf_counter()
        status = await conn.get(request)
        latencies.append(time.perf_counter() - due)
        errors += status != 200
        due += interval
    return latencies, errors


def main(argv: list[str]) -> int:
    clients, ca, token, url, interval = int(argv[0]), argv[1], argv[2], argv[3], float(argv[4])
    asyncio.run(_load(clients, ca, token, url, interval))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

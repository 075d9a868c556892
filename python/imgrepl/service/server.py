"""`imgrepl serve` under uvicorn: HTTPS with the given certificate (plain
HTTP only on a loopback address, for development), one `listening on` line
once the socket accepts, and a clean stop on SIGTERM or Ctrl-C (running
replications are cancelled resumably and resume at the next start).

It runs on uvloop with httptools parsing HTTP/1.1 (with a bound on request
heads: imgrepl.service.http): the two halve the CPU a small request costs
the server (0.61 ms to about 0.35 ms for a version GET,
benches/bench_service.py), and that CPU is what bounds latency under many
clients.  Replications run in this process with the engine's threads at a
lower priority (ServiceConfig.replication_nice), so requests get a core
when they need one while a copy uses the rest."""

from __future__ import annotations

import asyncio
import ipaddress
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn
import uvloop
from starlette.routing import BaseRoute

from imgrepl.copies import run_copies_at_nice
from imgrepl.exceptions import ValidationError
from imgrepl.service.app import create_app
from imgrepl.service.config import ServiceConfig
from imgrepl.service.http import BoundedHead

GRACE_SECONDS = 5  # open connections (event streams) get this long at a stop


def is_loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_tls(cert: Path | None, key: Path | None, insecure_http: bool, host: str) -> None:
    if insecure_http:
        if not is_loopback(host):
            raise ValidationError(
                f"--insecure-http is allowed on a loopback address only, not {host!r}: "
                "give --tls-cert and --tls-key"
            )
        return
    if cert is None or key is None:
        raise ValidationError("--tls-cert and --tls-key are required (or --insecure-http)")
    for flag, path in (("--tls-cert", cert), ("--tls-key", key)):
        if not path.is_file():
            raise ValidationError(f"{flag} {path}: no such file")


def serve(
    config: ServiceConfig,
    host: str,
    port: int,
    cert: Path | None,
    key: Path | None,
    insecure_http: bool = False,
    extra_routes: Sequence[BaseRoute] = (),
) -> int:
    """Serves until SIGTERM or SIGINT; `extra_routes` go before the ARM API."""
    check_tls(cert, key, insecure_http, host)
    run_copies_at_nice(config.replication_nice)
    asyncio.run(preflight(config))
    tls = {} if insecure_http else {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    uv = uvicorn.Config(
        create_app(config, extra_routes),
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=GRACE_SECONDS,
        server_header=False,
        http=BoundedHead,
        **tls,  # type: ignore[arg-type]
    )
    server = uvicorn.Server(uv)
    # uvicorn raises the signal again once it has stopped; these make that a no-op
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    ok = uvloop.run(_run(server, "http" if insecure_http else "https"))
    print("imgrepl serve: stopped", file=sys.stderr, flush=True)
    return 0 if ok else 1


async def preflight(config: ServiceConfig) -> None:
    """Refuses, in one line before anything listens, a catalog that cannot
    be opened or a user who is not the home's owner (the server resumes
    and runs replications as the owner)."""
    from imgrepl.api.client import Client

    async with Client(config.home, catalog=config.catalog) as owner:
        await owner.unfinished_versions()


async def _run(server: uvicorn.Server, scheme: str) -> bool:
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    if server.started:
        sock = server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"imgrepl serve: listening on {scheme}://{shown}:{port}", flush=True)
    await serving
    return server.started

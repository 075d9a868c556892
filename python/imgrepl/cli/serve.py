"""`imgrepl serve`: the gallery as an HTTPS service speaking Azure's ARM API
(imgrepl.service), so the Azure SDKs and tools work against it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imgrepl.cli.oidc import add_oidc_args
from imgrepl.cli.parser import add_command
from imgrepl.copies import NICE_BESIDE_SERVER


def register(sub: Any, summary: str) -> None:
    p = add_command(
        sub,
        "serve",
        run,
        help=summary,
        description="Serve the home's gallery over HTTPS with Azure's ARM REST API for "
        "Microsoft.Compute/galleries.  Every request needs a bearer token.  Prints "
        "`listening on https://HOST:PORT` when ready; SIGTERM or Ctrl-C stops it, and "
        "replications it was running resume at its next start.",
        example=[
            (
                "Serve a team on port 8443, taking image files from /srv/images.",
                "imgrepl serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem "
                "--import-root /srv/images",
            ),
        ],
    )
    p.add_argument(
        "--home", help="home directory (default: $IMGREPL_HOME or ~/.local/share/imgrepl)"
    )
    p.add_argument("--catalog", metavar="URL", help="the catalog (default: the home's)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8443, help="port (default: 8443; 0 picks one)")
    p.add_argument("--tls-cert", type=Path, metavar="CERT", help="the server certificate (PEM)")
    p.add_argument("--tls-key", type=Path, metavar="KEY", help="its private key (PEM)")
    p.add_argument(
        "--import-root",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a directory `file://` sources may come from (repeatable); no other local "
        "file is ever read for a client",
    )
    add_oidc_args(p)
    p.add_argument(
        "--replication-nice",
        type=int,
        default=NICE_BESIDE_SERVER,
        metavar="N",
        help="the nice value (0-19) of the engine threads that copy, so requests are "
        f"answered first while a replication runs (default: {NICE_BESIDE_SERVER})",
    )
    p.add_argument(
        "--insecure-http",
        action="store_true",
        help="plain HTTP, for development; only on a loopback address",
    )


def run(args: argparse.Namespace) -> int:
    from imgrepl.cli.oidc import oidc_config
    from imgrepl.home import resolve_home

    try:
        from imgrepl.service.config import ServiceConfig
        from imgrepl.service.server import serve
    except ImportError as exc:  # starlette, uvicorn: the `service` extra
        raise ValueError(
            f"imgrepl serve needs {exc.name or 'its web server'}: pip install 'imgrepl[service]'"
        ) from None

    roots = tuple(r.expanduser().resolve() for r in args.import_root)
    for root in roots:
        if not root.is_dir():
            raise ValueError(f"--import-root {root}: not a directory")
    if not 0 <= args.replication_nice <= 19:
        raise ValueError(f"--replication-nice {args.replication_nice}: must be 0 to 19")
    config = ServiceConfig(
        resolve_home(args.home),
        args.catalog,
        roots,
        oidc=oidc_config(args),
        replication_nice=args.replication_nice,
    )
    return serve(config, args.host, args.port, args.tls_cert, args.tls_key, args.insecure_http)

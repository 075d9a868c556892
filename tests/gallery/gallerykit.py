"""Helpers of the gallery tests: drive the async client and the CLI (in a
subprocess, as a user would) on a home with local region stores."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
OWNER = "owner"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def cli(home: Path, *args: str, principal: str = OWNER, check: bool = True) -> Any:
    """Runs `python -m imgrepl ARGS -o json --home HOME`; returns parsed JSON."""
    proc = cli_proc(home, *args, principal=principal)
    if check and proc.returncode != 0:
        raise AssertionError(f"imgrepl {' '.join(args)} failed: {proc.stderr}")
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def cli_proc(home: Path, *args: str, principal: str = OWNER) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IMGREPL_PRINCIPAL": principal}
    env.pop("IMGREPL_HOME", None)
    argv = [sys.executable, "-m", "imgrepl", *args, "--home", str(home), "-o", "json"]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


async def setup_regions(home: Path, stores: Path, *, zones: dict[str, int] | None = None) -> None:
    """Three local regions; `zones` gives some of them availability zones."""
    from imgrepl import Client

    async with Client(home, principal=OWNER) as c:
        for name in ("westeurope", "eastus", "northeurope"):
            await c.add_region(name, str(stores / name), zones=(zones or {}).get(name, 0))


async def setup_definition(home: Path, stores: Path, **zones: int) -> None:
    from imgrepl import Client

    await setup_regions(home, stores, zones=zones)
    async with Client(home, principal=OWNER) as c:
        await c.create_gallery("G", "westeurope")
        await c.create_image_definition(
            "G", "D", publisher="acme", offer="os", sku="1", os_type="Linux"
        )


def make_raw(path: Path, mib: int, seed: int = 1) -> Path:
    """A raw image of `mib` MiB: pseudo-random data with an all-zero stretch
    (so zero-chunk handling is exercised), different for each seed."""
    import random

    rng = random.Random(seed)
    chunk = 1 << 20
    with path.open("wb") as f:
        for i in range(mib):
            f.write(bytes(chunk) if i % 4 == 1 else rng.randbytes(chunk))
    return path


def make_vhd(path: Path, raw: Path, subformat: str = "fixed") -> Path:
    """A real VHD made by qemu-img from a raw image."""
    subprocess.run(
        [
            "qemu-img",
            "convert",
            "-f",
            "raw",
            "-O",
            "vpc",
            "-o",
            f"subformat={subformat},force_size=on",
            str(raw),
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    return path


def xxh128(path: Path) -> str:
    """An independent digest of a whole file (the xxhash package, not the engine)."""
    import xxhash

    h = xxhash.xxh3_128()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return str(h.hexdigest())


def local(location: str) -> Path:
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(location).path))

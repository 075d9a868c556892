"""Helpers of the gallery tests: real images (tests/images.py, qemu-img), a
home with local region stores, the CLI (in this process, or in a
subprocess where two processes matter), and independent checks (xxhash)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from helpers.images import DiskSpec, MiB, make_vhd
from helpers.images import make_raw as make_raw_spec

T = TypeVar("T")
OWNER = "owner"
IDS = ["-r", "G", "-i", "D", "-e", "1.0.0"]
CHUNK = 4 * MiB  # the engine's default chunk size
# homes whose catalog is not the test's $IMGREPL_CATALOG (a second home of its
# own): the helpers below open it with --catalog / Client(catalog=...)
CATALOGS: dict[Path, str] = {}


def catalog_args(home: Path | None) -> list[str]:
    url = CATALOGS.get(home) if home else None
    return ["--catalog", url] if url else []


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


# --- images ---------------------------------------------------------------------------
def spec(mib: int, seed: int = 1) -> DiskSpec:
    """`mib` MiB of pseudo-random data with an all-zero second MiB (zero chunks
    and holes are exercised), different for each seed."""
    return DiskSpec(mib * MiB, seed, ((MiB, MiB),) if mib > 1 else ())


def raw(path: Path, mib: int, seed: int = 1) -> Path:
    return make_raw_spec(path, spec(mib, seed))


def vhd(path: Path, mib: int, subformat: str = "fixed", seed: int = 1) -> Path:
    """A real VHD made by `qemu-img convert`."""
    return make_vhd(path, spec(mib, seed), subformat)


def xxh128(path: Path) -> str:
    """An independent digest of a whole file (the xxhash package, not the engine)."""
    import xxhash

    h = xxhash.xxh3_128()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return str(h.hexdigest())


def image_digest(path: Path, chunk: int = CHUNK) -> str:
    """The engine's whole-image digest, computed here from the manifest
    format's definition: xxh3-128 of the 40-byte header, then of every chunk."""
    import xxhash

    size = path.stat().st_size
    count = -(-size // chunk)
    h = xxhash.xxh3_128(b"IMGRMANI" + struct.pack("<IIQQQ", 1, 1, chunk, size, count))
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(xxhash.xxh3_128(block).digest())
    return str(h.hexdigest())


def flip(path: Path, offset: int) -> None:
    """Corrupts one byte of a real file (all its bits)."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.pwrite(fd, bytes([os.pread(fd, 1, offset)[0] ^ 0xFF]), offset)
    finally:
        os.close(fd)


def local(location: str) -> Path:
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(location).path))


def stamps(paths: list[Path]) -> list[tuple[int, int]]:
    """What changes when a file is written again (its inode or mtime)."""
    return [(p.stat().st_ino, p.stat().st_mtime_ns) for p in paths]


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- the CLI --------------------------------------------------------------------------
@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout) if self.stdout.strip() else None


def cli_run(home: Path | None, *args: str, principal: str = OWNER, output: str = "json") -> Result:
    """`imgrepl ARGS --home HOME --as PRINCIPAL -o OUTPUT` in this process
    (without --home for None: the environment decides)."""
    from imgrepl.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = [*args, *(["--home", str(home)] if home else []), *catalog_args(home)]
    argv += ["--as", principal, "-o", output]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refusals
            code = int(exc.code or 0)
    return Result(code, out.getvalue(), err.getvalue())


def cli(home: Path, *args: str, principal: str = OWNER) -> Any:
    """The command's JSON; a failure is an AssertionError with its stderr."""
    result = cli_run(home, *args, principal=principal)
    if result.returncode != 0:
        raise AssertionError(f"imgrepl {' '.join(args)} failed: {result.stderr}")
    return result.json()


def cli_argv(home: Path, *args: str) -> list[str]:
    argv = [sys.executable, "-m", "imgrepl", *args, "--home", str(home), *catalog_args(home)]
    return [*argv, "-o", "json"]


def cli_env(principal: str = OWNER, **extra: str) -> dict[str, str]:
    env = {**os.environ, "IMGREPL_PRINCIPAL": principal, **extra}
    env.pop("IMGREPL_HOME", None)
    return env


def cli_proc(home: Path, *args: str, principal: str = OWNER) -> Result:
    """The same in a subprocess, as a user runs it (principal from the environment)."""
    proc = subprocess.run(
        cli_argv(home, *args), capture_output=True, text=True, env=cli_env(principal), timeout=120
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def create_cli(home: Path, version: str, image: Path, *extra: str) -> Any:
    """`sig image-version create` of G/D/VERSION from `image` in westeurope."""
    ids = ["-r", "G", "-i", "D", "-e", version]
    return cli(home, "sig", "image-version", "create", *ids, "-l", "westeurope", "--os-vhd",
               str(image), *extra)  # fmt: skip


def shown(home: Path, *ids: str) -> Any:
    return cli(home, "sig", "image-version", "show", *(ids or IDS), "--expand", "ReplicationStatus")


def region_states(version: Any) -> dict[str, str]:
    """region -> state, from a version's JSON or model."""
    if isinstance(version, dict):
        return {s["region"]: s["state"] for s in version["replicationStatus"]["summary"]}
    return {s.region: s.state for s in version.replication_status.summary}


def poll(what: str, check: Callable[[], T | None], timeout: float = 60) -> T:
    """Calls `check()` until it returns something true (a deadline, not an assertion on speed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def worker_log(path: Path) -> str:
    """A background worker's whole log: it writes its last line (the
    version's id and state) after it lets go of the job, which is what
    ends `wait`, so a reader right after `wait` waits for that line."""
    ended = re.compile(r"^\S+ /subscriptions/\S+: \w+$", re.M)

    def whole() -> str | None:
        text = path.read_text()
        return text if ended.search(text) else None

    return poll(f"the last line of {path.name}", whole)


# --- a home ---------------------------------------------------------------------------
async def setup_home(
    home: Path, stores: dict[str, Path], zones: dict[str, int] | None = None
) -> None:
    """Regions (name -> store directory), gallery G in westeurope and its definition D."""
    from imgrepl import Client

    async with Client(home, principal=OWNER, catalog=CATALOGS.get(home)) as c:
        for name, store in stores.items():
            await c.add_region(name, str(store), zones=(zones or {}).get(name, 0))
        await c.create_gallery("G", "westeurope")
        await c.create_image_definition(
            "G", "D", publisher="acme", offer="os", sku="1", os_type="Linux"
        )


async def setup_definition(home: Path, stores: Path, **zones: int) -> None:
    """Regions westeurope, eastus, northeurope with stores under `stores`, and G/D."""
    names = ("westeurope", "eastus", "northeurope")
    await setup_home(home, {n: stores / n for n in names}, zones)


async def publish(
    c: Any,
    image: Path,
    *targets: Any,
    version: str = "1.0.0",
    location: str = "westeurope",
    **kw: Any,
) -> Any:
    """G/D/VERSION from `image`, sourced in `location`."""
    return await c.create_image_version(
        "G", "D", version, location=location, os_vhd=image,
        target_regions=list(targets) or None, **kw,
    )  # fmt: skip


def catalog_of(home: Path) -> Any:
    """The catalog the home's clients open (on PostgreSQL: $IMGREPL_CATALOG)."""
    from imgrepl.catalog import open_catalog, resolve_catalog

    return open_catalog(resolve_catalog(home, CATALOGS.get(home)))


def catalog_state(home: Path) -> list[str]:
    """Every row of every table of the catalog, ordered, whatever its backend:
    equal before and after a refusal."""
    from imgrepl.catalog import resolve_catalog

    where = resolve_catalog(home, CATALOGS.get(home))
    if isinstance(where, Path):
        db = sqlite3.connect(where / "catalog.db")
        try:
            return list(db.iterdump())
        finally:
            db.close()
    import psycopg

    with psycopg.connect(where) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' ORDER BY table_name"
        ).fetchall()
        return [
            f"{t}: {row!r}"
            for (t,) in tables
            for row in conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
        ]


def catalog_sql(home: Path, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Runs one statement (qmark parameters) in a write transaction of the
    home's catalog, whatever its backend, as an older version or a hand
    edit would have; its rows, if any."""
    catalog = catalog_of(home)
    try:
        with catalog.session.write() as db:
            cursor = db.execute(statement, params)
            return (
                list(cursor.fetchall()) if statement.lstrip().upper().startswith("SELECT") else []
            )
    finally:
        catalog.close()


def catalog_at_rest(home: Path) -> bytes:
    """What a backup of the catalog holds: SQLite's files (free pages and
    WAL included, what `strings catalog.db` reads), or on PostgreSQL every
    row of every table (what pg_dump writes)."""
    from imgrepl.catalog import resolve_catalog

    where = resolve_catalog(home, CATALOGS.get(home))
    if isinstance(where, Path):
        return b"".join(p.read_bytes() for p in sorted(where.glob("catalog.db*")))
    return "\n".join(catalog_state(home)).encode()


def table_count(home: Path, table: str) -> int:
    catalog = catalog_of(home)
    try:
        with catalog.session.read() as db:
            return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        catalog.close()


# --- pausing a real replication (imgrepl.replication.pause) -----------------------------
@contextlib.contextmanager
def paused(directory: Path, act: Callable[[str, str], None]) -> Iterator[dict[str, str]]:
    """Answers the replicator's pause points in `directory`: `act(point,
    location)` runs at each, then the replicator goes on.  Yields the
    environment a replicating process needs."""
    directory.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    errors: list[BaseException] = []

    def answer() -> None:
        seen: set[Path] = set()
        while not stop.is_set():
            for f in sorted(directory.glob("*.json")):
                if f in seen:
                    continue
                seen.add(f)
                info = json.loads(f.read_text())
                try:
                    act(info["point"], info["location"])
                except BaseException as exc:  # reported by the test, after
                    errors.append(exc)
                f.with_suffix(".go").touch()
            time.sleep(0.02)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield {"IMGREPL_TEST_PAUSE_DIR": str(directory)}
    finally:
        stop.set()
        thread.join()
    if errors:
        raise errors[0]

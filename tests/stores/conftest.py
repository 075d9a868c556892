"""Store fixtures: real S3 (rclone serve s3) and Azure Blob (Azurite)
servers on 127.0.0.1, started once per session on first use and stopped at
the end, registered with imgrepl under their own bucket/container; and
`store`, one backend of the conformance suite (local, s3, azure), with a
fresh prefix per test and independent ways to read and damage what it
holds (see helpers/store_servers.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import imgrepl
import pytest
from helpers.store_servers import Azurite, RcloneS3, ServerProcess

BUCKET = "imgrepl-test"
BACKENDS = ["local", "s3", "azure"]


Server = TypeVar("Server", bound=ServerProcess)


def _serve(server: Server, scheme: str, create: Callable[[str], None]) -> Iterator[Server]:
    """Starts `server`, makes BUCKET on it and registers it with imgrepl
    as SCHEME://BUCKET for the session; undoes all that afterwards."""
    server.start()
    try:
        create(BUCKET)
        imgrepl.register_store(f"{scheme}://{BUCKET}", server.options())
        yield server
    finally:
        imgrepl.unregister_store(f"{scheme}://{BUCKET}")
        server.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RcloneS3]:
    server = RcloneS3(tmp_path_factory.mktemp("rclone-s3"))
    yield from _serve(server, "s3", server.create_bucket)


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    server = Azurite()
    yield from _serve(server, "az", server.create_container)


@dataclass
class Backend:
    """One store kind under a per-test prefix.  `url` is what imgrepl is
    given; `read`/`write`/`keys` bypass imgrepl entirely."""

    kind: str
    prefix: str
    local_root: Path
    s3: RcloneS3 | None = None
    az: Azurite | None = None

    def url(self, key: str) -> str:
        if self.kind == "local":
            path = self.local_root / self.prefix / key
            path.parent.mkdir(parents=True, exist_ok=True)
            return str(path)
        scheme = "s3" if self.kind == "s3" else "az"
        return f"{scheme}://{BUCKET}/{self.prefix}/{key}"

    def read(self, key: str) -> bytes | None:
        full = f"{self.prefix}/{key}"
        if self.s3 is not None:
            return self.s3.read(BUCKET, full)
        if self.az is not None:
            return self.az.read(BUCKET, full)
        path = self.local_root / full
        return path.read_bytes() if path.is_file() else None

    def write(self, key: str, data: bytes) -> None:
        full = f"{self.prefix}/{key}"
        if self.s3 is not None:
            self.s3.write(BUCKET, full, data)
        elif self.az is not None:
            self.az.write(BUCKET, full, data)
        else:
            (self.local_root / full).write_bytes(data)

    def keys(self) -> list[str]:
        """Everything stored under the prefix, relative to it: rclone's
        hidden temporaries and local partial files included, so leftovers
        show.  (Azure has no multipart abort: blocks staged by an upload
        that never commits stay invisible and the service discards them
        after a week, so only committed blobs count.)"""
        if self.s3 is not None:
            found = [k.removeprefix(f"{self.prefix}/") for k in self.s3.keys(BUCKET, self.prefix)]
        elif self.az is not None:
            found = [
                k.removeprefix(f"{self.prefix}/") for k in self.az.keys(BUCKET, f"{self.prefix}/")
            ]
        else:
            base = self.local_root / self.prefix
            found = [str(p.relative_to(base)) for p in base.rglob("*") if p.is_file()]
        return sorted(found)


def make_backend(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> Backend:
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    if kind == "s3":
        return Backend(kind, prefix, tmp_path, s3=request.getfixturevalue("s3_server"))
    if kind == "azure":
        return Backend(kind, prefix, tmp_path, az=request.getfixturevalue("azurite"))
    return Backend(kind, prefix, tmp_path)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each backend in turn; servers start only for the tests that use them."""
    return make_backend(request, request.param, tmp_path / "local-store")


@pytest.fixture
def backends(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Backend]:
    """All three backends at once, for copies across any mix of them."""
    return {k: make_backend(request, k, tmp_path / "local-store") for k in BACKENDS}

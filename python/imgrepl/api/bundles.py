"""`imgrepl.Client`, part three: carrying a version to another gallery as one
bundle file or stream (imgrepl.bundles; docs/bundle-format.md).

Export reads one completed replica of each disk (a local one first) and its
manifest; with `base`, chunks the base version also holds are left out.
Import checks every chunk while it rebuilds the disks in a private folder
of the home, takes left-out chunks from this gallery's replicas of the base
version, and only then records the version and replicates it as usual: a
bad bundle records nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from imgrepl import stores
from imgrepl.api.galleries import CatalogApi
from imgrepl.api.versions import VersionApi
from imgrepl.exceptions import BundleError, ConflictError, NotFoundError, ValidationError
from imgrepl.files import check_replaceable, create_temporary, open_stream
from imgrepl.gallery.access import WRITE
from imgrepl.gallery.models import ImageVersion, Replica

if TYPE_CHECKING:  # the bundle format (zstandard, xxhash) loads when a bundle is made or read
    from imgrepl.bundles.reader import Restored
    from imgrepl.bundles.writer import BundleStats, DiskSource
    from imgrepl.replication.replicator import ProgressCallback

Sink = str | os.PathLike[str] | BinaryIO
ByteProgress = Callable[[int, int], None]


class BundleApi(CatalogApi, VersionApi):
    async def export_version(
        self,
        gallery: str,
        definition: str,
        version: str,
        out: Sink,
        *,
        base: str | None = None,
        threads: int = 2,
        on_progress: ByteProgress | None = None,
    ) -> BundleStats:
        """Writes the version to `out` (a path or a binary stream); a path
        replaces a regular file only, never a device, a FIFO or a link."""
        v = await self.get_image_version(gallery, definition, version)
        if isinstance(out, str | os.PathLike):
            check_replaceable(Path(out), "bundle")
        skip: frozenset[bytes] = frozenset()
        if base is not None:
            skip = await self._digests_of(gallery, definition, base)
        header = {
            "gallery": gallery,
            "definition": definition,
            "name": v.name,
            "base": base,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "version": v.to_azure(),
        }
        async with self._local_disks(gallery, definition, v) as disks:
            return await asyncio.to_thread(
                _write_to, out, header, disks, skip, threads, on_progress
            )

    async def import_version(
        self,
        gallery: str,
        definition: str,
        bundle: Sink,
        *,
        location: str,
        name: str | None = None,
        target_regions: Sequence[str] | None = None,
        replica_count: int = 1,
        storage_account_type: str = "Standard_LRS",
        on_progress: ProgressCallback | None = None,
    ) -> ImageVersion:
        """Checks and unpacks the bundle, then publishes it as `name` (else
        the bundled version's name) and replicates it, waiting."""
        await self._require(WRITE, "import image versions", gallery, definition)
        await self.get_image_definition(gallery, definition)
        work = Path(tempfile.mkdtemp(prefix="import-", dir=self._imports_dir()))
        try:
            restored = await self._restore(gallery, definition, bundle, work)
            version = name or str(restored.header.get("name") or "")
            await self._refuse_existing(gallery, definition, version)
            os_disk = next((d for d in restored.disks if d.lun is None), None)
            if os_disk is None:
                raise BundleError("the bundle has no OS disk")
            data = {d.lun: d.path for d in restored.disks if d.lun is not None}
            return await self.create_image_version(
                gallery,
                definition,
                version,
                location=location,
                os_vhd=os_disk.path,
                data_vhds=data or None,
                target_regions=target_regions,
                replica_count=replica_count,
                storage_account_type=storage_account_type,
                on_progress=on_progress,
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------
    def _imports_dir(self) -> Path:
        path = self.home / "imports"
        # the home too is made private when a catalog elsewhere left it unmade
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
        return path

    async def _refuse_existing(self, gallery: str, definition: str, version: str) -> None:
        with contextlib.suppress(NotFoundError):
            await self.get_image_version(gallery, definition, version)
            raise ConflictError(
                f"image version {version!r} exists already in {gallery}/{definition}: "
                "give --gallery-image-version another name"
            )

    async def _completed(self, gallery: str, definition: str, version: str) -> list[Replica]:
        """One completed replica per disk, local stores first."""
        replicas = await self.list_replicas(gallery, definition, version)
        best: dict[int | None, Replica] = {}
        for r in sorted(replicas, key=lambda r: (not stores.is_local(r.location), r.region)):
            if r.state == "Completed":
                best.setdefault(r.lun, r)
        return list(best.values())

    async def _digests_of(self, gallery: str, definition: str, version: str) -> frozenset[bytes]:
        found = set()
        for r in await self._completed(gallery, definition, version):
            m = await stores.read_manifest(r.location)
            found.update(_split_digests(m))
        if not found:
            raise ValidationError(f"base version {version!r} has no completed replica here")
        return frozenset(found)

    @contextlib.asynccontextmanager
    async def _local_disks(
        self, gallery: str, definition: str, v: ImageVersion
    ) -> AsyncIterator[list[DiskSource]]:
        """The version's disks as local files: a local replica as it is, a
        remote one fetched into a private temporary folder first."""
        from imgrepl.bundles.writer import DiskSource

        replicas = {r.lun: r for r in await self._completed(gallery, definition, v.name)}
        with tempfile.TemporaryDirectory(dir=self._imports_dir()) as tmp:
            disks = []
            for disk in v.disks:
                r = replicas.get(disk.lun)
                if r is None:
                    raise ValidationError(f"{v.id} has no completed replica of disk {disk.label}")
                manifest = await stores.read_manifest(r.location)
                if stores.is_local(r.location):
                    path = stores.local_path(r.location)
                else:
                    path = Path(tmp) / f"{disk.label}.img"
                    await stores.fetch(r.location, path, None)
                disks.append(DiskSource(disk.lun, str(path), manifest))
            yield disks

    async def _restore(self, gallery: str, definition: str, bundle: Sink, work: Path) -> Restored:
        """Reads the header, finds the base version it names (if any), then
        the chunks: one pass, so a stream works as well as a file."""
        from imgrepl.bundles.format import CheckedReader
        from imgrepl.bundles.reader import read_header, restore

        base = _BaseIndex()
        with contextlib.ExitStack() as stack:
            stack.callback(base.close)
            f = bundle
            if isinstance(bundle, str | os.PathLike):
                f = stack.enter_context(open_stream(Path(bundle)))
            assert not isinstance(f, str | os.PathLike)
            r = CheckedReader(f)
            try:
                header, tables = await asyncio.to_thread(read_header, r)
                if header.get("base") is not None:
                    await base.load(self, gallery, definition, str(header["base"]), work / "base")
                dest = work / "disks"
                dest.mkdir(mode=0o700)
                return await asyncio.to_thread(restore, r, header, tables, dest, base)
            except BundleError as exc:
                if isinstance(bundle, str | os.PathLike):  # which file is bad
                    raise BundleError(f"bundle {bundle}: {exc}") from None
                raise
        raise AssertionError("unreachable")


class _BaseIndex:
    """Chunks of the base version's replicas here, by digest.  Loaded only
    when a bundle turns out to name a base (its header says which)."""

    def __init__(self) -> None:
        self.where: dict[bytes, tuple[str, int]] = {}
        self.files: dict[str, int] = {}

    async def load(
        self, client: BundleApi, gallery: str, definition: str, version: str, tmp: Path
    ) -> None:
        try:
            replicas = await client._completed(gallery, definition, version)
        except NotFoundError:
            replicas = []
        tmp.mkdir(mode=0o700)
        for r in replicas:
            manifest = await stores.read_manifest(r.location)
            path = stores.local_path(r.location) if stores.is_local(r.location) else None
            if path is None:
                path = tmp / f"{len(self.files)}.img"
                await stores.fetch(r.location, path, None)
            chunk = _chunk_size(manifest)
            for i, digest in enumerate(_split_digests(manifest)):
                self.where.setdefault(digest, (str(path), i * chunk))

    def read(self, digest: bytes, length: int) -> bytes | None:
        found = self.where.get(digest)
        if found is None:
            return None
        path, offset = found
        if path not in self.files:
            self.files[path] = os.open(path, os.O_RDONLY)
        return os.pread(self.files[path], length, offset)

    def close(self) -> None:
        for fd in self.files.values():
            os.close(fd)
        self.files.clear()


def _split_digests(manifest: bytes) -> list[bytes]:
    from imgrepl._core import Manifest
    from imgrepl.bundles.format import DIGEST_SIZE

    raw = Manifest.from_bytes(manifest).digest_bytes()
    return [raw[i : i + DIGEST_SIZE] for i in range(0, len(raw), DIGEST_SIZE)]


def _chunk_size(manifest: bytes) -> int:
    from imgrepl._core import Manifest

    return int(Manifest.from_bytes(manifest).chunk_size)


def _write_to(out: Sink, header: dict[str, Any], disks: list[DiskSource], skip: frozenset[bytes],
              threads: int, on_progress: ByteProgress | None) -> BundleStats:  # fmt: skip
    from imgrepl.bundles.writer import write_bundle

    if not isinstance(out, str | os.PathLike):
        return write_bundle(out, header, disks, skip=skip, threads=threads, on_progress=on_progress)
    target = Path(out)
    tmp = target.with_name(f".{target.name}.imgrepl-tmp")
    try:
        with create_temporary(tmp) as f:
            stats = write_bundle(
                f, header, disks, skip=skip, threads=threads, on_progress=on_progress
            )
            os.fsync(f.fileno())
        check_replaceable(target, "bundle")  # again: a device may have been put there
        tmp.replace(target)  # whole, or not there at all
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return stats

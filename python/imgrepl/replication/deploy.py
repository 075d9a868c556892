"""`disk create`: a new disk from a replica in the region, spreading
concurrent requests over the region's replicas (least busy first), verified
against the replica's manifest before it appears at its final name.

A replica in a local store is copied by the kernel, block by block; one in
an object store (s3://, az://) by the engine, which reads it in ranges, in
parallel.  Either way the new disk is then verified here against the
replica's manifest.

A region may declare `replica_read_mbps`, the read bandwidth of one replica
(a store's per-blob limit).  Readers of one replica share it: each reads at
limit / current readers, re-counted from the catalog's leases as they come
and go, in this process or another.  That sharing is what makes more
replicas deploy more disks at once.  (An engine copy cannot change its rate
once started: it takes its share of the readers when it starts.)
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from imgrepl import stores
from imgrepl.catalog import Catalog, ReplicaRow, VersionRef
from imgrepl.exceptions import ConflictError, VerifyError
from imgrepl.gallery.models import DeployedDisk
from imgrepl.stores import is_local

BLOCK = 256 * 1024  # the pacing step
RECOUNT_SECONDS = 0.1
_COPIERS = ThreadPoolExecutor(max_workers=256, thread_name_prefix="imgrepl-disk-create")


async def create_disk(
    catalog: Catalog,
    ref: VersionRef,
    region: str,
    out: Path,
    lun: int | None,
    overwrite: bool,
) -> DeployedDisk:
    out = out.expanduser().absolute()
    if out.exists() and not overwrite:
        raise ConflictError(f"--out {out} exists already; pass --overwrite to replace it")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"--out {out}: directory {out.parent} does not exist")
    info = await asyncio.to_thread(catalog.regions.get, region)
    lease, replica = await asyncio.to_thread(catalog.leases.acquire, ref, region, lun)
    tmp = out.with_name(f".{out.name}.imgrepl-tmp")
    started = time.monotonic()
    try:
        await _copy(catalog, replica, tmp, info.replica_read_mbps)
        await _verify_copy(catalog, replica, tmp)
        tmp.replace(out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        await asyncio.shield(asyncio.to_thread(catalog.leases.release, lease))
    image = f"{ref.gallery}/{ref.definition}/{ref.name}"
    seconds = time.monotonic() - started
    return DeployedDisk(
        str(out), image, region, replica.location, replica.size, seconds, replica.disk_digest
    )


async def _copy(catalog: Catalog, replica: ReplicaRow, tmp: Path, mbps: float | None) -> None:
    if not is_local(replica.location):
        readers = await asyncio.to_thread(catalog.leases.readers, replica.id)
        bwlimit = None if mbps is None else max(1, int(mbps * 1_000_000 / readers))
        await stores.fetch(replica.location, tmp, bwlimit)
        return
    # its own thread: the default executor's few workers would cap concurrency
    await asyncio.get_running_loop().run_in_executor(
        _COPIERS, _throttled_copy, catalog, replica, tmp, mbps
    )


async def _verify_copy(catalog: Catalog, replica: ReplicaRow, tmp: Path) -> None:
    """Checks the new disk against the replica's manifest (itself checked
    against the source's digest).  On a mismatch the replica is checked too:
    a corrupt one is marked Failed so no later disk is made from it."""
    manifest = await stores.read_manifest(replica.location)
    if stores.manifest_digest(manifest) != replica.disk_digest:
        why = f"the manifest of {replica.location} is not the source's"
        await asyncio.to_thread(catalog.replicas.set_state, replica.id, "Failed", details=why)
        raise VerifyError(f"disk create: {why}; the replica is marked Failed")
    check = await stores.verify_bytes(str(tmp), manifest, f"the new disk from {replica.location}")
    if check.ok:
        return
    source = await stores.verify(replica.location, manifest)
    hint = ""
    if not source.ok:
        await asyncio.to_thread(
            catalog.replicas.set_state, replica.id, "Failed", details=source.reason
        )
        hint = (
            "; the replica itself is corrupt and is marked Failed (repair it with "
            "`imgrepl sig image-version verify --repair`)"
        )
    raise VerifyError(f"disk create: {check.reason}{hint}; nothing was written at --out")


def _throttled_copy(catalog: Catalog, replica: ReplicaRow, tmp: Path, mbps: float | None) -> None:
    """Copies the replica's data ranges under a temporary name (its holes stay
    holes) in the kernel, block by block at the paced rate, and fsyncs."""
    pace = _Pace(catalog, replica.id, mbps)
    with stores.open_read(replica.location) as src, tmp.open("wb") as dst:
        size = os.fstat(src.fileno()).st_size
        copy = _BlockCopier(src.fileno(), dst.fileno())
        for start, end in _data_ranges(src.fileno(), size):
            for offset in range(start, end, BLOCK):
                n = min(BLOCK, end - offset)
                pace.wait(n)
                copy(offset, n)
        dst.truncate(size)
        os.fsync(dst.fileno())


def _data_ranges(fd: int, size: int) -> list[tuple[int, int]]:
    """[start, end) of the file's data; holes (zero chunks) are not read."""
    ranges, pos = [], 0
    try:
        while pos < size:
            start = os.lseek(fd, pos, os.SEEK_DATA)
            pos = os.lseek(fd, start, os.SEEK_HOLE)
            ranges.append((start, min(pos, size)))
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # no data after pos
            return ranges
        return [(0, size)]  # no SEEK_DATA here: all of it
    return ranges


class _BlockCopier:
    """copy_file_range (no bytes through Python, no GIL held); pread/pwrite
    where the kernel cannot copy between these two filesystems."""

    def __init__(self, src: int, dst: int) -> None:
        self.src, self.dst = src, dst
        self.in_kernel = True

    def __call__(self, offset: int, n: int) -> None:
        while n > 0:
            if self.in_kernel:
                try:
                    done = os.copy_file_range(self.src, self.dst, n, offset, offset)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                        raise
                    self.in_kernel = False
                    continue
            else:
                done = os.pwrite(self.dst, os.pread(self.src, n, offset), offset)
            if done == 0:
                raise OSError(errno.EIO, f"replica ended early at byte {offset}")
            offset, n = offset + done, n - done


class _Pace:
    """Keeps one reader at `mbps / readers of the replica`."""

    def __init__(self, catalog: Catalog, replica_id: int, mbps: float | None) -> None:
        self.catalog = catalog
        self.replica_id = replica_id
        self.rate = None if mbps is None else mbps * 1_000_000
        self.due = time.monotonic()
        self.share = 1
        self.counted = 0.0

    def wait(self, nbytes: int) -> None:
        if self.rate is None:
            return
        now = time.monotonic()
        if now - self.counted >= RECOUNT_SECONDS:
            self.share = self.catalog.leases.readers(self.replica_id)
            self.counted = now
        self.due = max(self.due, now - 0.05) + nbytes * self.share / self.rate
        if self.due > now:
            time.sleep(self.due - now)

"""Gallery operations on replicas in object stores (S3 on rclone serve s3,
Azure Blob on Azurite), each test for both: lowering a replica count,
removing a region and deleting a version delete exactly those replicas'
objects and manifests; `disk create` copies a remote replica into a
verified disk; and a delete while the store is down fails naming the store
and the operation, keeping the replica in the catalog, and succeeds once
the store is back.

What the stores hold is listed through the servers themselves (rclone's
files, Blob REST), never through imgrepl.  A store is taken down by a TCP
switch in front of its server (`StoreSwitch`), so Azurite, which keeps its
blobs in memory, keeps them across the outage.  S3 runs on an rclone server
of this module's own: rclone caches its bucket list, so listing the
session's server here would hide buckets that later tests create as
directories behind its back.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import imgrepl
import pytest
import xxhash
from conftest import BUCKET as AZ_CONTAINER
from helpers.gallery import OWNER, publish, run, setup_home, vhd
from helpers.store_servers import AZURITE_KEY, Azurite, RcloneS3
from imgrepl import Client
from imgrepl.exceptions import NotFoundError, StoreError, VerifyError

MANIFEST = ".imgrepl-manifest"
S3_BUCKET = "gallery-remote-ops"


class StoreSwitch:
    """A TCP forwarder in front of a store server: `off()` refuses new
    connections and cuts open ones (a store that is down), `on()` listens
    again on the same port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.on()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def on(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)  # so the accept loop sees `off()`
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def off(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            for s in self._open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(1 << 16):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


@dataclass
class Remote:
    """One object-store backend under a fresh prefix of the test bucket."""

    scheme: str
    bucket: str
    prefix: str
    s3: RcloneS3 | None
    az: Azurite | None

    def store(self, region: str) -> str:
        return f"{self.scheme}://{self.bucket}/{self.prefix}/{region}"

    def keys(self) -> list[str]:
        """Every object below the prefix, by URL, as the server lists it."""
        if self.s3 is not None:
            found = self.s3.keys(self.bucket, self.prefix)
        else:
            assert self.az is not None
            found = self.az.keys(self.bucket, f"{self.prefix}/")
        return sorted(f"{self.scheme}://{self.bucket}/{k}" for k in found)

    def write(self, location: str, data: bytes) -> None:
        """Overwrites an object through the server, not imgrepl."""
        key = location.removeprefix(f"{self.scheme}://{self.bucket}/")
        if self.s3 is not None:
            self.s3.write(self.bucket, key, data)
        else:
            assert self.az is not None
            self.az.write(self.bucket, key, data)

    def options(self, endpoint: str) -> dict[str, str]:
        """The server's options with its endpoint replaced (by a switch's)."""
        if self.s3 is not None:
            return {**self.s3.options(), "endpoint": endpoint}
        assert self.az is not None
        return {**self.az.options(), "endpoint": f"{endpoint}/devstoreaccount1"}

    @property
    def port(self) -> int:
        server = self.s3 or self.az
        assert server is not None
        return server.port

    @property
    def secret(self) -> str:
        return self.s3.secret_key if self.s3 is not None else AZURITE_KEY


@pytest.fixture(scope="module")
def own_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RcloneS3]:
    server = RcloneS3(tmp_path_factory.mktemp("rclone-gallery-ops"))
    server.create_bucket(S3_BUCKET)  # before it starts: its bucket list is cached
    server.start()
    try:
        imgrepl.register_store(f"s3://{S3_BUCKET}", server.options())
        yield server
    finally:
        imgrepl.unregister_store(f"s3://{S3_BUCKET}")
        server.stop()


@pytest.fixture(params=["s3", "azure"])
def remote(request: pytest.FixtureRequest) -> Remote:
    prefix = f"g-{uuid.uuid4().hex[:12]}"
    if request.param == "s3":
        return Remote("s3", S3_BUCKET, prefix, request.getfixturevalue("own_s3"), None)
    return Remote("az", AZ_CONTAINER, prefix, None, request.getfixturevalue("azurite"))


@pytest.fixture
def home(tmp_path: Path, remote: Remote) -> Path:
    """westeurope local (the gallery's region); eastus and northeurope in the
    object store, reached with the session's registered options."""
    home = tmp_path / "home"
    stores = {
        "westeurope": tmp_path / "westeurope",
        "eastus": remote.store("eastus"),
        "northeurope": remote.store("northeurope"),
    }
    run(setup_home(home, stores))  # type: ignore[arg-type]
    return home


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """6 MiB of data, a zero MiB among it: two engine chunks and a footer."""
    return vhd(tmp_path / "os.vhd", 6)


def objects_of(locations: list[str]) -> list[str]:
    """The objects a replica is: its image and its manifest."""
    return sorted(x for loc in locations for x in (loc, loc + MANIFEST))


async def locations(c: Client, region: str | None = None) -> list[str]:
    reps = await c.list_replicas("G", "D", "1.0.0")
    return sorted(r.location for r in reps if region is None or r.region == region)


async def delete_and_check_gone(c: Client, remote: Remote) -> None:
    """Deletes the version: nothing is left in the store or the catalog."""
    await c.delete_image_version("G", "D", "1.0.0")
    assert remote.keys() == []
    with pytest.raises(NotFoundError):
        await c.get_image_version("G", "D", "1.0.0")


def test_lowering_a_replica_count_deletes_exactly_the_extra_replicas(
    home: Path, image: Path, remote: Remote
) -> None:
    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await publish(c, image, "eastus=3", "northeurope=1", location="eastus")
            before = await locations(c)
            assert len(before) == 4 and remote.keys() == objects_of(before)
            eastus = await locations(c, "eastus")
            index_of = {r.location: r.index for r in await c.list_replicas("G", "D", "1.0.0")}
            updated = await c.update_image_version(
                "G", "D", "1.0.0", target_regions=["eastus=1", "northeurope=1"]
            )
            assert updated.provisioning_state == "Succeeded"
            after = await locations(c)
            extra = [loc for loc in eastus if index_of[loc] > 0]
            assert len(extra) == 2 and after == sorted(set(before) - set(extra))
            assert remote.keys() == objects_of(after)

    run(go())


def test_removing_a_region_and_deleting_the_version_delete_their_objects(
    home: Path, image: Path, remote: Remote
) -> None:
    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await publish(c, image, "eastus=1", "northeurope=2", location="eastus")
            north = await locations(c, "northeurope")
            assert len(north) == 2 and set(objects_of(north)) < set(remote.keys())
            await c.update_image_version(
                "G", "D", "1.0.0", remove_target_regions=["northeurope"],
                allow_replicated_location_deletion=True,
            )  # fmt: skip
            left = await locations(c)
            assert left == await locations(c, "eastus") and len(left) == 1
            assert remote.keys() == objects_of(left)
            await delete_and_check_gone(c, remote)

    run(go())


def test_disk_create_from_a_remote_only_region(
    home: Path, image: Path, remote: Remote, tmp_path: Path
) -> None:
    out_dir = tmp_path / "disks"
    out_dir.mkdir()

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await publish(c, image, "eastus=1", location="eastus")
            made = await c.create_disk("G/D/1.0.0", "eastus", out_dir / "vm.vhd")
            assert made.replica == remote.store("eastus") + "/G/D/1.0.0/os-0.vhd"
            assert made.to_azure()["verified"] is True

    run(go())
    disk = out_dir / "vm.vhd"
    assert disk.read_bytes() == image.read_bytes()
    want = xxhash.xxh3_128(image.read_bytes()).hexdigest()
    assert xxhash.xxh3_128(disk.read_bytes()).hexdigest() == want
    assert sorted(p.name for p in out_dir.iterdir()) == ["vm.vhd"]  # no manifest, no temp


def test_disk_create_from_a_corrupt_remote_replica_makes_no_disk(
    home: Path, image: Path, remote: Remote, tmp_path: Path
) -> None:
    """The replica's bytes rot in the store after replication (written
    through the server): no disk appears, and the replica is marked Failed."""
    out = tmp_path / "vm.vhd"

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await publish(c, image, "eastus=1", location="eastus")
            (loc,) = await locations(c)
            data = bytearray(image.read_bytes())
            data[5 * 2**20 + 7] ^= 0xFF  # chunk 1
            remote.write(loc, bytes(data))
            with pytest.raises(VerifyError, match=r"\(chunk 1\) differ .* marked Failed"):
                await c.create_disk("G/D/1.0.0", "eastus", out)
            (rep,) = await c.list_replicas("G", "D", "1.0.0")
            assert rep.state == "Failed"

    run(go())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".vm", "vm"))) == []


@pytest.fixture
def switched(home: Path, remote: Remote) -> Iterator[tuple[StoreSwitch, str]]:
    """Region southindia in the object store, reached through a switch."""
    switch = StoreSwitch(remote.port)
    store = remote.store("southindia")

    async def add() -> None:
        async with Client(home, principal=OWNER) as c:
            await c.add_region("southindia", store, store_options=remote.options(switch.endpoint))

    try:
        run(add())
        yield switch, store
    finally:
        switch.off()
        imgrepl.unregister_store(store)


def test_a_delete_while_the_store_is_down_fails_and_keeps_the_replica(
    home: Path, image: Path, remote: Remote, switched: tuple[StoreSwitch, str]
) -> None:
    switch, store = switched

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await publish(c, image, "southindia=2", location="southindia")
            held = await locations(c)
            assert remote.keys() == objects_of(held)
            switch.off()
            with pytest.raises(StoreError) as failed:
                await c.delete_image_version("G", "D", "1.0.0")
            why = str(failed.value)
            assert f"delete replica {held[0]} in store {store} failed" in why
            assert "deleting image version G/D/1.0.0" in why and remote.secret not in why
            version = await c.get_image_version("G", "D", "1.0.0")
            assert version.provisioning_state == "Deleting"
            reps = await c.list_replicas("G", "D", "1.0.0")
            assert sorted(r.location for r in reps) == held
            assert {r.state for r in reps} == {"Deleting"}
            assert remote.keys() == objects_of(held)  # nothing was deleted

            switch.on()
            await delete_and_check_gone(c, remote)

    run(go())


def test_lowering_a_count_while_the_store_is_down_keeps_the_replica_deleting(
    home: Path, image: Path, remote: Remote, switched: tuple[StoreSwitch, str]
) -> None:
    """The update fails naming the store; the other region's new replica is
    still made; the replica stays Deleting (never deployed) until a
    replicate deletes it with the store back."""
    switch, store = switched

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await publish(c, image, "southindia=2", location="southindia")
            held = await locations(c)
            switch.off()
            with pytest.raises(StoreError, match=f"delete replica {held[1]} in store {store}"):
                await c.update_image_version(
                    "G", "D", "1.0.0", target_regions=["southindia=1", "eastus=1"]
                )
            version = await c.get_image_version("G", "D", "1.0.0")
            assert version.provisioning_state == "Failed"
            states = {r.location: r.state for r in await c.list_replicas("G", "D", "1.0.0")}
            assert states[held[0]] == "Completed" and states[held[1]] == "Deleting"
            assert [s for loc, s in states.items() if "/eastus/" in loc] == ["Completed"]
            assert set(objects_of(held)) <= set(remote.keys())

            switch.on()
            done = await c.replicate("G", "D", "1.0.0")
            assert done.provisioning_state == "Succeeded"
            assert await locations(c, "southindia") == [held[0]]
            assert not set(objects_of([held[1]])) & set(remote.keys())

    run(go())

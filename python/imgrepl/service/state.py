"""What the running service holds: its configuration, one Client per
proven principal, and the work it runs in its own process as asyncio
tasks: replications and deletions of versions, one at a time per version
(cancelled on stop; the catalog keeps where each one was, and `start`
resumes every version left Creating, Updating or Deleting)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from imgrepl import stores
from imgrepl.api.client import Client
from imgrepl.api.identity import Authenticator
from imgrepl.exceptions import ImgreplError, NotFoundError
from imgrepl.gallery.identity import Identity
from imgrepl.gallery.models import Region
from imgrepl.gallery.scope import ArmId
from imgrepl.service.config import ServiceConfig
from imgrepl.service.reads import ReadCache
from imgrepl.service.worker import Worker

log = logging.getLogger("imgrepl.service")
UNFINISHED = ("Creating", "Updating", "Deleting")
Authenticate = Callable[[str | None], Awaitable[Identity]]


class Service:
    def __init__(self, config: ServiceConfig, authenticate: Authenticate | None = None) -> None:
        self.config = config
        self._authenticate = authenticate
        self._clients: dict[tuple[Identity | None, str, str | None], Client] = {}
        self._bases: dict[Identity | None, Client] = {}
        self._tasks: dict[tuple[str, ...], asyncio.Task[Any]] = {}
        self._failures: dict[tuple[str, ...], str] = {}
        self.owner: Client | None = None
        self.reads = ReadCache()  # GETs of versions (service.reads)
        self._worker: Worker | None = None  # the replications' own loop (service.worker)

    # --- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Opens the catalog as the home's owner (the user running the server)
        and resumes the versions a stop or a crash left unfinished."""
        self._worker = Worker()
        self.owner = Client(self.config.home, catalog=self.config.catalog)
        catalog, _ = await self.owner._open()
        if self._authenticate is None:
            self._authenticate = Authenticator(catalog, self.config.oidc).authenticate
        for v in await self.owner.unfinished_versions():
            scope = ArmId(v.subscription, v.resource_group, v.gallery, v.definition, v.name)
            if v.provisioning_state == "Deleting":
                self.delete(scope)
            else:
                self.replicate(scope, retry_failed=False)

    async def stop(self) -> None:
        """Cancels the running work (each leaves its replicas resumable),
        then closes every client."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        opened = [*self._clients.values(), *self._bases.values()]
        for client in [*opened, *([self.owner] if self.owner else [])]:
            await client.close()
        self._clients.clear()
        self._bases.clear()
        if self._worker is not None:
            await self._worker.close()
            self._worker = None

    # --- callers ---------------------------------------------------------------------
    async def authenticate(self, authorization: str | None) -> Identity:
        """Who the request's bearer token proves (401 AuthenticationError if none)."""
        assert self._authenticate is not None, "the service has not started"
        return await self._authenticate(authorization)

    def client(self, identity: Identity | None, scope: ArmId) -> Client:
        """The Client acting as the proven `identity` (None: the home's
        owner) in the scope's subscription and resource group (none: a list
        spans the subscription), kept for the service's life (the status page
        asks for the scopes the principal holds roles in)."""
        key = (identity, scope.subscription, scope.resource_group)
        found = self._clients.get(key)
        if found is None:
            found = Client(
                self.config.home,
                catalog=self.config.catalog,
                identity=identity,
                subscription=scope.subscription,
                resource_group=scope.resource_group,
            )
            self._clients[key] = found
        return found

    async def scoped(self, identity: Identity | None, scope: ArmId) -> Client:
        """The same, sharing one catalog connection per identity (Client.in_scope):
        what a request uses, so resource group names a caller makes up open
        no connections and keep nothing."""
        base = self._bases.get(identity)
        if base is None:
            base = self._bases[identity] = Client(
                self.config.home, catalog=self.config.catalog, identity=identity
            )
        return await base.in_scope(scope.subscription, scope.resource_group)

    async def regions(self) -> list[Region]:
        """The registered regions (to check an object source's store)."""
        assert self.owner is not None
        return await self.owner.list_regions()

    async def stage(self, source: str) -> str:
        """A local source as it is; an object-store source copied into the
        home first (inspected, then read by every copy from there: the
        object cannot change under a replication)."""
        if not source.startswith(("s3://", "az://")):
            return source
        staging = self.config.home / "imports" / "service"
        staging.mkdir(mode=0o700, parents=True, exist_ok=True)
        dest = staging / f"{uuid.uuid4().hex}{Path(urlparse(source).path).suffix[:8]}"
        try:
            await stores.fetch(source, dest)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                dest.unlink()
            raise
        return str(dest)

    def unstage(self, paths: list[str | None]) -> None:
        """Removes staged copies: of a version that was not recorded, was
        deleted, or is in every target region (a region added later is
        copied from the home region's replica, replication.verify.readable_source)."""
        staging = self.config.home / "imports" / "service"
        for path in paths:
            if path and Path(path).parent == staging:
                with contextlib.suppress(FileNotFoundError):
                    Path(path).unlink()

    # --- background work, one at a time per version ----------------------------------
    # The work runs as the home's owner, on the owner's catalog connection
    # (the request that started it was authorised, and the requests reading
    # its progress do not queue behind its writes on their caller's
    # connection), on the worker's loop (service.worker).
    def replicate(self, scope: ArmId, *, retry_failed: bool) -> None:
        async def work() -> None:
            owner = await self.scoped(None, scope)
            version = await owner.replicate(*_names(scope), retry_failed=retry_failed)
            if version.provisioning_state == "Succeeded":
                # every region holds it now: later copies read the home region's replica
                self.unstage([d.source for d in version.disks])

        self._run(scope, work)

    def delete(self, scope: ArmId) -> None:
        """Stops the version's replication, then deletes its replicas and it."""
        key = _key(scope)
        running = self._tasks.get(key)
        if running is not None:
            running.cancel()

        async def work() -> None:
            owner = await self.scoped(None, scope)
            try:
                disks = (await owner.get_image_version(*_names(scope))).disks
            except NotFoundError:
                disks = []
            await owner.delete_image_version(*_names(scope))
            self.unstage([d.source for d in disks])

        self._run(scope, work)

    def failure(self, scope: ArmId) -> str | None:
        return self._failures.get(_key(scope))

    def _run(self, scope: ArmId, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        key = _key(scope)
        before = self._tasks.get(key)
        worker = self._worker
        assert worker is not None, "the service has not started"

        async def guarded() -> None:
            if before is not None:  # each waits for the one before: one at a time
                await asyncio.gather(before, return_exceptions=True)
            self._failures.pop(key, None)
            try:
                await worker.run(work)
            except Exception as exc:  # recorded in the catalog; said in the log
                self._failures[key] = str(exc) if isinstance(exc, ImgreplError) else "failed"
                log.warning("%s: %s", "/".join(key), exc)

        task = asyncio.create_task(guarded(), name="/".join(key))
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))

    def _forget(self, key: tuple[str, ...], task: asyncio.Task[Any]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]


def _key(scope: ArmId) -> tuple[str, ...]:
    return scope.key()  # ARM ids compare case-insensitively


def _names(scope: ArmId) -> tuple[str, str, str]:
    return str(scope.gallery), str(scope.definition), str(scope.version)

"""What the running service holds: its configuration, one Client per
proven principal, and the replications it runs as asyncio tasks (cancelled
on stop, resumable: the catalog keeps where each one was)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from imgrepl.api.client import Client
from imgrepl.api.identity import Authenticator
from imgrepl.gallery.identity import Identity
from imgrepl.service.config import ServiceConfig

log = logging.getLogger("imgrepl.service")


class Service:
    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self._clients: dict[str, Client] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.owner: Client | None = None

    async def start(self) -> None:
        """Opens the catalog as the home's owner (the user running the server)."""
        self.owner = Client(self.config.home, catalog=self.config.catalog)
        await self.owner._open()

    async def stop(self) -> None:
        """Cancels the running replications (each leaves its replicas
        resumable), then closes every client."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in [*self._clients.values(), *([self.owner] if self.owner else [])]:
            await client.close()
        self._clients.clear()

    async def authenticate(self, authorization: str | None) -> str:
        """The principal an `Authorization: Bearer` header proves (imgrepl's
        identity layer); AuthenticationError (401) for anything else."""
        assert self.owner is not None
        catalog, _ = await self.owner._open()
        identity = await Authenticator(catalog).authenticate(authorization)
        return identity.principal

    def client(self, principal: str) -> Client:
        """The Client acting as `principal` (proven by its token): its roles
        only, never the home's owner's rights, whatever its name."""
        found = self._clients.get(principal)
        if found is None:
            proven = Identity(principal, "token")
            found = Client(self.config.home, identity=proven, catalog=self.config.catalog)
            self._clients[principal] = found
        return found

    def run_in_background(self, name: str, work: Coroutine[Any, Any, Any]) -> None:
        """Runs `work` until it ends or the service stops; failures are
        logged (they are recorded in the catalog by the replicator)."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s: %s", task.get_name(), task.exception())

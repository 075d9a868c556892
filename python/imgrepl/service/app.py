"""The ASGI application: Starlette routes for the ARM API, ARM-shaped
errors for anything a route raises, and the lifespan that owns the
service's state (its clients, operations and running replications).

Starlette rather than FastAPI: the ARM bodies are checked by the domain's
own rules (imgrepl.gallery.rules), so pydantic models would state every
rule twice; the service needs routing, requests and responses, which is
Starlette (FastAPI is Starlette plus those models)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from imgrepl.service import arm
from imgrepl.service.config import ServiceConfig
from imgrepl.service.page.mount import page_routes
from imgrepl.service.state import Authenticate, Service


def create_app(
    config: ServiceConfig,
    extra_routes: Sequence[BaseRoute] = (),
    authenticate: Authenticate | None = None,
) -> Starlette:
    """The service's app; `extra_routes` (the status page) are matched
    before the ARM routes; `authenticate` (default: imgrepl's identity
    layer) turns an Authorization header into a principal."""
    service = Service(config, authenticate)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    routes = [*page_routes(service), *extra_routes, *arm.routes()]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.service = service
    return app

"""The status page mounted in the service: a token from the sign-in cookie is
proven by the service's own authenticator (the one every ARM request goes
through) and the page reads through the service's Client of that identity,
which holds the identity's roles only."""

from __future__ import annotations

from starlette.routing import BaseRoute

from imgrepl.api.client import Client
from imgrepl.service.page.routes import StatusPage
from imgrepl.service.state import Service


def page_routes(service: Service) -> list[BaseRoute]:
    async def client_for(token: str) -> Client:
        return service.client(await service.authenticate(f"Bearer {token}"))

    return StatusPage(client_for).routes()

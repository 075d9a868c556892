"""The status page mounted in the service: a token from the sign-in cookie is
proven by the service's own authenticator (the one every ARM request goes
through) and the page reads as the service's Client of that principal."""

from __future__ import annotations

from starlette.routing import BaseRoute

from imgrepl.api.client import Client
from imgrepl.exceptions import AuthenticationError
from imgrepl.service.errors import ArmError
from imgrepl.service.page.routes import StatusPage
from imgrepl.service.state import Service


def page_routes(service: Service) -> list[BaseRoute]:
    async def client_for(token: str) -> Client:
        try:
            principal = await service.authenticate(f"Bearer {token}")
        except ArmError as exc:
            if exc.status == 401:  # the page answers refusals itself
                raise AuthenticationError(exc.code, exc.message) from None
            raise
        return service.client(principal)

    return StatusPage(client_for).routes()

"""The status page mounted in the service: a token from the sign-in cookie is
proven by the service's own authenticator (the one every ARM request goes
through) and the page reads through the service's Clients of that identity,
one per scope, which hold the identity's roles only."""

from __future__ import annotations

from starlette.routing import BaseRoute

from imgrepl.api.client import Client
from imgrepl.gallery.scope import ArmId
from imgrepl.service.page.data import Viewer
from imgrepl.service.page.routes import StatusPage
from imgrepl.service.state import Service


def page_routes(service: Service) -> list[BaseRoute]:
    async def viewer_for(token: str) -> Viewer:
        identity = await service.authenticate(f"Bearer {token}")

        def client_in(subscription: str, resource_group: str | None) -> Client:
            return service.client(identity, ArmId(subscription, resource_group))

        assert service.owner is not None, "the service has not started"
        return Viewer(client_in(service.owner.subscription, None), client_in)

    return StatusPage(viewer_for).routes()

"""One ARM request as the handlers see it: what it names, the Client acting
as its proven principal, its api-version and body; and the JSON response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from imgrepl.api.client import Client
from imgrepl.gallery.identity import Identity
from imgrepl.service.bodies import JSON
from imgrepl.service.paths import Target
from imgrepl.service.state import Service


@dataclass
class Call:
    """One ARM request, checked: what it names, who makes it, its body."""

    request: Request
    service: Service
    target: Target
    identity: Identity
    client: Client
    api_version: str
    body: JSON

    @property
    def base(self) -> str:
        """The scheme and host the client reached us by, for URLs we hand back."""
        return f"{self.request.url.scheme}://{self.request.url.netloc}"

    def query(self, name: str) -> str | None:
        for key, value in self.request.query_params.multi_items():
            if key.casefold() == name.casefold():
                return value
        return None


Handler = Callable[[Call], Awaitable[Response]]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)

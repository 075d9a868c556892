"""The status page over HTTP: `GET /` (one HTML page, its script and style
under /page/static/), `POST /page/signin` with `{"token": ...}`,
`POST /page/signout`, and `GET /page/data`, the overview as JSON that the
page polls.

The token travels once, in the sign-in body (never in a URL, so never in an
access log); the answer keeps it in a `__Host-` cookie that is HttpOnly
(scripts cannot read it), Secure and SameSite=Strict (other sites cannot
send it), and every data request checks it again with the service's
authenticator, so a revoked or expired token ends the session at the next
poll.  Sign-in and sign-out accept JSON from the page's own origin only: a
form on another site can neither sign a browser in with the attacker's token
nor out.

Polling, not server-sent events: the catalog has no change feed (replications
run in other processes and on other hosts), so the server would poll it for
each stream anyway; a short request re-checks the token every time, holds no
connection open between polls, and never delays the service's clean stop on
SIGTERM as open event streams would."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from imgrepl.exceptions import CatalogError, ImgreplError
from imgrepl.service.page.data import Viewer, overview

log = logging.getLogger("imgrepl.service")
COOKIE = "__Host-imgrepl-token"
SESSION_SECONDS = 8 * 3600  # the cookie's life; the token's own expiry still applies
MAX_BODY = 16 * 1024
# opaque tokens and JWTs are URL-safe text: anything else cannot be a token
TOKEN_RE = re.compile(r"[A-Za-z0-9._~+/=-]+")
MAX_TOKEN = 3800  # browsers keep cookies of up to 4096 bytes, name and attributes included
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "page.js": "text/javascript; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
}

# token -> the principal it proves, as a Viewer (the service's authenticator);
# raises ImgreplError or PermissionError for a token it refuses
ViewerFor = Callable[[str], Awaitable[Viewer]]


class StatusPage:
    """The page's routes, for the service app to mount at its root."""

    def __init__(self, viewer_for: ViewerFor) -> None:
        self.viewer_for = viewer_for

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.index, methods=["GET"]),
            Route("/page/static/{name}", self.asset, methods=["GET"]),
            Route("/page/signin", self.signin, methods=["POST"]),
            Route("/page/signout", self.signout, methods=["POST"]),
            Route("/page/data", self.data, methods=["GET"]),
        ]

    async def index(self, request: Request) -> Response:
        return _asset("index.html")

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS or name == "index.html":
            return _error(404, "NotFound", "no such file")
        return _asset(name)

    async def signin(self, request: Request) -> Response:
        refused = _foreign(request)
        if refused:
            return refused
        body = await _read_body(request)
        if body is None:
            message = f"the sign-in body is over {MAX_BODY} bytes"
            return _error(413, "RequestEntityTooLarge", message)
        try:
            token = json.loads(body)["token"]
        except (ValueError, TypeError, KeyError, RecursionError):
            return _error(400, "InvalidParameter", 'the sign-in body must be {"token": "..."}')
        if not isinstance(token, str) or not token.strip():
            return _error(400, "InvalidParameter", "enter a token to sign in")
        token = token.strip()
        viewer = await self._viewer(token)
        if isinstance(viewer, Response):
            return viewer
        response = _json({"principal": viewer.home.principal})
        response.set_cookie(
            COOKIE,
            token,
            max_age=SESSION_SECONDS,
            path="/",
            secure=True,
            httponly=True,
            samesite="strict",
        )
        return response

    async def signout(self, request: Request) -> Response:
        refused = _foreign(request)
        if refused:
            return refused
        return _signed_out(Response(status_code=204, headers=SECURITY_HEADERS))

    async def data(self, request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        if not token:
            return _error(401, "InvalidAuthenticationToken", "sign in with a token")
        viewer = await self._viewer(token)
        if isinstance(viewer, Response):
            return _signed_out(viewer) if viewer.status_code == 401 else viewer
        try:
            return _json(await overview(viewer))
        except CatalogError as exc:
            return _error(503, "ServiceUnavailable", f"the catalog cannot be read: {exc}")
        except ImgreplError as exc:
            return _error(500, "InternalServerError", f"the overview failed: {exc}")
        except Exception as exc:  # said in the log; the page says only that it failed
            log.warning("status page: the overview failed: %s: %s", type(exc).__name__, exc)
            return _error(500, "InternalServerError", "the overview failed")

    async def _viewer(self, token: str) -> Viewer | Response:
        """The token's principal, or the 401 that refuses it.
        The message is the authenticator's: it names the problem, never the token."""
        if len(token) > MAX_TOKEN:
            message = f"the token is {len(token)} characters long: the page takes up to {MAX_TOKEN}"
            return _error(401, "InvalidAuthenticationToken", message)
        if not TOKEN_RE.fullmatch(token):
            return _error(401, "InvalidAuthenticationToken", "invalid token: that is not a token")
        try:
            return await self.viewer_for(token)
        except CatalogError as exc:  # the token may be fine: keep the session
            return _error(503, "ServiceUnavailable", f"the catalog cannot be read: {exc}")
        except (ImgreplError, PermissionError) as exc:
            return _error(401, "InvalidAuthenticationToken", str(exc))


def _asset(name: str) -> Response:
    body = resources.files(__package__).joinpath("static", name).read_bytes()
    return Response(body, media_type=ASSETS[name], headers=SECURITY_HEADERS)


def _json(content: Any, status: int = 200) -> Response:
    return JSONResponse(content, status_code=status, headers=SECURITY_HEADERS)


def _error(status: int, code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message}}, status)


def _signed_out(response: Response) -> Response:
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


def _foreign(request: Request) -> Response | None:
    """A 403 unless the request is the page's own JSON call: a JSON body
    cannot come from another site's form, and the browser's Origin names
    where the request was made."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if kind != "application/json" or (origin is not None and origin != own):
        return _error(403, "Forbidden", "sign-in and sign-out are for the status page itself")
    return None


async def _read_body(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY (read no further)."""
    body = b""
    async for part in request.stream():
        body += part
        if len(body) > MAX_BODY:
            return None
    return body

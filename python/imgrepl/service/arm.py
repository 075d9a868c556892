"""The ARM routes: every request under /subscriptions/ is matched here
(case-insensitively, as ARM matches paths): its `api-version` checked, its
bearer token proven, its body read within the size limit, then handed to
the resource's handler with a Client acting as the token's principal."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from imgrepl.service import galleries, versions
from imgrepl.service.bodies import parse_body
from imgrepl.service.call import Call, Handler
from imgrepl.service.errors import ArmError, from_exception
from imgrepl.service.paths import Target, parse_path
from imgrepl.service.state import Service

# the stable versions of Microsoft.Compute/galleries since 2023-07-03;
# 2026-03-03 is what azure-mgmt-compute 39 sends
API_VERSIONS = frozenset({"2023-07-03", "2024-03-03", "2025-03-03", "2026-03-03"})
METHODS = ["GET", "PUT", "PATCH", "DELETE", "POST"]


def check_api_version(request: Request) -> str:
    version = request.query_params.get("api-version")
    if version not in API_VERSIONS:
        shown = "missing" if version is None else f"{version[:40]!r}"
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"the api-version is {shown}; supported: {', '.join(sorted(API_VERSIONS))}",
        )
    return version


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 past `limit` bytes (before or while reading)."""
    too_big = ArmError(413, "RequestEntityTooLarge", f"the request body exceeds {limit} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


async def dispatch(request: Request) -> Response:
    try:
        return await _dispatch(request)
    except Exception as exc:
        return from_exception(exc).response()


async def _dispatch(request: Request) -> Response:
    service: Service = request.app.state.service
    identity = await service.authenticate(request.headers.get("authorization"))
    api_version = check_api_version(request)
    target = parse_path(request.url.path)
    raw = await read_body(request, service.config.max_body_bytes)
    body = parse_body(raw) if request.method in ("PUT", "PATCH") else {}
    handler = _handler(target, request.method)

    async def handle() -> Response:
        client = await service.scoped(identity, target.scope)
        return await handler(Call(request, service, target, identity, client, api_version, body))

    if handler is versions.get:  # what pollers and the status page read again and again
        key = (identity, request.url.path, versions.expanded(request.query_params))
        return await service.reads.get(key, handle)
    return await handle()


def _handler(target: Target, method: str) -> Handler:
    if target.operation is not None:
        table: dict[str, Handler] = {"GET": versions.operation_status}
    elif target.collection is not None:
        table = {"GET": galleries.list_collection}
    elif target.scope.kind == "version":
        table = versions.HANDLERS
    else:
        table = galleries.HANDLERS
    found = table.get(method)
    if found is None:
        raise ArmError(405, "MethodNotAllowed", f"{method} is not allowed here")
    return found


def routes() -> list[BaseRoute]:
    return [Route("/subscriptions/{rest:path}", dispatch, methods=METHODS)]

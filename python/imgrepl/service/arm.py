"""The ARM routes: every request under /subscriptions/ is matched here
(case-insensitively, as ARM matches paths), its `api-version` checked, and
handed to the resource's handler."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from imgrepl.service.errors import ArmError, from_exception

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


async def dispatch(request: Request) -> Response:
    try:
        check_api_version(request)
        raise ArmError(404, "ResourceNotFound", f"no resource at {request.url.path[:200]!r}")
    except Exception as exc:
        return from_exception(exc).response()


def routes() -> list[BaseRoute]:
    return [Route("/subscriptions/{rest:path}", dispatch, methods=METHODS)]

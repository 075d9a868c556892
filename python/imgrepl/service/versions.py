"""Image versions over ARM.  PUT records the version (every check done
before anything is recorded) and answers 201 with provisioningState
Creating and an `Azure-AsyncOperation` URL while the server replicates it;
PUT again or PATCH edits it (200, replication of the change in the
background); GET, with `$expand=ReplicationStatus`; DELETE answers 202
while the replicas are removed (204 when it is already gone)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import Response

from imgrepl.exceptions import NotFoundError
from imgrepl.gallery.models import ImageVersion
from imgrepl.gallery.regions import normalise_region
from imgrepl.gallery.scope import ArmId
from imgrepl.service import bodies, operations, sources
from imgrepl.service.bodies import arm_resource, record_id
from imgrepl.service.call import Call, Handler, json_response
from imgrepl.service.errors import ArmError, invalid

SP = "properties.storageProfile."
# seconds a poller waits between reads (without it the Azure SDKs wait 30)
RETRY_AFTER = "1"


def version_body(v: ImageVersion, scope: ArmId, *, expand: bool) -> dict[str, Any]:
    flat = v.to_azure()
    body = arm_resource(flat, record_id(flat, scope), expand=expand)
    storage = body["properties"].get("storageProfile") or {}
    source = storage.get("source")
    if source and str(source.get("id", "")).startswith("/galleries/"):
        source["id"] = str(record_id({"id": source["id"]}, scope))
    return body


def _names(scope: ArmId) -> tuple[str, str, str]:
    return str(scope.gallery), str(scope.definition), str(scope.version)


def expanded(query: QueryParams) -> bool:
    """Whether the query asks for `$expand=ReplicationStatus` (any case)."""
    for key, value in query.multi_items():
        if key.casefold() == "$expand":
            return value.casefold() == "replicationstatus"
    return False


async def get(call: Call) -> Response:
    v = await call.client.get_image_version(*_names(call.target.scope))
    body = version_body(v, call.target.scope, expand=expanded(call.request.query_params))
    return json_response(body)


def _async_headers(call: Call, location: str, action: str) -> dict[str, str]:
    scope = call.target.scope
    url = operations.status_url(call.base, scope, location, action, call.api_version)
    return {"Azure-AsyncOperation": url, "Location": url, "Retry-After": RETRY_AFTER}


async def put(call: Call) -> Response:
    scope, c = call.target.scope, call.client
    try:
        await c.get_image_version(*_names(scope))
    except NotFoundError:
        return await _create(call)
    return await _edit(call)


async def _create(call: Call) -> Response:
    scope, c = call.target.scope, call.client
    location = normalise_region(bodies.location(call.body))
    publishing = bodies.version_publishing(call.body)
    os_uri, source_id, data = bodies.version_sources(call.body)
    kwargs: dict[str, Any] = {}
    if source_id is not None:
        if os_uri is not None or data:
            raise invalid(f"{SP}source.id goes alone, without source URIs", f"{SP}source")
        # any resource group or subscription where the caller may read it
        arm, _ = sources.source_version(source_id, f"{SP}source.id")
        kwargs["source_version"] = str(arm)
    elif os_uri is not None:
        regions = await call.service.regions()
        roots = call.service.config.import_roots
        kwargs["os_vhd"] = await call.service.stage(
            sources.source_uri(os_uri, roots, regions, f"{SP}osDiskImage.source.uri")
        )
        field = f"{SP}dataDiskImages"
        kwargs["data_vhds"] = {
            lun: await call.service.stage(sources.source_uri(uri, roots, regions, field))
            for lun, uri in data.items()
        }
    else:
        raise invalid(
            f"a new version needs {SP}osDiskImage.source.uri or {SP}source.id", f"{SP}source"
        )
    g, d, name = _names(scope)
    try:
        v = await c.create_image_version(
            g, d, name, location=location, replicate=False, tags=bodies.tags(call.body),
            **kwargs, **publishing,
        )  # fmt: skip
    except BaseException:  # nothing recorded: the copies staged for it go too
        call.service.unstage([kwargs.get("os_vhd"), *kwargs.get("data_vhds", {}).values()])
        raise
    call.service.replicate(scope, retry_failed=False)
    body = version_body(v, scope, expand=False)
    return json_response(body, 201, _async_headers(call, location, "put"))


async def _edit(call: Call) -> Response:
    scope, c = call.target.scope, call.client
    publishing = bodies.version_publishing(call.body)
    publishing.pop("storage_account_type", None)  # fixed at creation
    if call.request.method == "PUT":
        current = await c.get_image_version(*_names(scope))
        _same_location(current, call.body)
    tags = bodies.tags(call.body)
    changes = None if tags is None else {"tags": tags}
    v = await c.update_image_version(*_names(scope), replicate=False, changes=changes, **publishing)
    call.service.replicate(scope, retry_failed=True)
    return json_response(
        version_body(v, scope, expand=False), 200, _async_headers(call, v.location, "put")
    )


def _same_location(current: ImageVersion, body: dict[str, Any]) -> None:
    given = bodies.get(body, "location", str)
    if given is not None and normalise_region(given) != current.location:
        raise ArmError(
            409,
            "PropertyChangeNotAllowed",
            f"location cannot change: it is {current.location!r}",
            "location",
        )


async def delete(call: Call) -> Response:
    scope = call.target.scope
    try:
        v = await call.client.get_image_version(*_names(scope))
    except NotFoundError:
        return Response(status_code=204)
    call.service.delete(scope)
    return Response(status_code=202, headers=_async_headers(call, v.location, "delete"))


HANDLERS: dict[str, Handler] = {"GET": get, "PUT": put, "PATCH": _edit, "DELETE": delete}


async def operation_status(call: Call) -> Response:
    """Read from the resource, so it holds across restarts (operations.py)."""
    assert call.target.operation is not None
    op = call.target.operation[1]
    action, resource = operations.parse_operation(op)
    if resource.subscription != call.target.scope.subscription or resource.kind != "version":
        raise ArmError(404, "ResourceNotFound", f"no operation {op[:80]!r}")
    client = await call.service.scoped(call.identity, resource)
    try:
        v = await client.get_image_version(*_names(resource))
    except NotFoundError:
        done = "Succeeded" if action == "delete" else "Failed"
        error = None if action == "delete" else {"code": "ResourceNotFound", "message": "gone"}
        return json_response(operations.status_body(op, done, error))
    failure = call.service.failure(resource)
    if failure is not None and action == "delete":
        return json_response(
            operations.status_body(op, "Failed", {"code": "DeleteFailed", "message": failure})
        )
    if action == "delete" or v.provisioning_state in ("Creating", "Updating", "Deleting"):
        body = operations.status_body(op, "InProgress")
        return json_response(body, headers={"Retry-After": RETRY_AFTER})
    if v.provisioning_state == "Succeeded":
        return json_response(operations.status_body(op, "Succeeded"))
    status = v.replication_status
    why = "; ".join(
        f"{s.region}: {s.details or s.state}"
        for s in (status.summary if status else [])
        if s.state != "Completed"
    )
    error = {"code": "ReplicationFailed", "message": why or "the replication failed"}
    return json_response(operations.status_body(op, "Failed", error))

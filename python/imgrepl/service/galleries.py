"""Galleries and image definitions over ARM: PUT (201 created, 200
updated; the same PUT twice changes nothing), PATCH, GET, DELETE (200, or
204 when already gone), and the lists (galleries of a subscription or
resource group, images of a gallery, versions of an image) with paging."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from imgrepl.exceptions import ConflictError, NotFoundError, ValidationError
from imgrepl.gallery.models import Gallery, ImageDefinition
from imgrepl.gallery.regions import normalise_region
from imgrepl.gallery.scope import ArmId
from imgrepl.service import bodies, versions
from imgrepl.service.bodies import arm_resource, record_id
from imgrepl.service.call import Call, Handler, json_response
from imgrepl.service.errors import ArmError

# definition fields that cannot change after creation, as Azure names them
_FIXED = {
    "publisher": "identifier.publisher",
    "offer": "identifier.offer",
    "sku": "identifier.sku",
    "os_type": "osType",
    "os_state": "osState",
    "hyper_v_generation": "hyperVGeneration",
    "architecture": "architecture",
}


def gallery_body(g: Gallery, scope: ArmId) -> dict[str, Any]:
    flat = g.to_azure()
    return arm_resource(flat, record_id(flat, scope))


def definition_body(d: ImageDefinition, scope: ArmId) -> dict[str, Any]:
    flat = d.to_azure()
    return arm_resource(flat, record_id(flat, scope))


# --- one resource --------------------------------------------------------------------
async def get(call: Call) -> Response:
    scope, c = call.target.scope, call.client
    if scope.definition is not None:
        d = await c.get_image_definition(str(scope.gallery), scope.definition)
        return json_response(definition_body(d, scope))
    if scope.gallery is None:
        raise ArmError(404, "InvalidResourceType", "GET a gallery, image or version")
    return json_response(gallery_body(await c.get_gallery(scope.gallery), scope))


async def put(call: Call) -> Response:
    scope = call.target.scope
    if scope.definition is not None:
        return await _put_definition(call, str(scope.gallery), scope.definition)
    if scope.gallery is None:
        raise ArmError(405, "MethodNotAllowed", "PUT a gallery, image or version")
    location = normalise_region(bodies.location(call.body))
    description = bodies.get(call.body, "properties.description", str)
    try:
        g = await call.client.get_gallery(scope.gallery)
    except NotFoundError:
        try:
            g = await call.client.create_gallery(scope.gallery, location, description=description)
            return json_response(gallery_body(g, scope), 201)
        except ConflictError:  # a concurrent PUT made it first: update it
            g = await call.client.get_gallery(scope.gallery)
    _same("location", g.location, location)
    if description != g.description:
        g = await call.client.update_gallery(scope.gallery, {"description": description})
    return json_response(gallery_body(g, scope))


async def _put_definition(call: Call, gallery: str, name: str) -> Response:
    fields = bodies.definition_fields(call.body)
    location = normalise_region(bodies.location(call.body))
    try:
        d = await call.client.get_image_definition(gallery, name)
    except NotFoundError:
        try:
            d = await call.client.create_image_definition(gallery, name, **fields)
            return json_response(definition_body(d, call.target.scope), 201)
        except ConflictError:
            d = await call.client.get_image_definition(gallery, name)
    _same("location", d.location, location)
    for field, azure in _FIXED.items():
        if field in fields:
            _same(azure, getattr(d, field), fields[field])
    return await _update_definition(call, gallery, name)


async def patch(call: Call) -> Response:
    scope = call.target.scope
    if scope.definition is not None:
        return await _update_definition(call, str(scope.gallery), scope.definition)
    if scope.gallery is None:
        raise ArmError(405, "MethodNotAllowed", "PATCH a gallery, image or version")
    description = bodies.get(call.body, "properties.description", str)
    g = await call.client.get_gallery(scope.gallery)
    if description is not None and description != g.description:
        g = await call.client.update_gallery(scope.gallery, {"description": description})
    return json_response(gallery_body(g, scope))


async def _update_definition(call: Call, gallery: str, name: str) -> Response:
    changes = bodies.definition_changes(call.body)
    current = (await call.client.get_image_definition(gallery, name)).to_azure()
    changes = {k: v for k, v in changes.items() if _at(current, k) != v}
    if changes:
        d = await call.client.update_image_definition(gallery, name, changes)
    else:
        d = await call.client.get_image_definition(gallery, name)
    return json_response(definition_body(d, call.target.scope))


async def delete(call: Call) -> Response:
    scope = call.target.scope
    try:
        if scope.definition is not None:
            await call.client.get_image_definition(str(scope.gallery), scope.definition)
            await call.client.delete_image_definition(str(scope.gallery), scope.definition)
        elif scope.gallery is not None:
            await call.client.get_gallery(scope.gallery)
            await call.client.delete_gallery(scope.gallery)
        else:
            raise ArmError(405, "MethodNotAllowed", "DELETE a gallery, image or version")
    except NotFoundError:
        return Response(status_code=204)
    return Response(status_code=200)


def _same(field: str, recorded: Any, given: Any) -> None:
    if str(recorded).casefold() != str(given).casefold():
        raise ArmError(
            409,
            "PropertyChangeNotAllowed",
            f"{field} cannot change: it is {recorded!r}, the request gives {given!r}",
            field,
        )


def _at(flat: dict[str, Any], dotted: str) -> Any:
    here: Any = flat
    for key in dotted.split("."):
        here = here.get(key) if isinstance(here, dict) else None
    return here


HANDLERS: dict[str, Handler] = {"GET": get, "PUT": put, "PATCH": patch, "DELETE": delete}


# --- lists ---------------------------------------------------------------------------
async def list_collection(call: Call) -> Response:
    scope, c = call.target.scope, call.client
    if call.target.collection == "galleries":
        found = await c.list_galleries()
        items = [gallery_body(g, scope) for g in found]
        items = [i for i in items if scope.contains(ArmId.parse(i["id"]))]
    elif call.target.collection == "images":
        defs = await c.list_image_definitions(str(scope.gallery))
        items = [definition_body(d, scope) for d in defs]
    else:
        found_versions = await c.list_image_versions(str(scope.gallery), str(scope.definition))
        items = [versions.version_body(v, scope, expand=False) for v in found_versions]
    return json_response(_page(call, items))


def _page(call: Call, items: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of `items` from `$skiptoken`, with `nextLink` to the next."""
    token = call.query("$skiptoken") or "0"
    if not token.isdigit():
        raise ValidationError(f"invalid $skiptoken {token[:40]!r}")
    start, size = int(token), call.service.config.page_size
    page: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        url = call.request.url
        page["nextLink"] = (
            f"{call.base}{url.path}?api-version={call.api_version}&$skiptoken={start + size}"
        )
    return page

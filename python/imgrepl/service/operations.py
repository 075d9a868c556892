"""ARM's async operation pattern.  A long PUT, PATCH or DELETE answers at
once with `Azure-AsyncOperation: .../locations/L/operations/ID`; the SDK's
poller reads that URL until `status` is Succeeded, Failed or Canceled.

The operation id names what it waits for (the action and the resource id),
so its status is read from the resource itself and survives a restart of
the server: a version being created or updated is InProgress until its
provisioningState is Succeeded or Failed; a delete is done once the
resource is gone.  Reading the status needs the caller to be able to read
the resource, as reading the resource does."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from imgrepl.gallery.scope import ArmId
from imgrepl.service.errors import ArmError

ACTIONS = ("put", "delete")


def operation_id(action: str, resource: ArmId) -> str:
    raw = f"{action}|{resource}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_operation(op: str) -> tuple[str, ArmId]:
    """The action and resource an operation id names; 404 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(op + "=" * (-len(op) % 4)).decode()
        action, _, text = raw.partition("|")
        if action not in ACTIONS:
            raise ValueError(action)
        return action, ArmId.parse(text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ArmError(404, "ResourceNotFound", f"no operation {op[:80]!r}") from None


def status_url(base: str, resource: ArmId, location: str, action: str, api_version: str) -> str:
    op = operation_id(action, resource)
    return (
        f"{base}/subscriptions/{resource.subscription}/providers/Microsoft.Compute/"
        f"locations/{location}/operations/{op}?api-version={api_version}"
    )


def status_body(op: str, status: str, error: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": op,
        "status": status,
        "startTime": _now(),
    }
    if status != "InProgress":
        body["endTime"] = _now()
    if error is not None:
        body["error"] = error
    return body


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

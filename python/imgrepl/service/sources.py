"""Version sources named by URL in a request (item 4 of the service):
`file://` only under one of the server's --import-root directories (a
client must never make the server read its other files), `s3://` and
`az://` only inside a registered region's store (the server holds its
credentials), and `source.id`, the ARM id of another version."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from imgrepl.gallery.models import Region
from imgrepl.gallery.scope import ArmId
from imgrepl.service.errors import invalid

OBJECT_SCHEMES = ("s3", "az")


def local_source(uri: str, roots: tuple[Path, ...], field: str) -> str:
    """The real path a `file://` URI names, if it lies under an import root
    (symbolic links are resolved first, so a link cannot lead out)."""
    parsed = urlparse(uri)
    path = unquote(parsed.path)
    if parsed.netloc not in ("", "localhost") or not path.startswith("/") or "\0" in path:
        raise invalid(f"{field}: {uri[:200]!r} is not a local file:///PATH URL", field)
    real = Path(os.path.realpath(path))
    if not any(real.is_relative_to(root) for root in roots):
        where = (
            "no --import-root is configured" if not roots else "it is outside every --import-root"
        )
        raise invalid(f"{field}: {uri[:200]!r} cannot be read: {where} of the server", field)
    return str(real)


def object_source(uri: str, regions: list[Region], field: str) -> str:
    """An s3:// or az:// URI inside a registered region's store."""
    parsed = urlparse(uri)
    parts = unquote(parsed.path).split("/")
    if not parsed.netloc or any(p in (".", "..") for p in parts) or "\0" in uri:
        raise invalid(f"{field}: {uri[:200]!r} is not a valid object URL", field)
    text = uri.rstrip("/")
    for region in regions:
        if text.startswith(region.store.rstrip("/") + "/"):
            return text
    raise invalid(f"{field}: {uri[:200]!r} is in no registered region's store", field)


def source_uri(uri: str, roots: tuple[Path, ...], regions: list[Region], field: str) -> str:
    scheme = urlparse(uri).scheme.casefold()
    if scheme == "file":
        return local_source(uri, roots, field)
    if scheme in OBJECT_SCHEMES:
        return object_source(uri, regions, field)
    raise invalid(
        f"{field}: {uri[:200]!r}: use file:///PATH under an --import-root, s3:// or az://",
        field,
    )


def source_version(text: str, field: str) -> tuple[ArmId, str]:
    """The ARM id of a version and the `G/D/V` the Client takes."""
    try:
        arm = ArmId.parse(text)
    except ValueError as exc:
        raise invalid(f"{field}: {exc}", field) from None
    if arm.kind != "version":
        raise invalid(f"{field}: {text[:200]!r} is not an image version id", field)
    return arm, f"{arm.gallery}/{arm.definition}/{arm.version}"

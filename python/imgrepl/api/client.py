"""`imgrepl.Client`: the async API of the gallery over one home directory.

    async with Client(home) as c:
        await c.create_image_version("G", "D", "1.0.0", location="westeurope",
                                     os_vhd="disk.vhd", target_regions=["westeurope=2"])

Every method checks the caller's role first (`principal`, else
$IMGREPL_PRINCIPAL, else the OS user; the home's owner may do everything),
validates everything it is given before it records anything, and returns
typed records from imgrepl.gallery.models (`to_azure()` gives Azure's REST
shape).  The methods live in imgrepl.api.galleries (regions, limits,
galleries, definitions, sharing), imgrepl.api.roles (role assignments),
imgrepl.api.versions (versions, replication, replicas, verification,
cost, disks), imgrepl.api.bundles (export and import of versions as
bundles) and imgrepl.api.tokens (access tokens).  A Client made with
`identity=` (from imgrepl.api.identity.Authenticator) acts as a proven
principal: its role assignments, never the home's owner.
"""

from __future__ import annotations

from imgrepl.api.bundles import BundleApi
from imgrepl.api.tokens import TokenApi


class Client(BundleApi, TokenApi):
    """`async with Client(home) as c: await c.list_galleries()`."""

    async def __aenter__(self) -> Client:
        await self._open()
        return self


__all__ = ["Client"]

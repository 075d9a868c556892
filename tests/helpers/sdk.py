"""The official Azure SDK (azure-mgmt-compute, unmodified) pointed at a
running `imgrepl serve`: a TokenCredential that hands it an imgrepl token,
and the clients, sync and async, with base_url and the test CA."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as m
from azure.mgmt.compute.aio import ComputeManagementClient as AsyncComputeClient

from helpers.service import SUB, Served, Tls

SCOPES = ["https://management.azure.com/.default"]


class ImgreplCredential:
    """An azure.core TokenCredential whose token is an imgrepl token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kw: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, **kw: Any) -> AccessTokenInfo:
        return AccessTokenInfo(self.token, int(time.time()) + 3600)


class AsyncImgreplCredential(ImgreplCredential):
    async def get_token(self, *scopes: str, **kw: Any) -> AccessToken:  # type: ignore[override]
        return super().get_token(*scopes)

    async def get_token_info(self, *scopes: str, **kw: Any) -> AccessTokenInfo:  # type: ignore[override]
        return super().get_token_info(*scopes)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> AsyncImgreplCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass


def compute(served: Served, tls: Tls, token: str, sub: str = SUB) -> ComputeManagementClient:
    return ComputeManagementClient(
        ImgreplCredential(token),  # type: ignore[arg-type]
        sub,
        base_url=served.url,
        credential_scopes=SCOPES,
        connection_verify=str(tls.ca_pem),
        polling_interval=0.2,
    )


def compute_async(served: Served, tls: Tls, token: str) -> AsyncComputeClient:
    return AsyncComputeClient(
        AsyncImgreplCredential(token),  # type: ignore[arg-type]
        SUB,
        base_url=served.url,
        credential_scopes=SCOPES,
        connection_verify=str(tls.ca_pem),
        polling_interval=0.2,
    )


def gallery(location: str = "westeurope", description: str | None = None) -> m.Gallery:
    return m.Gallery(location=location, properties=m.GalleryProperties(description=description))


def definition(sku: str = "1") -> m.GalleryImage:
    return m.GalleryImage(
        location="westeurope",
        properties=m.GalleryImageProperties(
            os_type="Linux",
            os_state="Generalized",
            identifier=m.GalleryImageIdentifier(publisher="acme", offer="os", sku=sku),
        ),
    )


def targets(*pairs: tuple[str, int]) -> list[m.TargetRegion]:
    return [m.TargetRegion(name=n, regional_replica_count=c) for n, c in pairs]


def version_from(uri: str, *pairs: tuple[str, int]) -> m.GalleryImageVersion:
    return m.GalleryImageVersion(
        location="westeurope",
        properties=m.GalleryImageVersionProperties(
            publishing_profile=m.GalleryImageVersionPublishingProfile(
                target_regions=targets(*pairs)
            ),
            storage_profile=m.GalleryImageVersionStorageProfile(
                os_disk_image=m.GalleryOSDiskImage(source=m.GalleryDiskImageSource(uri=uri))
            ),
        ),
    )

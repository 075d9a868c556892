"""The official azure-mgmt-compute SDK, unmodified, against `imgrepl serve`:
a gallery, a definition and a version from a VHD under the import root,
awaited with the SDK's poller; replication status; lists; an update of the
target regions; deletes.  Replicas are checked byte for byte against the
source by this test, not by the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.mgmt.compute import models as m
from helpers.gallery import files_under, xxh128
from helpers.sdk import compute, definition, gallery, targets, version_from
from helpers.service import RG, Served, Tls, replica_digests, token_for


def test_the_sdk_publishes_updates_lists_and_deletes(
    home: Path, served: Served, tls: Tls, imports: Path, tmp_path: Path
) -> None:
    cm = compute(served, tls, token_for(home, "alice", "Owner"))
    g = cm.galleries.begin_create_or_update(RG, "G", gallery(description="team")).result()
    assert g.id.endswith(f"/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/G")
    assert g.properties.provisioning_state == "Succeeded" and g.location == "westeurope"
    d = cm.gallery_images.begin_create_or_update(RG, "G", "D", definition()).result()
    assert (
        d.properties.identifier.publisher == "acme"
        and d.type == "Microsoft.Compute/galleries/images"
    )

    source = imports / "os.vhd"
    body = version_from(source.as_uri(), ("westeurope", 2), ("eastus", 1))
    v = cm.gallery_image_versions.begin_create_or_update(RG, "G", "D", "1.0.0", body).result()
    assert v.properties.provisioning_state == "Succeeded"
    got = cm.gallery_image_versions.get(RG, "G", "D", "1.0.0", expand="ReplicationStatus")
    status = got.properties.replication_status
    assert status.aggregated_state == "Completed"
    assert {s.region.replace(" ", "").lower(): s.progress for s in status.summary} == {
        "westeurope": 100,
        "eastus": 100,
    }
    assert (
        cm.gallery_image_versions.get(RG, "G", "D", "1.0.0").properties.replication_status is None
    )
    want = xxh128(source)
    assert replica_digests(home) == {"westeurope": [want, want], "eastus": [want]}

    assert [x.name for x in cm.galleries.list()] == ["G"]
    assert [x.name for x in cm.galleries.list_by_resource_group(RG)] == ["G"]
    assert [x.name for x in cm.gallery_images.list_by_gallery(RG, "G")] == ["D"]
    assert [x.name for x in cm.gallery_image_versions.list_by_gallery_image(RG, "G", "D")] == [
        "1.0.0"
    ]

    # fewer replicas in westeurope, eastus dropped (its deletion allowed)
    update = m.GalleryImageVersionUpdate(
        properties=m.GalleryImageVersionProperties(
            publishing_profile=m.GalleryImageVersionPublishingProfile(
                target_regions=targets(("westeurope", 1))
            ),
            safety_profile=m.GalleryImageVersionSafetyProfile(
                allow_deletion_of_replicated_locations=True
            ),
        )
    )
    v = cm.gallery_image_versions.begin_update(RG, "G", "D", "1.0.0", update).result()
    kept = v.properties.publishing_profile.target_regions
    assert [(t.name.replace(" ", "").lower(), t.regional_replica_count) for t in kept] == [
        ("westeurope", 1)
    ]
    assert replica_digests(home) == {"westeurope": [want]}

    cm.gallery_image_versions.begin_delete(RG, "G", "D", "1.0.0").result()
    with pytest.raises(ResourceNotFoundError):
        cm.gallery_image_versions.get(RG, "G", "D", "1.0.0")
    assert files_under(tmp_path / "stores") == []  # replicas and manifests
    cm.gallery_images.begin_delete(RG, "G", "D").result()
    cm.galleries.begin_delete(RG, "G").result()
    assert list(cm.galleries.list()) == []
    cm.galleries.begin_delete(RG, "G").result()  # already gone: 204, no error


def test_a_reader_reads_but_cannot_write(home: Path, served: Served, tls: Tls) -> None:
    owner = compute(served, tls, token_for(home, "alice", "Contributor"))
    owner.galleries.begin_create_or_update(RG, "G", gallery()).result()
    reader = compute(served, tls, token_for(home, "bob", "Reader"))
    assert reader.galleries.get(RG, "G").name == "G"
    with pytest.raises(HttpResponseError) as refused:
        reader.galleries.begin_create_or_update(RG, "G2", gallery()).result()
    assert refused.value.status_code == 403
    assert refused.value.error.code == "AuthorizationFailed"
    with pytest.raises(HttpResponseError) as refused:
        reader.gallery_images.begin_create_or_update(RG, "G", "D", definition()).result()
    assert refused.value.status_code == 403
    with pytest.raises(HttpResponseError) as refused:
        reader.galleries.begin_delete(RG, "G").result()
    assert refused.value.status_code == 403
    assert owner.galleries.get(RG, "G").name == "G"
    forged = compute(served, tls, "imgrepl_" + "A" * 43)
    with pytest.raises(ClientAuthenticationError) as refused_auth:
        forged.galleries.get(RG, "G")
    assert refused_auth.value.status_code == 401
    assert refused_auth.value.error.code == "InvalidAuthenticationToken"

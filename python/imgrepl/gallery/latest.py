"""`latest`: per region, the highest MAJOR.MINOR.PATCH that is not excluded
from latest (a region's own flag beats the version's) and whose replicas in
that region are all complete.  End of life is informational, as in Azure:
a version past it is still `latest`."""

from __future__ import annotations

from collections.abc import Sequence

from imgrepl.exceptions import NotFoundError
from imgrepl.gallery.models import ImageVersion
from imgrepl.gallery.rules import parse_version


def excluded_in(version: ImageVersion, region: str) -> bool:
    target = next((t for t in version.target_regions if t.name == region), None)
    if target is not None and target.exclude_from_latest is not None:
        return target.exclude_from_latest
    return version.exclude_from_latest


def completed_in(version: ImageVersion, region: str) -> bool:
    status = version.replication_status
    entry = status.region(region) if status else None
    return entry is not None and entry.state == "Completed"


def eligible(version: ImageVersion, region: str) -> bool:
    return (
        version.provisioning_state != "Deleting"
        and completed_in(version, region)
        and not excluded_in(version, region)
    )


def resolve_latest(versions: Sequence[ImageVersion], region: str) -> ImageVersion:
    candidates = [v for v in versions if eligible(v, region)]
    if not candidates:
        where = f"{versions[0].gallery}/{versions[0].definition}" if versions else "the definition"
        raise NotFoundError(
            f"no image version of {where} qualifies as 'latest' in region {region!r}: none is "
            "completely replicated there and not excluded from latest"
        )
    return max(candidates, key=lambda v: parse_version(v.name))

"""What `imgrepl serve` is started with: the home and catalog it serves, the
directories a `file://` source may come from, the OIDC issuer it trusts,
and request limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imgrepl.api.oidc import OidcConfig
from imgrepl.copies import NICE_BESIDE_SERVER

# ARM refuses request bodies above 4 MB; a gallery resource is a few KB
MAX_BODY_BYTES = 4 * 1024 * 1024
PAGE_SIZE = 100  # resources per page of a list before `nextLink`


@dataclass(frozen=True)
class ServiceConfig:
    home: Path
    catalog: str | None = None
    import_roots: tuple[Path, ...] = field(default_factory=tuple)
    page_size: int = PAGE_SIZE
    max_body_bytes: int = MAX_BODY_BYTES
    oidc: OidcConfig | None = None  # JWTs of this issuer are trusted too
    replication_nice: int = NICE_BESIDE_SERVER  # of the engine's threads

"""The public API of the gallery: `imgrepl.api.client.Client` (also
`imgrepl.Client`) and the parts it is made of.

    client      Client: galleries + versions + bundles
    base        the home, the caller, the catalog connection, role checks
    access      who the caller is and what it may do
    identity    proving the caller of a request (tokens, OIDC JWTs)
    oidc        verifying JWTs of an OpenID Connect issuer
    tokens      access tokens: create, list, revoke
    galleries   regions, limits, galleries, definitions, sharing
    versions    versions, replication, replicas, verification, cost, disks
    publishing  checking and recording a new version, edits, deletion
    sources     the disks a new version is made from
    bundles     export and import of versions as one file
    background  the process that `--no-wait` starts

Nothing is imported here so that the CLI can register its arguments
without loading SQLite, asyncio or the engine.
"""

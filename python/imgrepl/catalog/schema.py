"""The catalog schema as an ordered list of migrations, one list for every
backend.

`schema_version` holds how many have been applied; opening a catalog applies
the rest in one transaction.  Append, never edit, a migration.

A migration is written once in SQLite's spelling; `migrations("postgresql")`
translates the few types that differ (below).  Where a statement cannot be
translated, a migration gives each dialect its own spelling (a dict).
`COLLATE NOCASE` needs no translation: a PostgreSQL catalog creates a
case-insensitive collation named `nocase` first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

# a part of a migration: SQL for every dialect, or each dialect's own
Part = str | Mapping[str, str]

V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE regions (
    name TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    store TEXT NOT NULL,
    zones INTEGER NOT NULL DEFAULT 0,
    replica_read_mbps REAL
);

CREATE TABLE galleries (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    location TEXT NOT NULL REFERENCES regions(name),
    description TEXT,
    unique_name TEXT NOT NULL
);

CREATE TABLE definitions (
    id INTEGER PRIMARY KEY,
    gallery_id INTEGER NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    name TEXT NOT NULL COLLATE NOCASE,
    publisher TEXT NOT NULL COLLATE NOCASE,
    offer TEXT NOT NULL COLLATE NOCASE,
    sku TEXT NOT NULL COLLATE NOCASE,
    os_type TEXT NOT NULL,
    os_state TEXT NOT NULL,
    description TEXT,
    eula TEXT,
    privacy_statement_uri TEXT,
    release_note_uri TEXT,
    end_of_life_date TEXT,
    tags TEXT NOT NULL DEFAULT '{}',
    vcpus_min INTEGER,
    vcpus_max INTEGER,
    memory_min INTEGER,
    memory_max INTEGER,
    disallowed_disk_types TEXT NOT NULL DEFAULT '[]',
    hyper_v_generation TEXT NOT NULL,
    architecture TEXT NOT NULL,
    UNIQUE (gallery_id, name),
    UNIQUE (gallery_id, publisher, offer, sku)
);

CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    definition_id INTEGER NOT NULL REFERENCES definitions(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    major INTEGER NOT NULL,
    minor INTEGER NOT NULL,
    patch INTEGER NOT NULL,
    location TEXT NOT NULL REFERENCES regions(name),
    provisioning_state TEXT NOT NULL,
    replica_count INTEGER NOT NULL,
    storage_type TEXT NOT NULL,
    exclude_from_latest INTEGER NOT NULL,
    end_of_life_date TEXT,
    published_date TEXT NOT NULL,
    allow_deletion INTEGER NOT NULL DEFAULT 0,
    source_version TEXT,
    job_pid INTEGER,
    job_host TEXT,
    job_heartbeat REAL,
    UNIQUE (definition_id, major, minor, patch)
);

-- lun -1 is the OS disk (a NULL would not be unique in SQLite)
CREATE TABLE disks (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    lun INTEGER NOT NULL,
    source TEXT NOT NULL,
    source_format TEXT NOT NULL,
    size INTEGER NOT NULL,
    virtual_size INTEGER NOT NULL,
    digest TEXT,
    UNIQUE (version_id, lun)
);

CREATE TABLE target_regions (
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    region TEXT NOT NULL REFERENCES regions(name),
    replica_count INTEGER,
    storage_type TEXT,
    exclude_from_latest INTEGER,
    PRIMARY KEY (version_id, region)
);

CREATE TABLE replicas (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    disk_id INTEGER NOT NULL REFERENCES disks(id) ON DELETE CASCADE,
    region TEXT NOT NULL REFERENCES regions(name),
    zone TEXT NOT NULL DEFAULT '',
    idx INTEGER NOT NULL,
    location TEXT NOT NULL,
    state TEXT NOT NULL,
    size INTEGER NOT NULL,
    bytes_written INTEGER NOT NULL DEFAULT 0,
    digest TEXT,
    egress INTEGER NOT NULL DEFAULT 0,
    details TEXT,
    UNIQUE (disk_id, region, zone, idx)
);
CREATE INDEX replicas_by_version ON replicas (version_id, region);

CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    gallery_id INTEGER NOT NULL REFERENCES galleries(id) ON DELETE CASCADE,
    definition_id INTEGER REFERENCES definitions(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX grants_unique ON grants (principal, gallery_id, IFNULL(definition_id, 0));

-- a deployment reading a replica; pid/host tell a dead reader's lease apart
CREATE TABLE leases (
    id INTEGER PRIMARY KEY,
    replica_id INTEGER NOT NULL REFERENCES replicas(id) ON DELETE CASCADE,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started REAL NOT NULL
);
"""

# The source manifest of each disk (per-chunk digests of what stage one read
# from the source): every replica is verified against it, so a bad replica
# is reported by the chunk ranges that differ.
V2 = """
ALTER TABLE disks ADD COLUMN manifest BLOB;
"""

# A region's store options (endpoint, credentials...) as a JSON object;
# they are handed to the engine, never shown.
V3 = """
ALTER TABLE regions ADD COLUMN store_options TEXT NOT NULL DEFAULT '{}';
"""

# Target regions keep the order they were given in (SQLite read it from rowid,
# which PostgreSQL does not have; a catalog made before keeps its order).
V4: list[Part] = [
    "ALTER TABLE target_regions ADD COLUMN seq INTEGER NOT NULL DEFAULT 0",
    {"sqlite": "UPDATE target_regions SET seq = rowid"},
]

# Where a region's first replica came from: bytes that crossed regions (from
# the source) and bytes taken inside the region from a base replica of an
# earlier version (delta replication), and that base's version.  NULL for
# replicas copied before: they crossed whole.
DELTA = """
ALTER TABLE replicas ADD COLUMN bytes_crossed INTEGER;
ALTER TABLE replicas ADD COLUMN bytes_local INTEGER;
ALTER TABLE replicas ADD COLUMN base TEXT;
"""

# Names compare and sort case-insensitively, as SQLite's NOCASE does.
NOCASE: Part = {
    "postgresql": "CREATE COLLATION IF NOT EXISTS nocase "
    "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
}

# Scope, as in Azure: every gallery lives in a subscription (a GUID) and a
# resource group, and its name is unique there (not in the whole catalog).
# The catalog's default subscription is made here, once, and the galleries
# made before move into it, in the resource group `default`.  Galleries and
# versions get tags (definitions had them).  SQLite cannot drop the old
# UNIQUE(name), so it copies the table (its session turns foreign keys off
# while migrating, or dropping the old table would cascade to definitions).
_SQLITE_GUID = (
    "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1)"
    " || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))"
)
V5: list[Part] = [
    {
        "sqlite": f"INSERT INTO meta VALUES ('subscription', {_SQLITE_GUID})",
        "postgresql": "INSERT INTO meta VALUES ('subscription', gen_random_uuid()::text)",
    },
    {
        "sqlite": """
CREATE TABLE galleries_v5 (
    id INTEGER PRIMARY KEY,
    subscription TEXT NOT NULL,
    resource_group TEXT NOT NULL COLLATE NOCASE,
    name TEXT NOT NULL COLLATE NOCASE,
    location TEXT NOT NULL REFERENCES regions(name),
    description TEXT,
    unique_name TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}',
    UNIQUE (subscription, resource_group, name)
);
INSERT INTO galleries_v5 (id, subscription, resource_group, name, location, description,
    unique_name)
SELECT id, (SELECT value FROM meta WHERE key = 'subscription'), 'default', name, location,
    description, unique_name FROM galleries;
DROP TABLE galleries;
ALTER TABLE galleries_v5 RENAME TO galleries
""",
        "postgresql": """
ALTER TABLE galleries ADD COLUMN subscription TEXT;
ALTER TABLE galleries ADD COLUMN resource_group TEXT COLLATE nocase;
ALTER TABLE galleries ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
UPDATE galleries SET subscription = (SELECT value FROM meta WHERE key = 'subscription'),
    resource_group = 'default';
ALTER TABLE galleries ALTER COLUMN subscription SET NOT NULL;
ALTER TABLE galleries ALTER COLUMN resource_group SET NOT NULL;
ALTER TABLE galleries DROP CONSTRAINT galleries_name_key;
ALTER TABLE galleries ADD CONSTRAINT galleries_scope_name_key
    UNIQUE (subscription, resource_group, name)
""",
    },
    "ALTER TABLE versions ADD COLUMN tags TEXT NOT NULL DEFAULT '{}'",
]


# Access tokens (`imgrepl token create`): only the SHA-256 of each secret is
# kept (imgrepl.gallery.identity says why that hash); times are epoch seconds.
TOKENS = """
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    principal TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    revoked REAL
);
CREATE INDEX tokens_by_principal ON tokens (principal);
"""

# Azure's role assignments: a role at a scope (an ARM id: subscription,
# resource group, gallery, definition) and below it.  `scope_key`: the id's
# parts case-folded, each ending in '/' (imgrepl.catalog.sql.role_assignments).
ROLE_ASSIGNMENTS = """
CREATE TABLE role_assignments (
    id TEXT PRIMARY KEY,
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    scope_key TEXT NOT NULL,
    UNIQUE (principal, role, scope_key)
);
"""

# Grants (a role on a gallery or definition by row id) become role
# assignments at the ARM id of their scope; each gets a random GUID.
_GUID = {"sqlite": _SQLITE_GUID, "postgresql": "gen_random_uuid()::text"}
GRANTS_TO_ASSIGNMENTS = {
    dialect: f"""
INSERT INTO role_assignments (id, principal, role, scope, scope_key)
SELECT {guid}, gr.principal, gr.role,
    '/subscriptions/' || g.subscription || '/resourceGroups/' || g.resource_group ||
    '/providers/Microsoft.Compute/galleries/' || g.name ||
    CASE WHEN d.name IS NULL THEN '' ELSE '/images/' || d.name END,
    lower(g.subscription || '/' || g.resource_group || '/' || g.name || '/' ||
    CASE WHEN d.name IS NULL THEN '' ELSE d.name || '/' END)
FROM grants gr JOIN galleries g ON g.id = gr.gallery_id
LEFT JOIN definitions d ON d.id = gr.definition_id;
DROP TABLE grants;
"""
    for dialect, guid in _GUID.items()
}

# A gallery's sharingProfile (groups of subscription and tenant ids) as JSON.
SHARING = """
ALTER TABLE galleries ADD COLUMN sharing_profile TEXT NOT NULL DEFAULT '{}';
"""

# Region agents (imgrepl.replication.agent): a region may be served by
# agents; each replica row is then a job an agent claims under a lease
# (lease_owner until lease_until, extended by heartbeats), and records which
# store it copied from and how many times it was committed.  `agents` holds
# the live agents for `imgrepl agent list`.
AGENTS = """
ALTER TABLE regions ADD COLUMN agent_served INTEGER NOT NULL DEFAULT 0;
ALTER TABLE replicas ADD COLUMN lease_owner TEXT;
ALTER TABLE replicas ADD COLUMN lease_until REAL;
ALTER TABLE replicas ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE replicas ADD COLUMN commits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE replicas ADD COLUMN copied_from TEXT;
CREATE INDEX replicas_by_region_state ON replicas (region, state);
CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    regions TEXT NOT NULL,
    started REAL NOT NULL,
    heartbeat REAL NOT NULL,
    bytes_copied INTEGER NOT NULL DEFAULT 0,
    bytes_per_second REAL NOT NULL DEFAULT 0,
    jobs TEXT NOT NULL DEFAULT '[]'
);
"""

MIGRATIONS: list[Sequence[Part]] = [
    [NOCASE, V1],
    [V2],
    [V3],
    V4,
    V5,
    [TOKENS],
    [ROLE_ASSIGNMENTS, GRANTS_TO_ASSIGNMENTS, SHARING],
    [DELTA],
    [AGENTS],
]

# SQLite spelling -> PostgreSQL (a 64-bit row id and integers, doubles, bytes)
_POSTGRESQL = [
    (r"\bINTEGER PRIMARY KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (r"\bINTEGER\b", "BIGINT"),
    (r"\bREAL\b", "DOUBLE PRECISION"),
    (r"\bBLOB\b", "BYTEA"),
    (r"\bIFNULL\(", "COALESCE("),
]
DIALECTS = ("sqlite", "postgresql")


def migrations(dialect: str) -> list[list[str]]:
    """Every migration as the statements `dialect` runs."""
    assert dialect in DIALECTS, dialect
    return [[s for part in m for s in _statements(part, dialect)] for m in MIGRATIONS]


def _statements(part: Part, dialect: str) -> list[str]:
    if isinstance(part, Mapping):
        script = part.get(dialect, "")
    elif dialect == "postgresql":
        script = part
        for pattern, spelling in _POSTGRESQL:
            script = re.sub(pattern, spelling, script)
    else:
        script = part
    return [s.strip() for s in script.split(";\n") if s.strip()]

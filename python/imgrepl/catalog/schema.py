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

# Names compare and sort case-insensitively, as SQLite's NOCASE does.
NOCASE: Part = {
    "postgresql": "CREATE COLLATION IF NOT EXISTS nocase "
    "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
}

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

MIGRATIONS: list[Sequence[Part]] = [[NOCASE, V1], [V2], [V3], V4, [AGENTS]]

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

"""The gallery's domain, pure: no I/O, no SQL, no engine.

models    galleries, definitions, versions, replicas, and Azure's REST shape
rules/    every rule, in one place: single fields, and a new version or an
          edit as a whole (api/ and catalog/ only call them)
builders  image definitions from their arguments, and what an edit may change
regions   region names, store URLs, where a replica lives
planner   which replicas a version needs, which copies make them, in what order
status    replication status from the replica states the catalog returns
latest    which version `latest` is in a region
cost      storage and egress of a version, replica recommendations
access    Azure's roles and how they compare
"""

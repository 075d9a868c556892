"""The gallery's domain, pure: no I/O, no SQL, no engine.

models    galleries, definitions, versions, replicas, and Azure's REST shape
rules     every rule a name, version, count, date or region spec must keep
builders  image definitions from their arguments, and what an edit may change
regions   region names, store URLs, where a replica lives
planner   which copies make which replicas, and in what order
status    replication status from replica states
latest    which version `latest` is in a region
cost      storage and egress of a version, replica recommendations
access    Azure's roles and how they compare
"""

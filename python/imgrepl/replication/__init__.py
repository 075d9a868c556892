"""Replication: running the planned copies on the engine and recording them.

replicator  the copy stages of one version, per-region status, commit
verify      replicas re-read against their manifest, repair from a peer
deploy      a disk made from a replica
worker      the background process for `--no-wait`
pause       the test pause points between two steps of a replication
"""

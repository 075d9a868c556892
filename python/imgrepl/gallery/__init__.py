"""The gallery: catalog, rules, replication planning and running, deployment.

Nothing is imported here so that the CLI can register its arguments without
loading SQLite, asyncio or the engine; import the submodules directly.
"""

"""Region agents from the API's side: `run_agent` (what `imgrepl agent`
runs) and `list_agents` (`imgrepl agent list`).

An agent opens the catalog by URL and registers only the stores whose
credentials it was given: its region's options name their secrets as
`env:NAME` or `file:PATH` references (or `stored:secrets.json`, read from
the agent's own `--home`), so each agent process holds its own region's
credentials and nothing else.  It also registers any other region whose
options it can resolve (the home region's store, read by the egress copy,
typically with a read-only credential, or none for a shared directory).
A region of its own whose credentials it lacks is not an error at start:
its jobs fail with the reason, as an unreachable store does.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from imgrepl import stores
from imgrepl.api.store_secrets import region_options
from imgrepl.catalog import AgentInfo, Catalog, open_catalog
from imgrepl.exceptions import NotFoundError, ValidationError
from imgrepl.gallery.regions import normalise_region
from imgrepl.replication.agent import Agent, AgentConfig
from imgrepl.replication.agent_metrics import AgentMetrics


def agent_stores(home: Path, catalog: Catalog, own: list[str]) -> dict[str, str]:
    """Registers every store this agent can use; returns its own regions it
    cannot use, with why."""
    unusable = {}
    for region in catalog.regions.all():
        try:
            stores.check_store_options(region.store, region_options(home, region))
        except ValidationError as exc:
            if region.name in own:
                unusable[region.name] = f"region {region.name!r}: store {region.store}: {exc}"
                print(f"imgrepl agent: warning: {unusable[region.name]}", file=sys.stderr)
    return unusable


def check_regions(catalog: Catalog, names: list[str]) -> list[str]:
    """The regions normalised; each must exist and be agent-served."""
    known = {r.name: r for r in catalog.regions.all()}
    out = []
    for name in names:
        region = known.get(normalise_region(name))
        if region is None:
            raise NotFoundError(f"region {name!r} not found; add it with `imgrepl region add`")
        if not region.agent_served:
            raise ValidationError(
                f"region {region.name!r} is not agent-served; make it so with "
                f"`imgrepl region update {region.name} --agent-served`"
            )
        out.append(region.name)
    return list(dict.fromkeys(out))


async def run_agent(
    home: Path,
    catalog_url: str | Path,
    regions: list[str],
    *,
    concurrency: int = 2,
    lease_s: float = 30.0,
    drain_s: float = 10.0,
    metrics_port: int | None = None,
    metrics_addr: str = "127.0.0.1",
    cap_mbps: float | None = None,
) -> None:
    """Serves the regions until SIGTERM or SIGINT, then drains."""
    catalog = await asyncio.to_thread(open_catalog, catalog_url)
    try:
        own = await asyncio.to_thread(check_regions, catalog, regions)
        unusable = await asyncio.to_thread(agent_stores, home, catalog, own)
        metrics = AgentMetrics()
        if metrics_port is not None:
            try:
                metrics.serve(metrics_port, metrics_addr)
            except OSError as exc:
                raise ValidationError(
                    f"--metrics-port {metrics_port}: cannot listen on {metrics_addr}: "
                    f"{exc.strerror or exc}"
                ) from None
        config = AgentConfig(own, concurrency, lease_s, drain_s, cap_mbps, unusable)
        agent = Agent(catalog, config, metrics)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, agent.drain)
        await agent.run()
    finally:
        catalog.close()


async def list_agents(catalog_url: str | Path, within_s: float) -> list[AgentInfo]:
    """Agents whose last heartbeat is at most `within_s` old."""
    catalog = await asyncio.to_thread(open_catalog, catalog_url)
    try:
        return await asyncio.to_thread(catalog.agents.live, within_s)
    finally:
        catalog.close()

"""What a region agent exposes to Prometheus (`imgrepl agent --metrics-port`):
bytes copied (egress or inside the region), replica jobs by state in its
regions and by outcome of its own work, lease takeovers, catalog retries,
and the seconds spent in catalog calls (the control plane's share)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class AgentMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.bytes = Counter(
            "imgrepl_agent_bytes_copied",
            "Bytes written to replicas, by region and kind (egress: from the home region)",
            ["region", "kind"],
            registry=r,
        )
        self.finished = Counter(
            "imgrepl_agent_jobs_finished",
            "Replica jobs this agent finished, by region and outcome",
            ["region", "state"],
            registry=r,
        )
        self.queue = Gauge(
            "imgrepl_agent_replica_jobs",
            "Replicas of the agent's regions by state, as the catalog last said",
            ["region", "state"],
            registry=r,
        )
        self.running = Gauge("imgrepl_agent_jobs_running", "Jobs running now", registry=r)
        self.takeovers = Counter(
            "imgrepl_agent_lease_takeovers",
            "Jobs taken over from an agent whose lease expired",
            ["region"],
            registry=r,
        )
        self.retries = Counter(
            "imgrepl_agent_catalog_retries", "Catalog calls retried after an error", registry=r
        )
        self.control_seconds = Counter(
            "imgrepl_agent_control_plane_seconds",
            "Seconds with a catalog call in flight (claims, heartbeats, progress, outcomes)",
            registry=r,
        )

    def serve(self, port: int, addr: str) -> None:
        """The /metrics endpoint on a daemon thread; a port in use raises OSError."""
        start_http_server(port, addr=addr, registry=self.registry)

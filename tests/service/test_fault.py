"""`imgrepl serve` killed with SIGKILL in the middle of a replication it
started for an API request (a replica committed, not yet verified: the
replicator's pause point): at the next start the server resumes it, the
operation URL the client was given ends Succeeded, and every replica
matches the source byte for byte and verifies against its manifest."""

from __future__ import annotations

import os
import signal
import ssl
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from helpers.gallery import OWNER, local, paused, run, xxh128
from helpers.service import RG, SUB, Served, Tls, serve_argv, start_serve, token_for
from imgrepl import Client

API = "api-version=2026-03-03"
G = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/G"


def put(http: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    r = http.put(f"{path}?{API}", json=body)
    assert r.status_code in (200, 201), r.text
    return r


async def _version(home: Path) -> tuple[Any, list[Any], list[Any]]:
    async with Client(home, principal=OWNER, subscription=SUB, resource_group=RG) as c:
        v = await c.get_image_version("G", "D", "1.0.0")
        replicas = await c.list_replicas("G", "D", "1.0.0")
        checks = await c.verify_image_version("G", "D", "1.0.0") if v.provisioning_state == (
            "Succeeded") else []  # fmt: skip
    return v, replicas, checks


def test_a_replication_killed_with_the_server_resumes_at_the_next_start(
    home: Path, tls: Tls, imports: Path, tmp_path: Path
) -> None:
    token = token_for(home, "alice", "Contributor")
    argv = serve_argv(home, tls, "--import-root", str(imports))
    ctx = ssl.create_default_context(cafile=tls.ca_pem)
    auth = {"Authorization": f"Bearer {token}"}
    server: list[Served] = []
    killed: list[str] = []

    def kill(point: str, location: str) -> None:
        if not killed:
            killed.append(location)
            os.kill(server[0].proc.pid, signal.SIGKILL)

    with paused(tmp_path / "pause", kill) as env:
        server.append(start_serve(argv, env))
        with httpx.Client(base_url=server[0].url, verify=ctx, headers=auth, timeout=60) as http:
            put(http, G, {"location": "westeurope"})
            image = {"osType": "Linux", "identifier": {"publisher": "p", "offer": "o", "sku": "s"}}
            put(http, f"{G}/images/D", {"location": "westeurope", "properties": image})
            targets = [{"name": "westeurope", "regionalReplicaCount": 2},
                       {"name": "eastus", "regionalReplicaCount": 2}]  # fmt: skip
            source = {"osDiskImage": {"source": {"uri": (imports / "os.vhd").as_uri()}}}
            props = {"publishingProfile": {"targetRegions": targets}, "storageProfile": source}
            body = {"location": "westeurope", "properties": props}
            r = put(http, f"{G}/images/D/versions/1.0.0", body)
            assert r.status_code == 201
            operation = urlsplit(r.headers["Azure-AsyncOperation"])
        server[0].proc.wait(60)
        assert server[0].stop() == -signal.SIGKILL
    assert killed
    v, replicas, _ = run(_version(home))
    assert v.provisioning_state == "Creating"
    assert any(r.state != "Completed" for r in replicas)

    restarted = start_serve(argv)
    try:
        with httpx.Client(base_url=restarted.url, verify=ctx, headers=auth, timeout=60) as http:
            deadline = time.monotonic() + 120
            while (status := http.get(f"{operation.path}?{operation.query}").json())[
                "status"
            ] == "InProgress":
                assert time.monotonic() < deadline, status
                time.sleep(0.1)
            assert status["status"] == "Succeeded", status
            got = http.get(f"{G}/images/D/versions/1.0.0?{API}&$expand=ReplicationStatus").json()
        assert got["properties"]["provisioningState"] == "Succeeded"
        assert got["properties"]["replicationStatus"]["aggregatedState"] == "Completed"
    finally:
        assert restarted.stop() == 0, restarted.output()
    v, replicas, checks = run(_version(home))
    want = xxh128(imports / "os.vhd")
    assert len(replicas) == 4
    assert all(r.state == "Completed" and xxh128(local(r.location)) == want for r in replicas)
    assert len(checks) == 4 and all(c.ok for c in checks)

"""`imgrepl serve` runs the engine threads of its replications at the nice
value `--replication-nice` gives (default 10), below the thread that
answers requests: every thread of the server is watched through /proc
while a replication started over the API runs."""

from __future__ import annotations

import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from helpers.files import MIB, Threads, look_at_threads, nices_by_name, noise, write
from helpers.service import RG, SUB, Tls, serve_argv, start_serve, token_for

API = "api-version=2026-03-03"
G = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/G"


def _replicate(url: str, tls: Tls, token: str, source: Path) -> str:
    ctx = ssl.create_default_context(cafile=tls.ca_pem)
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, verify=ctx, headers=auth, timeout=60) as http:

        def put(path: str, body: dict[str, Any]) -> httpx.Response:
            r = http.put(f"{path}?{API}", json=body)
            assert r.status_code in (200, 201), r.text
            return r

        put(G, {"location": "westeurope"})
        image = {"osType": "Linux", "identifier": {"publisher": "p", "offer": "o", "sku": "s"}}
        put(f"{G}/images/D", {"location": "westeurope", "properties": image})
        targets = [{"name": "westeurope", "regionalReplicaCount": 2},
                   {"name": "eastus", "regionalReplicaCount": 2}]  # fmt: skip
        disk = {"osDiskImage": {"source": {"uri": source.as_uri()}}}
        props = {"publishingProfile": {"targetRegions": targets}, "storageProfile": disk}
        r = put(f"{G}/images/D/versions/1.0.0", {"location": "westeurope", "properties": props})
        operation = r.headers["Azure-AsyncOperation"]
        deadline = time.monotonic() + 120
        while (status := http.get(operation).json()["status"]) == "InProgress":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        return str(status)


def test_replications_run_at_the_nice_value_given(home: Path, tls: Tls, tmp_path: Path) -> None:
    imports = tmp_path / "imports"
    imports.mkdir()
    source = write(imports / "os.raw", noise(11, 96 * MIB))
    token = token_for(home, "alice", "Contributor")
    argv = serve_argv(home, tls, "--import-root", str(imports), "--replication-nice", "7")
    served = start_serve(argv)
    python = Path(f"/proc/{served.proc.pid}/comm").read_text().strip()
    threads: Threads = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            look_at_threads(served.proc.pid, into=threads)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert _replicate(served.url, tls, token, source) == "Succeeded"
    finally:
        done.set()
        watcher.join()
        assert served.stop() == 0
    seen = nices_by_name(threads)
    assert seen["imgrepl-copy"] == {7}, seen  # the copies
    assert seen["imgrepl-task"] == {7}, seen  # their verification
    assert seen[python] == {0}, seen  # the threads that answer requests


def test_a_nice_value_out_of_range_is_refused(home: Path, tls: Tls) -> None:
    argv = serve_argv(home, tls, "--replication-nice", "20")
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "imgrepl serve: error: --replication-nice 20: must be 0 to 19"
    ]

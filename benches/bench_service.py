"""Service load benchmark (issue 10): C concurrent clients GET an image
version with `$expand=ReplicationStatus` while the server replicates it,
against a static file served by the same uvicorn process in the same run,
and the replication's throughput with and without that load; then the same
loads with nothing replicating, with the server's CPU time per request.

    python3 benches/bench_service.py [--size 512MiB] [--clients 64] [--reps 3] [--interval-ms 50]
                                     [--replication-nice 10]

One `imgrepl serve` process (the service's own `serve()`, with one extra
route: /static/, Starlette's StaticFiles) on TLS from a trustme CA; the
load comes from another process (benches/service_load.py): one keep-alive
TLS connection per client, each sending one request per --interval-ms
(default 50: 64 clients offer 1,280/s, about half the server's flat-out
rate; latency counts from when a request was due), or with 0 the next as
soon as the last is answered (a closed loop: p50 is then about
C / (requests/s) whatever the server does, so it measures capacity, not
the latency a client sees).  --replication-nice 0 runs the copies at the
requests' priority, for comparison with the default.  Each repetition,
interleaved: a version replicated with no load; one replicated while the
clients GET it; one replicated while they GET the static file.  Throughput
is bytes written to replicas per second from the PUT to Succeeded.  The
best repetition of each counts (the median API p99 is reported too).
Targets: API p99 under 50 ms at 64 clients; replication under load within
10 % of it with no load.  Writes bench-results/service.json and prints a
table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
SUB = "00000000-0000-0000-0000-0000000000b0"
RG = f"/subscriptions/{SUB}/resourceGroups/bench"
GALLERY = f"{RG}/providers/Microsoft.Compute/galleries/G"
API = "api-version=2026-03-03"
MiB = 1 << 20


def size_arg(text: str) -> int:
    units = {"MIB": MiB, "GIB": 1 << 30}
    for unit, factor in units.items():
        if text.upper().endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def run_server(work: Path, nice: int) -> int:
    """`imgrepl serve` as the CLI runs it, plus /static/ for the baseline."""
    from imgrepl.service.config import ServiceConfig
    from imgrepl.service.server import serve
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    imports = ((work / "imports").resolve(),)
    config = ServiceConfig(work / "home", None, imports, replication_nice=nice)
    static = [Mount("/static", StaticFiles(directory=work / "static"))]
    tls = work / "tls"
    return serve(config, "127.0.0.1", 0, tls / "cert.pem", tls / "key.pem", False, static)


def prepare(work: Path, size: int) -> str:
    """Home, regions, import root, the image, a static file, TLS, and a token
    for an Owner of the subscription.  Returns the token."""
    from helpers.service import make_tls
    from imgrepl import Client

    for d in ("imports", "static", "stores"):
        (work / d).mkdir(parents=True, exist_ok=True)
    block = os.urandom(4 * MiB)
    with (work / "imports" / "os.raw").open("wb") as f:
        for i in range(size // (4 * MiB)):
            f.write(block[i % 7 :] + block[: i % 7])  # distinct chunks, no zeros
    (work / "static" / "version.json").write_bytes(os.urandom(2048).hex().encode())
    make_tls(work / "tls")

    async def regions() -> None:
        async with Client(work / "home") as c:
            for name in ("westeurope", "eastus"):
                await c.add_region(name, str(work / "stores" / name))

    asyncio.run(regions())
    return make_token(work / "home")


def make_token(home: Path) -> str:
    """An opaque token for principal `bench`, Owner of the subscription."""
    imgrepl = [sys.executable, "-m", "imgrepl"]
    where = ["--home", str(home)]
    made = subprocess.run(
        [*imgrepl, "token", "create", "--principal", "bench", *where, "-o", "json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    subprocess.run(
        [*imgrepl, "role", "assignment", "create", "--assignee", "bench", "--role", "Owner",
         "--scope", f"/subscriptions/{SUB}", *where],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return str(json.loads(made.stdout)["token"])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (/proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Bench:
    def __init__(
        self, work: Path, token: str, clients: int, replicas: int, size: int, interval: float,
        nice: int,
    ) -> None:  # fmt: skip
        import httpx
        from helpers.service import start_serve

        self.work, self.token, self.clients, self.size = work, token, clients, size
        self.replicas = replicas
        argv = [sys.executable, __file__, "--serve", str(work), str(nice)]
        self.server = start_serve(argv)
        self.ca = str(work / "tls" / "ca.pem")
        ctx = ssl.create_default_context(cafile=self.ca)
        self.http = httpx.Client(
            base_url=self.server.url, verify=ctx, timeout=60,
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
        self.count = 0
        self.loader = subprocess.Popen(
            [sys.executable, HERE / "service_load.py", str(clients), self.ca, token,
             self.server.url, str(interval)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.loader.stdin is not None and self.loader.stdout is not None
        assert self.loader.stdout.readline().strip() == "ready"
        self._put(f"{GALLERY}", {"location": "westeurope"})
        image = {"osType": "Linux", "identifier": {"publisher": "p", "offer": "o", "sku": "s"}}
        self._put(f"{GALLERY}/images/D", {"location": "westeurope", "properties": image})

    def _put(self, path: str, body: dict[str, Any]) -> Any:
        r = self.http.put(f"{path}?{API}", json=body)
        assert r.status_code in (200, 201), r.text
        return r

    def replicate(self, load: str | None) -> dict[str, Any]:
        """One new version, replicated under `load` (None, "api", "static")."""
        self.count += 1
        path = f"{GALLERY}/images/D/versions/1.0.{self.count}"
        half = self.replicas // 2
        targets = [{"name": "westeurope", "regionalReplicaCount": self.replicas - half},
                   {"name": "eastus", "regionalReplicaCount": half}]  # fmt: skip
        source = (self.work / "imports" / "os.raw").resolve().as_uri()
        body = {"location": "westeurope", "properties": {
            "publishingProfile": {"targetRegions": targets},
            "storageProfile": {"osDiskImage": {"source": {"uri": source}}}}}  # fmt: skip
        started = time.perf_counter()
        op = self._put(path, body).headers["Azure-AsyncOperation"]
        url = {"api": f"{path}?{API}&$expand=ReplicationStatus",
               "static": "/static/version.json"}.get(load or "")  # fmt: skip
        if url:
            self._tell(f"GO {url}")
        while (status := self.http.get(op).json()["status"]) == "InProgress":
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        result: dict[str, Any] = {"load": load or "none", "seconds": seconds, "status": status}
        result["MBps"] = self.size * self.replicas / seconds / 1e6
        if url:
            self._tell("STOP")
            result |= json.loads(self.loader.stdout.readline())  # type: ignore[union-attr]
        self.http.delete(f"{path}?{API}")
        while self.http.get(f"{path}?{API}").status_code != 404:
            time.sleep(0.1)
        subprocess.run(["sync"], check=False)
        return result

    def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """The same loads on a completed version with nothing replicating:
        requests/s, latency, and the server's CPU time per request."""
        path = f"{GALLERY}/images/D/versions/9.0.0"
        source = (self.work / "imports" / "os.raw").resolve().as_uri()
        body = {"location": "westeurope", "properties": {
            "publishingProfile": {"targetRegions": [{"name": "westeurope"}]},
            "storageProfile": {"osDiskImage": {"source": {"uri": source}}}}}  # fmt: skip
        op = self._put(path, body).headers["Azure-AsyncOperation"]
        while self.http.get(op).json()["status"] == "InProgress":
            time.sleep(0.2)
        out = []
        for load, url in (("api-quiet", f"{path}?{API}&$expand=ReplicationStatus"),
                          ("static-quiet", "/static/version.json")):  # fmt: skip
            cpu = _cpu_seconds(self.server.proc.pid)
            self._tell(f"GO {url}")
            time.sleep(seconds)
            self._tell("STOP")
            result = json.loads(self.loader.stdout.readline())  # type: ignore[union-attr]
            used = _cpu_seconds(self.server.proc.pid) - cpu
            result["server_cpu_ms_per_request"] = 1000 * used / max(1, result["requests"])
            out.append({"load": load} | result)
        return out

    def _tell(self, line: str) -> None:
        assert self.loader.stdin is not None
        self.loader.stdin.write(line + "\n")
        self.loader.stdin.flush()

    def close(self) -> None:
        self.loader.communicate("")
        self.http.close()
        self.server.stop()


def main() -> int:
    if sys.argv[1:2] == ["--serve"]:
        return run_server(Path(sys.argv[2]), int(sys.argv[3]))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=size_arg, default=512 * MiB)
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--interval-ms", type=float, default=50,
                   help="one request per client per interval (0: a closed loop)")  # fmt: skip
    p.add_argument("--replicas", type=int, default=2)
    from imgrepl.copies import NICE_BESIDE_SERVER

    p.add_argument("--replication-nice", type=int, default=NICE_BESIDE_SERVER,
                   help="as `imgrepl serve --replication-nice` (0: copies compete "
                   "with requests on equal terms)")  # fmt: skip
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--dir", default="/var/tmp")
    p.add_argument("--out", type=Path, default=ROOT / "bench-results")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="imgrepl-bench-service-", dir=a.dir) as tmp:
        work = Path(tmp)
        os.environ["IMGREPL_HOME"] = str(work / "home")
        token = prepare(work, a.size)
        bench = Bench(work, token, a.clients, a.replicas, a.size, a.interval_ms / 1000,
                      a.replication_nice)  # fmt: skip
        samples: list[dict[str, Any]] = []
        try:
            for rep in range(a.reps):
                for load in (None, "api", "static"):
                    sample = bench.replicate(load) | {"rep": rep}
                    print(json.dumps(sample), flush=True)
                    samples.append(sample)
            for rep in range(a.reps):
                for sample in bench.quiet(5.0):
                    print(json.dumps(sample | {"rep": rep}), flush=True)
                    samples.append(sample | {"rep": rep})
        finally:
            bench.close()
    if any(s.get("requests") == 0 for s in samples):
        print("bench_service: a replication ended before the clients' first request; "
              "give a larger --size", file=sys.stderr)  # fmt: skip
        return 1
    report(samples, a)
    return 0


def report(samples: list[dict[str, Any]], a: argparse.Namespace) -> None:
    def best(load: str, key: str, low: bool) -> Any:
        values = [s[key] for s in samples if s["load"] == load and s.get(key) is not None]
        return (min if low else max)(values)

    idle = best("none", "MBps", False)
    summary = {
        "clients": a.clients, "interval_ms": a.interval_ms, "size": a.size,
        "replication_nice": a.replication_nice,
        "replicas": a.replicas, "reps": a.reps,
        "replication_MBps_no_load": idle,
        "replication_MBps_api_load": best("api", "MBps", False),
        "replication_MBps_static_load": best("static", "MBps", False),
        "api": {k: best("api", k, k != "rps") for k in ("rps", "p50_ms", "p99_ms")},
        "static": {k: best("static", k, k != "rps") for k in ("rps", "p50_ms", "p99_ms")},
    }  # fmt: skip
    for quiet in ("api-quiet", "static-quiet"):
        keys = ("rps", "p50_ms", "p99_ms", "server_cpu_ms_per_request")
        summary[quiet] = {k: best(quiet, k, k != "rps") for k in keys}
    summary["api_vs_static_rps"] = summary["api"]["rps"] / summary["static"]["rps"]
    summary["replication_under_api_load_vs_idle"] = summary["replication_MBps_api_load"] / idle
    # each rep's loaded replication against its own unloaded one: less noisy than best / best
    unloaded = {s["rep"]: s["MBps"] for s in samples if s["load"] == "none"}
    paired = sorted(s["MBps"] / unloaded[s["rep"]] for s in samples if s["load"] == "api")
    summary["replication_under_api_load_vs_idle_median"] = paired[len(paired) // 2]
    p99s = sorted(s["p99_ms"] for s in samples if s["load"] == "api" and s["p99_ms"] is not None)
    summary["api_p99_ms_median"] = p99s[len(p99s) // 2]
    summary["targets"] = {
        "p99_under_50ms": summary["api"]["p99_ms"] < 50,
        "replication_within_10pct": summary["replication_under_api_load_vs_idle"] >= 0.9,
    }
    a.out.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"summary": summary, "samples": samples}, indent=1)
    (a.out / "service.json").write_text(text)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    sys.exit(main())

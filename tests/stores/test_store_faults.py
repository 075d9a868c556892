"""Stores that fail: refused (bad credentials), unreachable, silent (times
out), or stopped in the middle of a copy.  Each fails only its own
destination, with a message naming the store URL and the operation and
never a credential; nothing appears at its final key."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import imgrepl
import pytest
from conftest import BUCKET
from helpers.files import MIB, noise, write
from helpers.store_servers import Azurite, FlakyProxy, RcloneS3
from imgrepl.exceptions import CopyCancelledError

SECRET = "never-show-this-secret-0123456789"


def source(tmp_path: Path, size: int = 12 * MIB) -> tuple[Path, bytes]:
    data = noise(3, size)
    return write(tmp_path / "src.raw", data), data


@pytest.fixture
def prefix_options() -> Iterator[list[str]]:
    """Prefixes a test registers; unregistered afterwards."""
    registered: list[str] = []
    yield registered
    for p in registered:
        imgrepl.unregister_store(p)


def register(registered: list[str], prefix: str, options: dict[str, str]) -> None:
    imgrepl.register_store(prefix, options)
    registered.append(prefix)


def copy_beside_a_good_replica(tmp_path: Path, bad_url: str) -> tuple[str, bytes]:
    """Copies to a local replica and `bad_url`; returns the bad one's error."""
    src, data = source(tmp_path, 3 * MIB)
    good = tmp_path / "good.raw"
    report = imgrepl.copy(src, [good, bad_url], chunk_size=MIB, check=False)
    ok, bad = report.destinations
    assert ok.ok and good.read_bytes() == data
    assert not bad.ok and bad.error is not None
    return bad.error, data


def test_refused_credentials_fail_only_that_store_and_never_show(
    s3_server: RcloneS3, tmp_path: Path, prefix_options: list[str]
) -> None:
    opts = {**s3_server.options(), "secret_access_key": SECRET, "max_retries": "0"}
    register(prefix_options, f"s3://{BUCKET}/wrong-key", opts)
    url = f"s3://{BUCKET}/wrong-key/img.raw"
    error, _ = copy_beside_a_good_replica(tmp_path, url)
    assert url in error and "(s3)" in error
    assert "403" in error or "Forbidden" in error or "signature" in error.lower()
    assert SECRET not in error and s3_server.secret_key not in error
    assert f"s3://{BUCKET}/wrong-key" in imgrepl.registered_stores()
    assert s3_server.read(BUCKET, "wrong-key/img.raw") is None


def test_an_unreachable_store_fails_only_its_destination(
    tmp_path: Path, prefix_options: list[str]
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    opts = {
        "endpoint": f"http://127.0.0.1:{port}",
        "allow_http": "true",
        "access_key_id": "id",
        "secret_access_key": SECRET,
        "max_retries": "1",
    }
    register(prefix_options, "s3://nowhere-bucket", opts)
    error, _ = copy_beside_a_good_replica(tmp_path, "s3://nowhere-bucket/img.raw")
    assert "s3://nowhere-bucket/img.raw (s3)" in error
    assert "upload" in error or "stat" in error
    assert SECRET not in error


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield listener.getsockname()[1]
    stop.set()
    t.join()
    for c in held:
        c.close()
    listener.close()


def test_a_store_that_times_out_fails_only_its_destination(
    silent_server: int, tmp_path: Path, prefix_options: list[str]
) -> None:
    opts = {
        "account": "acct",
        "access_key": "a2V5",
        "endpoint": f"http://127.0.0.1:{silent_server}/acct",
        "allow_http": "true",
        "timeout": "1s",
        "max_retries": "1",
        "retry_timeout": "3s",
    }
    register(prefix_options, "az://silent", opts)
    error, _ = copy_beside_a_good_replica(tmp_path, "az://silent/img.raw")
    assert "az://silent/img.raw (azure)" in error
    assert "timed out" in error.lower() or "timeout" in error.lower()


@pytest.fixture
def own_s3(tmp_path: Path, prefix_options: list[str]) -> Iterator[RcloneS3]:
    """A server of this test's own, so stopping it disturbs no other test."""
    server = RcloneS3(tmp_path / "own-s3")
    server.start()
    server.create_bucket("own-bucket")
    register(prefix_options, "s3://own-bucket", {**server.options(), "max_retries": "1"})
    yield server
    server.stop()


def test_a_server_stopped_mid_copy_fails_only_its_region(
    own_s3: RcloneS3, azurite: Azurite, tmp_path: Path
) -> None:
    src, data = source(tmp_path, 24 * MIB)
    local = tmp_path / "local.raw"
    dsts = [str(local), "s3://own-bucket/r/img.raw", f"az://{BUCKET}/stopped/img.raw"]
    # Slow reads keep the copy going while the server stops.
    job = imgrepl.start_copy(src, dsts, chunk_size=MIB, bwlimit=4 * MIB)
    for p in job:
        if p.bytes_done[1] >= 10 * MIB:
            own_s3.stop()
            break
    report = job.wait()
    by_path = {d.path: d for d in report.destinations}
    assert by_path[str(local)].ok and local.read_bytes() == data
    assert by_path[dsts[2]].ok and azurite.read(BUCKET, "stopped/img.raw") == data
    failed = by_path[dsts[1]]
    assert not failed.ok and failed.error is not None
    assert "s3://own-bucket/r/img.raw (s3)" in failed.error
    assert own_s3.secret_key not in failed.error
    own_s3.start()
    assert imgrepl.store_stat("s3://own-bucket/r/img.raw") is None
    assert imgrepl.store_stat("s3://own-bucket/r/img.raw.imgrepl-manifest") is None


def test_azure_uploads_that_never_commit_are_never_visible(
    azurite: Azurite, tmp_path: Path
) -> None:
    src, _ = source(tmp_path, 20 * MIB)
    url = f"az://{BUCKET}/uncommitted/img.raw"
    job = imgrepl.start_copy(src, [url], chunk_size=MIB, bwlimit=4 * MIB)
    for p in job:
        if p.bytes_done[0] >= 10 * MIB:  # a part has been staged
            break
    job.cancel()
    with pytest.raises(CopyCancelledError):
        job.wait()
    assert azurite.keys(BUCKET, "uncommitted/") == []
    assert "uncommitted/img.raw" in azurite.keys(BUCKET, "uncommitted/", uncommitted=True)
    assert imgrepl.store_stat(url) is None


def test_transient_errors_are_retried_with_backoff(
    s3_server: RcloneS3, tmp_path: Path, prefix_options: list[str]
) -> None:
    proxy = FlakyProxy(s3_server.port)
    try:
        src, data = source(tmp_path, 20 * MIB)
        flaky = {**s3_server.options(), "endpoint": proxy.endpoint}
        register(prefix_options, f"s3://{BUCKET}/flaky", flaky)
        register(prefix_options, f"s3://{BUCKET}/flaky-no-retry", {**flaky, "max_retries": "0"})
        report = imgrepl.copy(src, [f"s3://{BUCKET}/flaky/img.raw"], chunk_size=MIB)
        assert report.ok and s3_server.read(BUCKET, "flaky/img.raw") == data
        assert proxy.refused >= 4  # start, parts, complete, manifest: each once
        assert imgrepl.verify(f"s3://{BUCKET}/flaky/img.raw").ok
        # The same store without retries fails on its first refusal.
        error, _ = copy_beside_a_good_replica(tmp_path, f"s3://{BUCKET}/flaky-no-retry/x.raw")
        assert "503" in error and "SlowDown" in error
    finally:
        proxy.stop()

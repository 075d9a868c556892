"""`imgrepl serve` as a process: HTTPS with the given certificate, the
`listening on` line, a request without a token refused, a clean stop on
SIGTERM and SIGINT, and plain HTTP refused off loopback."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from helpers.service import make_tls, serve_argv, start_serve


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_over_tls_and_stops_cleanly(tmp_path: Path, sig: int) -> None:
    tls = make_tls(tmp_path / "tls")
    served = start_serve(serve_argv(tmp_path / "home", tls))
    try:
        assert served.url.startswith("https://127.0.0.1:")
        # the certificate is checked against the test's CA: real TLS
        with httpx.Client(verify=ssl.create_default_context(cafile=tls.ca_pem)) as http:
            r = http.get(f"{served.url}/subscriptions/x/providers/Microsoft.Compute/galleries")
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "AuthenticationFailed"
        with pytest.raises(httpx.ConnectError):  # an unknown CA is refused
            httpx.get(served.url + "/", verify=True)
    finally:
        code = served.stop(sig)
    assert code == 0, served.output()
    assert "Traceback" not in served.output()


def test_insecure_http_only_on_loopback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    argv = [sys.executable, "-m", "imgrepl", "serve", "--home", str(home), "--port", "0"]
    refused = subprocess.run(
        [*argv, "--insecure-http", "--host", "0.0.0.0"], capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert "loopback" in refused.stderr and "Traceback" not in refused.stderr
    missing = subprocess.run(argv, capture_output=True, text=True)
    assert missing.returncode == 1 and "--tls-cert" in missing.stderr
    served = start_serve([*argv, "--insecure-http"])
    try:
        assert served.url.startswith("http://127.0.0.1:")
        r = httpx.get(served.url + "/subscriptions/x?api-version=2026-03-03")
        assert r.status_code == 401
    finally:
        assert served.stop() == 0


def test_only_the_homes_owner_may_serve_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = subprocess.run(
        [sys.executable, "-m", "imgrepl", "token", "list", "--home", str(home), "--as", "owner"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr  # the home exists, owned by `owner`
    argv = [sys.executable, "-m", "imgrepl", "serve", "--home", str(home), "--port", "0"]
    refused = subprocess.run(
        [*argv, "--insecure-http"],
        capture_output=True, text=True, env={**os.environ, "IMGREPL_PRINCIPAL": "mallory"},
    )  # fmt: skip
    assert refused.returncode == 1 and "listening" not in refused.stdout
    assert "mallory" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

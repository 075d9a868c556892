"""Attacks on the API, each refused with ARM's error and nothing changed:
the whole catalog (every row, both backends) and the stores' files are
compared before and after.  Path traversal in every name and in source
URIs (`..`, encoded slashes, links out of the import root, other hosts and
schemes), oversized and malformed bodies, values of the wrong type, an
expired, revoked, unknown or foreign token, and no store secret in any
answer."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from helpers.gallery import OWNER, catalog_state, files_under, run, stamps
from helpers.service import OTHER_SUB, RG, SUB, Served, Tls, token_for
from imgrepl import Client

API = "api-version=2026-03-03"
BASE = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries"
SECRET = "s3cr3t-Value-never-shown"


def version_body(uri: str, **storage: Any) -> dict[str, Any]:
    profile = {"osDiskImage": {"source": {"uri": uri}}} | storage
    return {"location": "westeurope", "properties": {
        "publishingProfile": {"targetRegions": [{"name": "westeurope"}]},
        "storageProfile": profile}}  # fmt: skip


@pytest.fixture
def http(served: Served, tls: Tls) -> Iterator[httpx.Client]:
    ctx = ssl.create_default_context(cafile=tls.ca_pem)
    with httpx.Client(base_url=served.url, verify=ctx, timeout=60) as client:
        yield client


@pytest.fixture
def published(home: Path, http: httpx.Client, imports: Path, tmp_path: Path) -> str:
    """G/D/1.0.0 made through the API; a region on S3 with a secret; an Owner token."""
    token = token_for(home, "alice", "Owner")
    auth = {"Authorization": f"Bearer {token}"}
    image = {"osType": "Linux", "identifier": {"publisher": "p", "offer": "o", "sku": "s"}}
    assert http.put(f"{BASE}/G?{API}", json={"location": "westeurope"}, headers=auth).is_success
    r = http.put(f"{BASE}/G/images/D?{API}", headers=auth,
                 json={"location": "westeurope", "properties": image})  # fmt: skip
    assert r.is_success, r.text
    r = http.put(f"{BASE}/G/images/D/versions/1.0.0?{API}", headers=auth,
                 json=version_body((imports / "os.vhd").as_uri()))  # fmt: skip
    assert r.status_code == 201, r.text
    op = r.headers["Azure-AsyncOperation"]
    deadline = time.monotonic() + 60
    while http.get(op, headers=auth).json()["status"] == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.1)

    async def s3_region() -> None:
        async with Client(home, principal=OWNER) as c:
            options = {"endpoint": "http://127.0.0.1:9", "access_key_id": "AKIDEXAMPLE",
                       "secret_access_key": SECRET, "region": "us-east-1"}  # fmt: skip
            await c.add_region("northeurope", "s3://bucket/ne", store_options=options, check=False)

    run(s3_region())
    return token


def state(home: Path, tmp_path: Path) -> tuple[list[str], list[Any]]:
    files = files_under(tmp_path / "stores")
    return catalog_state(home), list(zip(files, stamps(files), strict=True))


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error: dict[str, Any] = r.json()["error"]
    assert error["code"] == code and error["message"], error
    assert "Traceback" not in r.text and SECRET not in r.text
    return error


def test_traversal_in_names_and_sources_is_refused(
    home: Path, http: httpx.Client, published: str, imports: Path, tmp_path: Path
) -> None:
    auth = {"Authorization": f"Bearer {published}"}
    outside = tmp_path / "outside.vhd"
    outside.write_bytes((imports / "os.vhd").read_bytes())
    (imports / "link.vhd").symlink_to(outside)
    before = state(home, tmp_path)
    v = f"{BASE}/G/images/D/versions"
    # %2E%2E: a client would remove a bare `..` segment before sending it
    for path in (f"{BASE}/..%2F..?{API}", f"{BASE}/a%2Fb?{API}", f"{BASE}/G/images/%2E%2E?{API}",
                 f"{BASE}/G/images/D%2F..%2F..?{API}", f"{v}/..%2F1.0.0?{API}",
                 f"{v}/1.0.0%2F..?{API}", f"{BASE}/G%00?{API}"):  # fmt: skip
        r = http.put(path, json={"location": "westeurope"}, headers=auth)
        assert r.status_code in (400, 404), (path, r.text)
        assert r.json()["error"]["code"] in ("InvalidParameter", "InvalidResourceType"), path
    sources = [
        f"file://{imports}/../outside.vhd",  # .. out of the root
        (imports / "link.vhd").as_uri(),  # a link out of the root
        outside.as_uri(),
        f"file://elsewhere{imports}/os.vhd",  # another host
        str(imports / "os.vhd"),  # a bare path
        "file:///etc/passwd",
        "https://example.com/os.vhd",
        "s3://not-a-region/os.vhd",  # no registered store
        "s3://bucket/ne/../../x.vhd",
    ]
    for n, uri in enumerate(sources):
        r = http.put(f"{v}/2.0.{n}?{API}", json=version_body(uri), headers=auth)
        error = refused(r, 400, "InvalidParameter")
        assert "osDiskImage" in error["message"], error
    data = {"dataDiskImages": [{"lun": 0, "source": {"uri": outside.as_uri()}}]}
    r = http.put(f"{v}/2.1.0?{API}", json=version_body((imports / "os.vhd").as_uri(), **data),
                 headers=auth)  # fmt: skip
    refused(r, 400, "InvalidParameter")
    for bad_id in ("/galleries/G/images/D/versions/9.9.9", f"{BASE}/G/images/D/versions/9.9.9"):
        body = {
            "location": "westeurope",
            "properties": {"storageProfile": {"source": {"id": bad_id}}},
        }
        r = http.put(f"{v}/2.2.0?{API}", json=body, headers=auth)
        assert r.status_code in (400, 404), r.text
    assert state(home, tmp_path) == before


def test_bad_bodies_and_api_versions_are_refused(
    home: Path, http: httpx.Client, published: str, tmp_path: Path
) -> None:
    auth = {"Authorization": f"Bearer {published}"}
    before = state(home, tmp_path)
    url = f"{BASE}/G2?{API}"
    big = b'{"location": "westeurope", "tags": {"x": "' + b"a" * (5 << 20) + b'"}}'
    refused(http.put(url, content=big, headers=auth), 413, "RequestEntityTooLarge")
    chunks = (b"a" * 65536 for _ in range(100))  # no length given: counted as it comes
    refused(http.put(url, content=chunks, headers=auth), 413, "RequestEntityTooLarge")
    for raw in (b"{", b"[1, 2]", b"\xff\xfe", b'{"location": "westeurope",}', b"[" * 100000):
        refused(http.put(url, content=raw, headers=auth), 400, "InvalidRequestContent")
    wrong = {"location": "westeurope", "properties": {"description": ["x"]}}
    error = refused(http.put(url, json=wrong, headers=auth), 400, "InvalidParameter")
    assert error["target"] == "properties.description"
    count = {"location": "westeurope", "properties": {"publishingProfile": {"replicaCount": "2"}}}
    refused(http.put(f"{BASE}/G/images/D/versions/3.0.0?{API}", json=count, headers=auth),
            400, "InvalidParameter")  # fmt: skip
    refused(http.put(url, json={"properties": {}}, headers=auth), 400, "InvalidParameter")
    for version in ("", "2019-03-01", "2026-03-03x", "latest"):
        r = http.get(f"{BASE}/G?api-version={version}", headers=auth)
        refused(r, 400, "InvalidApiVersionParameter")
    refused(http.get(f"{BASE}/G", headers=auth), 400, "InvalidApiVersionParameter")
    assert state(home, tmp_path) == before


def test_tokens_that_prove_nothing_or_too_little_are_refused(
    home: Path, http: httpx.Client, published: str, tmp_path: Path
) -> None:
    expired = token_for(home, "carol", "Owner", expires_in="1s")
    foreign = token_for(home, "dave", "Owner", f"/subscriptions/{OTHER_SUB}")
    revoked = token_for(home, "erin", "Owner")
    from helpers.gallery import cli

    listed = cli(home, "token", "list", "--principal", "erin")
    cli(home, "token", "revoke", listed[0]["id"])
    time.sleep(1.2)
    before = state(home, tmp_path)
    url = f"{BASE}/G3?{API}"
    body = {"location": "westeurope"}
    refused(http.put(url, json=body), 401, "AuthenticationFailed")
    refused(http.put(url, json=body, headers={"Authorization": "Basic b3duZXI6"}), 401,
            "AuthenticationFailed")  # fmt: skip
    for token in (expired, revoked, published[:-2] + "AA", "imgrepl_" + "A" * 43, "a.b.c"):
        r = http.put(url, json=body, headers={"Authorization": f"Bearer {token}"})
        refused(r, 401, "InvalidAuthenticationToken")
        assert token not in r.text
    r = http.put(url, json=body, headers={"Authorization": f"Bearer {foreign}"})
    refused(r, 403, "AuthorizationFailed")
    r = http.get(f"{BASE}/G?{API}", headers={"Authorization": f"Bearer {foreign}"})
    assert r.status_code in (403, 404), r.text
    assert state(home, tmp_path) == before


def test_store_secrets_never_appear_in_any_answer(
    home: Path, http: httpx.Client, published: str, tmp_path: Path
) -> None:
    auth = {"Authorization": f"Bearer {published}"}
    before = state(home, tmp_path)
    answers = [
        http.get(f"{BASE}?{API}", headers=auth),
        http.get(f"/subscriptions/{SUB}/providers/Microsoft.Compute/galleries?{API}", headers=auth),
        http.get(f"{BASE}/G/images/D/versions/1.0.0?{API}&$expand=ReplicationStatus", headers=auth),
        # a source in the S3 region, whose store does not answer: the error names
        # the object and the store, never the credentials
        http.put(
            f"{BASE}/G/images/D/versions/4.0.0?{API}",
            headers=auth,
            json=version_body("s3://bucket/ne/os.vhd"),
        ),
    ]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[3].status_code >= 400
    for answer in answers:
        assert SECRET not in answer.text and "AKIDEXAMPLE" not in answer.text
    assert state(home, tmp_path) == before


def test_made_up_resource_groups_cost_the_server_nothing(
    home: Path, http: httpx.Client, served: Served, published: str
) -> None:
    """A caller may name any resource group: the server answers each from
    its one catalog connection per caller, opening none and keeping nothing."""
    auth = {"Authorization": f"Bearer {published}"}

    def fds() -> int:
        return len(os.listdir(f"/proc/{served.proc.pid}/fd"))

    base = f"/subscriptions/{SUB}/resourceGroups"
    http.get(f"{base}/warm/providers/Microsoft.Compute/galleries/G?{API}", headers=auth)
    before = fds()
    for n in range(40):
        r = http.get(f"{base}/made-up-{n}/providers/Microsoft.Compute/galleries/G?{API}",
                     headers=auth)  # fmt: skip
        assert r.status_code in (403, 404), r.text
    assert fds() <= before + 2


def test_a_request_head_past_its_bound_gets_431_and_costs_no_memory(
    served: Served, tls: Tls, http: httpx.Client
) -> None:
    """httptools keeps a request line or header of any size in memory until
    it ends; the service answers 431 past 64 KiB and closes the connection,
    so a client streaming an endless header cannot grow the server."""
    ctx = ssl.create_default_context(cafile=tls.ca_pem)
    where = urlsplit(served.url)

    def exchange(head: bytes, then: int = 0) -> bytes:
        raw = socket.create_connection((where.hostname, where.port), timeout=30)
        with ctx.wrap_socket(raw, server_hostname=where.hostname) as s:
            try:
                s.sendall(head)
                for _ in range(then):  # the endless header, a MiB at a time
                    s.sendall(b"a" * (1 << 20))
            except OSError:
                pass  # closed by the server while we were still sending
            answer = b""
            with contextlib.suppress(OSError):
                while chunk := s.recv(65536):
                    answer += chunk
            return answer

    def rss_mib() -> int:
        status = Path(f"/proc/{served.proc.pid}/status").read_text()
        return int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1]) // 1024

    start = f"GET {BASE}?{API} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode()
    fine = exchange(start + b"X-Pad: " + b"a" * 32_000 + b"\r\n\r\n")
    assert fine.startswith(b"HTTP/1.1 401"), fine[:80]  # reached the API: no token
    big = exchange(start + b"X-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
    assert big.startswith(b"HTTP/1.1 431"), big[:80]
    assert b'"code": "RequestHeaderFieldsTooLarge"' in big
    before = rss_mib()
    exchange(start + b"X-Endless: ", then=256)
    assert rss_mib() < before + 16
    assert http.get(f"{BASE}?{API}").status_code == 401  # still serving

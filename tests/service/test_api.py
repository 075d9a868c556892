"""The ARM API's own rules, over HTTPS: PUT creates (201) then updates
(200) and the same PUT twice changes nothing; fixed properties refuse to
change; DELETE of what is gone is 204; paths match case-insensitively and
every stable api-version since 2023-07-03 is served; lists page with
nextLink; versions come from an s3:// source in a registered store (a
real S3 server) and from another version (`source.id`), their replicas
equal to the source byte for byte, and the store's secret in no answer."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import imgrepl
import pytest
import uvicorn
from helpers.gallery import OWNER, catalog_state, poll, run, xxh128
from helpers.service import RG, SUB, Served, Tls, replica_digests, token_for
from helpers.store_servers import RcloneS3
from imgrepl import Client

API = "api-version=2026-03-03"
BASE = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries"
IMAGE = {"osType": "Linux", "identifier": {"publisher": "p", "offer": "o", "sku": "s"}}


def session(url: str, tls: Tls, token: str) -> httpx.Client:
    ctx = ssl.create_default_context(cafile=tls.ca_pem)
    auth = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=url, verify=ctx, headers=auth, timeout=60)


def wait(http: httpx.Client, r: httpx.Response) -> dict[str, Any]:
    """Follows Azure-AsyncOperation to its end, as the SDK's poller does."""
    op = r.headers["Azure-AsyncOperation"]
    deadline = time.monotonic() + 60
    while (status := http.get(op).json())["status"] == "InProgress":
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    return dict(status)


def test_put_is_create_or_update_and_idempotent(
    home: Path, served: Served, tls: Tls, imports: Path
) -> None:
    with session(served.url, tls, token_for(home, "alice", "Contributor")) as http:
        body = {
            "location": "westeurope",
            "tags": {"team": "a"},
            "properties": {"description": "one"},
        }
        made = http.put(f"{BASE}/G?{API}", json=body)
        assert made.status_code == 201 and made.json()["tags"] == {"team": "a"}
        before = catalog_state(home)
        again = http.put(f"{BASE}/G?{API}", json=body)
        assert again.status_code == 200 and again.json()["properties"]["description"] == "one"
        assert catalog_state(home) == before
        moved = http.put(f"{BASE}/G?{API}", json={"location": "eastus"})
        assert moved.status_code == 409
        assert moved.json()["error"]["code"] == "PropertyChangeNotAllowed"
        patched = http.patch(f"{BASE}/G?{API}", json={"properties": {"description": "two"}})
        assert patched.status_code == 200 and patched.json()["properties"]["description"] == "two"
        assert patched.json()["tags"] == {"team": "a"}  # PATCH changes what it names only
        retagged = http.patch(f"{BASE}/G?{API}", json={"tags": {"team": "b"}})
        assert retagged.json()["tags"] == {"team": "b"}
        assert http.get(f"{BASE}/G?{API}").json()["properties"]["description"] == "two"

        d = {"location": "westeurope", "properties": IMAGE}
        assert http.put(f"{BASE}/G/images/D?{API}", json=d).status_code == 201
        assert http.put(f"{BASE}/G/images/D?{API}", json=d).status_code == 200
        other = {"location": "westeurope", "properties": IMAGE | {"osType": "Windows"}}
        r = http.put(f"{BASE}/G/images/D?{API}", json=other)
        assert r.status_code == 409 and r.json()["error"]["target"] == "osType"

        # ARM paths are case-insensitive; older stable api-versions are served
        r = http.get(f"{BASE.lower()}/g/images/d?api-version=2023-07-03")
        assert r.status_code == 200 and r.json()["name"] == "D"
        assert r.json()["type"] == "Microsoft.Compute/galleries/images"

        gone = f"{BASE}/G/images/D/versions/9.9.9?{API}"
        assert http.delete(gone).status_code == 204
        assert http.get(gone).json()["error"]["code"] == "ResourceNotFound"
        assert http.delete(f"{BASE}/G/images/D?{API}").status_code == 200
        assert http.delete(f"{BASE}/G/images/D?{API}").status_code == 204


@pytest.fixture
def small_pages(home: Path, tls: Tls, imports: Path) -> Iterator[str]:
    """The service's app with pages of 2, under uvicorn in this process."""
    from imgrepl.service.app import create_app
    from imgrepl.service.config import ServiceConfig

    app = create_app(ServiceConfig(home, None, (imports,), page_size=2))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            ssl_certfile=str(tls.cert), ssl_keyfile=str(tls.key))  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_lists_page_with_next_link(home: Path, small_pages: str, tls: Tls) -> None:
    with session(small_pages, tls, token_for(home, "alice", "Contributor")) as http:
        for name in ("A", "B", "C", "D", "E"):
            assert http.put(f"{BASE}/{name}?{API}", json={"location": "eastus"}).is_success
        seen: list[str] = []
        url: str | None = f"/subscriptions/{SUB}/providers/Microsoft.Compute/galleries?{API}"
        pages = 0
        while url:
            page = http.get(url).json()
            assert len(page["value"]) <= 2
            seen += [g["name"] for g in page["value"]]
            url, pages = page.get("nextLink"), pages + 1
        assert sorted(seen) == ["A", "B", "C", "D", "E"] and pages == 3
        bad = http.get(f"{BASE}?{API}&$skiptoken=x")
        assert bad.status_code == 400


@pytest.fixture
def s3(tmp_path: Path) -> Iterator[RcloneS3]:
    server = RcloneS3(tmp_path / "s3")
    server.start()
    server.create_bucket("bucket")
    try:
        yield server
    finally:
        server.stop()


def test_versions_from_an_s3_source_and_from_another_version(
    home: Path, served: Served, tls: Tls, imports: Path, s3: RcloneS3
) -> None:
    async def s3_region() -> None:
        async with Client(home, principal=OWNER) as c:
            await c.add_region("northeurope", "s3://bucket/ne", store_options=s3.options())

    run(s3_region())  # this process now knows the store too: the upload goes through S3
    source = imports / "os.vhd"
    try:
        imgrepl.copy(str(source), ["s3://bucket/ne/uploads/os.vhd"])
    finally:
        imgrepl.unregister_store("s3://bucket/ne")
    want = xxh128(source)
    answers: list[httpx.Response] = []
    with session(served.url, tls, token_for(home, "alice", "Contributor")) as http:
        answers.append(http.put(f"{BASE}/G?{API}", json={"location": "westeurope"}))
        answers.append(http.put(f"{BASE}/G/images/D?{API}",
                                json={"location": "westeurope", "properties": IMAGE}))  # fmt: skip
        targets = [{"name": "westeurope"}, {"name": "northeurope"}]
        profile = {"publishingProfile": {"targetRegions": targets}}
        s3_source = {"osDiskImage": {"source": {"uri": "s3://bucket/ne/uploads/os.vhd"}}}
        props = profile | {"storageProfile": s3_source}
        body = {"location": "westeurope", "tags": {"build": "42"}, "properties": props}
        r = http.put(f"{BASE}/G/images/D/versions/1.0.0?{API}", json=body)
        assert r.status_code == 201, r.text
        assert r.headers["Retry-After"] == "1"  # else the SDKs' pollers wait 30 s
        assert wait(http, r)["status"] == "Succeeded"
        assert replica_digests(home, v="1.0.0", s3=s3) == {
            "westeurope": [want],
            "northeurope": [want],
        }
        # the object was staged in the home; in every region now, it goes,
        # and a region added later is copied from the home region's replica
        staged = home / "imports" / "service"  # removed just after the version succeeds
        poll("the staged source removed", lambda: not list(staged.iterdir()), timeout=30)
        more = {"publishingProfile": {"targetRegions": [*targets, {"name": "eastus"}]}}
        r = http.patch(f"{BASE}/G/images/D/versions/1.0.0?{API}", json={"properties": more})
        assert r.status_code in (200, 202), r.text
        assert wait(http, r)["status"] == "Succeeded"
        assert replica_digests(home, v="1.0.0", s3=s3) == {
            "westeurope": [want],
            "northeurope": [want],
            "eastus": [want],
        }

        assert http.get(f"{BASE}/G/images/D/versions/1.0.0?{API}").json()["tags"] == {"build": "42"}
        source_id = f"{BASE}/G/images/D/versions/1.0.0"
        body = {"location": "westeurope", "properties": profile | {"storageProfile": {
            "source": {"id": source_id}}}}  # fmt: skip
        r = http.put(f"{BASE}/G/images/D/versions/2.0.0?{API}", json=body)
        assert r.status_code == 201, r.text
        assert wait(http, r)["status"] == "Succeeded"
        answers.append(http.get(f"{BASE}/G/images/D/versions/2.0.0?{API}"))
        storage = answers[-1].json()["properties"]["storageProfile"]
        assert storage["source"]["id"].casefold() == source_id.casefold()
        assert replica_digests(home, v="2.0.0", s3=s3) == {
            "westeurope": [want],
            "northeurope": [want],
        }
        answers.append(http.get(f"{BASE}/G/images/D/versions?{API}"))
        # promoted into another resource group, from the version's ARM id
        prod = BASE.replace(f"/resourceGroups/{RG}/", "/resourceGroups/prod/")
        assert http.put(f"{prod}/G?{API}", json={"location": "westeurope"}).status_code == 201
        r = http.put(f"{prod}/G/images/D?{API}", json={"location": "westeurope",
                                                        "properties": IMAGE})  # fmt: skip
        assert r.status_code == 201, r.text
        r = http.put(f"{prod}/G/images/D/versions/1.0.0?{API}", json=body)
        assert r.status_code == 201, r.text
        assert wait(http, r)["status"] == "Succeeded"
        promoted = http.get(f"{prod}/G/images/D/versions/1.0.0?{API}").json()["properties"]
        assert promoted["storageProfile"]["source"]["id"].casefold() == source_id.casefold()
    for answer in answers:
        assert s3.secret_key not in answer.text and s3.access_key not in answer.text

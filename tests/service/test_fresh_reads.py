"""GETs of a version are answered from a short-lived copy while nothing
changes (imgrepl.service.reads), and that copy never lies: a write by the
server shows at its very next GET, a write by another process within the
stated TTL, and one principal's answer is never served to another."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers.gallery import OWNER, run
from helpers.service import RG, SUB, Served, Tls, token_for
from imgrepl import Client
from imgrepl.service.reads import TTL

API = "api-version=2026-03-03"
GALLERY = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/galleries/G"
VERSION = f"{GALLERY}/images/D/versions/1.0.0"
READ = f"{VERSION}?{API}&$expand=ReplicationStatus"


@pytest.fixture
def owner(home: Path, served: Served, tls: Tls, imports: Path) -> Iterator[httpx.Client]:
    """An Owner's session, with G/D/1.0.0 made through the API and replicated."""
    ctx = ssl.create_default_context(cafile=tls.ca_pem)
    auth = {"Authorization": f"Bearer {token_for(home, 'alice', 'Owner')}"}
    with httpx.Client(base_url=served.url, verify=ctx, headers=auth, timeout=60) as http:
        image = {"osType": "Linux", "identifier": {"publisher": "p", "offer": "o", "sku": "s"}}
        assert http.put(f"{GALLERY}?{API}", json={"location": "westeurope"}).is_success
        made = http.put(f"{GALLERY}/images/D?{API}", json={"location": "westeurope",
                                                            "properties": image})  # fmt: skip
        assert made.is_success, made.text
        source = {"uri": (imports / "os.vhd").as_uri()}
        body = {"location": "westeurope", "properties": {
            "publishingProfile": {"targetRegions": [{"name": "westeurope"}]},
            "storageProfile": {"osDiskImage": {"source": source}}}}  # fmt: skip
        wait(http, http.put(f"{VERSION}?{API}", json=body))
        yield http


def wait(http: httpx.Client, r: httpx.Response) -> None:
    assert r.status_code in (200, 201), r.text
    deadline = time.monotonic() + 60
    while http.get(r.headers["Azure-AsyncOperation"]).json()["status"] == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def tags(r: httpx.Response) -> Any:
    assert r.status_code == 200, r.text
    return r.json()["tags"]


def test_a_write_by_the_server_shows_at_its_next_read(owner: httpx.Client) -> None:
    assert owner.get(READ).json()["properties"]["replicationStatus"]["aggregatedState"] == (
        "Completed"
    )
    for n in range(3):  # each GET right after its PATCH, well within TTL
        edit = owner.patch(f"{VERSION}?{API}", json={"tags": {"n": str(n)}})
        assert edit.status_code == 200, edit.text
        assert tags(owner.get(READ)) == {"n": str(n)}
        assert tags(owner.get(READ)) == {"n": str(n)}
    wait(owner, edit)


def test_a_write_by_another_process_shows_within_the_ttl(home: Path, owner: httpx.Client) -> None:
    assert tags(owner.get(READ)) in (None, {})

    async def retag() -> None:  # this test's process is not the server's
        async with Client(home, principal=OWNER, subscription=SUB, resource_group=RG) as c:
            await c.update_image_version("G", "D", "1.0.0", changes={"tags": {"by": "cli"}},
                                         replicate=False)  # fmt: skip

    run(retag())
    time.sleep(TTL)
    assert tags(owner.get(READ)) == {"by": "cli"}


def test_an_answer_is_never_served_to_another_principal(
    home: Path, served: Served, tls: Tls, owner: httpx.Client
) -> None:
    reader = token_for(home, "rita", "Reader", GALLERY)
    stranger = token_for(home, "nora", "Reader", f"/subscriptions/{SUB}/resourceGroups/other")
    ctx = ssl.create_default_context(cafile=tls.ca_pem)
    with httpx.Client(base_url=served.url, verify=ctx, timeout=60) as http:
        for _ in range(2):
            assert owner.get(READ).status_code == 200
            mine = http.get(READ, headers={"Authorization": f"Bearer {reader}"})
            assert mine.status_code == 200 and mine.json()["name"] == "1.0.0"
            theirs = http.get(READ, headers={"Authorization": f"Bearer {stranger}"})
            assert theirs.status_code == 403, theirs.text
            assert theirs.json()["error"]["code"] == "AuthorizationFailed"
            assert "replicationStatus" not in theirs.text

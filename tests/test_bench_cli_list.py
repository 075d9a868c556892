"""The home benches/bench_cli_list.py builds quickly must be the home the
normal path builds: the same rows for `image-version list` to read, the same
replica records, and replica files that verify against their manifests."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

from imgrepl import Client
from imgrepl.catalog import open_catalog

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benches"))

from bench_cli_list import build_home

NAMES = ["1.0.0", "1.0.1", "1.0.2"]


async def normal_home(home: Path) -> None:
    """The same home, every version replicated through the normal path."""
    image = home.parent / "tiny.raw"
    image.write_bytes(b"\1" * 4096)
    async with Client(home) as c:
        await c.add_region("westeurope", str(home.parent / "store"))
        await c.create_gallery("G", "westeurope")
        await c.create_image_definition(
            "G", "D", publisher="p", offer="o", sku="s", os_type="Linux"
        )
        for name in NAMES:
            await c.create_image_version("G", "D", name, location="westeurope", os_vhd=image)


async def listed(home: Path) -> tuple[Any, list[Any], list[bool]]:
    """What `list` shows, every replica record, and whether each verifies;
    the parts that differ between two homes anyway (where they are, their
    subscription, when they were published) taken out."""
    async with Client(home) as c:
        shown = [v.to_azure() for v in await c.list_image_versions("G", "D")]
        replicas = [vars(r) for n in NAMES for r in await c.list_replicas("G", "D", n)]
        checks = [x.ok for n in NAMES for x in await c.verify_image_version("G", "D", n)]
        subscription = c.subscription
    text = json.dumps([shown, replicas], default=vars).replace(str(home.parent), "ROOT")
    text = text.replace(subscription, "SUB")
    text = re.sub(r'"publishedDate": "[^"]*"', '"publishedDate": ""', text)
    return json.loads(text), replicas, checks


def test_bench_home_is_what_the_normal_path_builds(tmp_path: Path) -> None:
    fast, normal = tmp_path / "fast" / "home", tmp_path / "normal" / "home"
    fast.parent.mkdir()
    normal.parent.mkdir()
    asyncio.run(build_home(fast, None, len(NAMES)))
    asyncio.run(normal_home(normal))
    fast_view, fast_replicas, fast_checks = asyncio.run(listed(fast))
    normal_view, _, _ = asyncio.run(listed(normal))
    assert fast_view == normal_view
    assert len(fast_replicas) == len(NAMES)
    assert {r["state"] for r in fast_replicas} == {"Completed"}
    assert fast_checks == [True] * len(NAMES)  # the files exist and match
    catalog = open_catalog(fast)
    try:
        states = [catalog.versions.get(catalog.versions.find("G", "D", n)) for n in NAMES]
        assert [s.version.provisioning_state for s in states] == ["Succeeded"] * len(NAMES)
    finally:
        catalog.close()

"""`imgrepl demo`: the main job on the embedded default, for a newcomer.

Makes a temporary home with three local regions (one with zones), a sample
image (a VHD when qemu-img is installed, else raw), a gallery, an image
definition and a version replicated to all three regions with progress, and
prints the replication status and where the replicas are.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

REGIONS = (("West Europe", 0), ("East US", 0), ("North Europe", 3))
TARGETS = ["westeurope=2", "eastus=1", "northeurope=1=Standard_ZRS"]
IMAGE_MIB = 32


def register(sub: Any, summary: str) -> None:
    from imgrepl.cli.parser import add_command

    p = add_command(
        sub,
        "demo",
        run,
        help=summary,
        description="Make a temporary home with three local regions, a sample image, a "
        "gallery, a definition and a version replicated to all three regions, with progress.",
        example=[("Run the demo in ./demo and keep what it made.", "imgrepl demo --dir demo")],
    )
    p.add_argument("--dir", default=None, help="work directory (default: a temporary one)")


def sample_image(work: Path) -> Path:
    """Random data with zero stretches, as a fixed VHD if qemu-img can make one."""
    import random
    import shlex
    import shutil
    import subprocess

    raw = work / "sample.raw"
    rng = random.Random(2024)
    with raw.open("wb") as f:
        for i in range(IMAGE_MIB):
            f.write(bytes(1 << 20) if i % 3 == 2 else rng.randbytes(1 << 20))
    if shutil.which("qemu-img") is None:
        return raw
    vhd = work / "sample.vhd"
    convert = shlex.split("qemu-img convert -f raw -O vpc -o subformat=fixed,force_size=on")
    subprocess.run([*convert, str(raw), str(vhd)], check=True, capture_output=True)
    raw.unlink()
    return vhd


async def _demo(args: argparse.Namespace, work: Path) -> int:
    from imgrepl import Client
    from imgrepl.cli.common import emit
    from imgrepl.cli.progress import region_bars

    home = work / "home"
    image = sample_image(work)
    print(f"home {home}\nimage {image} ({image.stat().st_size:,} bytes)\n")
    async with Client(home, catalog=f"sqlite://{home}/catalog.db") as c:  # never $IMGREPL_CATALOG's
        for name, zones in REGIONS:
            store = work / "stores" / name.replace(" ", "").lower()
            await c.add_region(name, str(store), zones=zones)
        emit(args, await c.list_regions(), ["name", "store", "availabilityZones"])
        await c.create_gallery("demo", "westeurope", description="imgrepl demo gallery")
        await c.create_image_definition(
            "demo", "ubuntu", publisher="imgrepl", offer="demo", sku="22_04", os_type="Linux"
        )
        print(f"\nreplicating 1.0.0 to {' '.join(TARGETS)}")
        update, stop = region_bars(args)
        try:
            version = await c.create_image_version(
                "demo",
                "ubuntu",
                "1.0.0",
                location="westeurope",
                os_vhd=image,
                target_regions=TARGETS,
                on_progress=update,
            )
        finally:
            stop()
        status = version.replication_status
        assert status is not None
        print(
            f"\nprovisioningState {version.provisioning_state}, "
            f"replication {status.aggregated_state}"
        )
        emit(args, status.summary, ["region", "state", "progress", "details"])
        print()
        replicas = await c.list_replicas("demo", "ubuntu", "1.0.0")
        emit(args, replicas, ["region", "zone", "index", "state", "location"])
        cost = await c.cost("demo", "ubuntu", "1.0.0")
        print(f"\nstorage {cost.storage_bytes:,} bytes, egress {cost.egress_bytes:,} bytes")
    print(
        f"\nnext: imgrepl sig image-version show --home {home} -r demo -i ubuntu -e latest "
        "-l eastus --expand ReplicationStatus -o json"
    )
    return 0 if status.aggregated_state == "Completed" else 1


def run(args: argparse.Namespace) -> int:
    import asyncio
    import tempfile

    from imgrepl.files import check_directory

    work = Path(args.dir or tempfile.mkdtemp(prefix="imgrepl-demo-")).absolute()
    check_directory(work, "--dir")
    work.mkdir(parents=True, exist_ok=True)
    if (work / "home").exists():
        raise FileExistsError(f"{work / 'home'} exists; give an empty --dir")
    return asyncio.run(_demo(args, work))

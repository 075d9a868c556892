"""`verify` reports a replica whose image was deleted or whose manifest was
corrupted or deleted, and `verify --repair` rebuilds each from a good
replica, byte-identical to the source, even after a plain verify marked
them Failed."""

from __future__ import annotations

from pathlib import Path

from helpers.gallery import OWNER, local, publish, run, xxh128
from imgrepl import Client

MANIFEST = ".imgrepl-manifest"


def test_missing_or_bad_manifest_replicas_are_reported_then_rebuilt(
    definition: Path, big: Path
) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await publish(c, big, "westeurope", "eastus=3")
            reps = {(r.region, r.index): r for r in await c.list_replicas("G", "D", "1.0.0")}
            gone = local(reps["eastus", 0].location)
            gone.unlink()
            garbled = Path(str(local(reps["eastus", 1].location)) + MANIFEST)
            garbled.write_bytes(b"garbage")
            no_manifest = Path(str(local(reps["eastus", 2].location)) + MANIFEST)
            no_manifest.unlink()

            checks = {(k.replica.region, k.replica.index): k for k in
                      await c.verify_image_version("G", "D", "1.0.0")}  # fmt: skip
            assert len(checks) == 4, "every replica is in the table"
            assert checks["westeurope", 0].ok
            assert "is missing" in (checks["eastus", 0].details or "")
            assert "its manifest" in (checks["eastus", 1].details or "")
            assert "is missing" in (checks["eastus", 2].details or "")
            assert {r.state for r in await c.list_replicas("G", "D", "1.0.0")} == {
                "Completed",
                "Failed",
            }

            fixed = await c.verify_image_version("G", "D", "1.0.0", repair=True)
            assert len(fixed) == 4 and all(k.ok for k in fixed)
            assert sorted(k.replica.index for k in fixed if k.repaired) == [0, 1, 2]
            good = Path(str(local(reps["westeurope", 0].location)) + MANIFEST).read_bytes()
            for r in await c.list_replicas("G", "D", "1.0.0"):
                assert r.state == "Completed"
                assert xxh128(local(r.location)) == xxh128(big)
                assert Path(str(local(r.location)) + MANIFEST).read_bytes() == good
            assert all(k.ok for k in await c.verify_image_version("G", "D", "1.0.0"))

    run(go())

"""Eight processes write one catalog at the same moment, on each backend:
a read-compute-write in a transaction loses no update, a per-region limit
is never exceeded, and a case-insensitive name is created once.  The
processes start together (a barrier) and each opens its own connection,
as separate CLI or service processes do."""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.gallery import OWNER, catalog_of, publish, run
from imgrepl import Client
from imgrepl.exceptions import ConflictError, LimitExceededError
from imgrepl.gallery.models import Gallery
from imgrepl.gallery.rules import Limits, TargetRegionSpec

PROCS = 8
ROUNDS = 5


def _in_processes(target: Callable[..., str], home: Path) -> list[str]:
    """Runs target(home, i, barrier) in PROCS processes; returns their outcomes."""
    ctx = multiprocessing.get_context("spawn")
    barrier, outcomes = ctx.Barrier(PROCS), ctx.Queue()
    procs = [
        ctx.Process(target=_report, args=(outcomes, target, str(home), i, barrier))
        for i in range(PROCS)
    ]
    for p in procs:
        p.start()
    results = [outcomes.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    return results


def _report(outcomes: Any, target: Callable[..., str], *args: Any) -> None:
    try:
        outcomes.put(target(*args))
    except BaseException as exc:  # the test shows it
        outcomes.put(f"{type(exc).__name__}: {exc}")


def _increment(home: str, i: int, barrier: Any) -> str:
    """Reads eastus's replica count, then writes it back one higher, ROUNDS times."""
    catalog = catalog_of(Path(home))
    ref = catalog.versions.find("G", "D", "1.0.0")
    barrier.wait(60)
    for _ in range(ROUNDS):
        with catalog.transaction() as tx:
            targets = tx.versions.plan_state(ref).targets
            now = next(t.replica_count or 0 for t in targets if t.region == "eastus")
            tx.versions.put_target(ref, TargetRegionSpec("eastus", now + 1), keep_count=False)
    catalog.close()
    return "ok"


def _create_version(home: str, i: int, barrier: Any) -> str:
    catalog = catalog_of(Path(home))
    template = catalog.versions.get(catalog.versions.find("G", "D", "1.0.0")).version
    barrier.wait(60)
    version = dataclasses.replace(template, name=f"2.0.{i}", disks=[])
    try:
        catalog.versions.create(
            version, [TargetRegionSpec("westeurope")], catalog.settings.limits()
        )
    except LimitExceededError:
        return "limit"
    finally:
        catalog.close()
    return "created"


def _create_gallery(home: str, i: int, barrier: Any) -> str:
    catalog = catalog_of(Path(home))
    name = "Shared" if i % 2 else "SHARED"  # one name, in two spellings
    barrier.wait(60)
    try:
        catalog.galleries.create(Gallery(name, "eastus", None, f"u{i}"), Limits())
    except ConflictError:
        return "exists"
    finally:
        catalog.close()
    return "created"


@pytest.fixture
def published(definition: Path, image: Path) -> Path:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await publish(c, image, "westeurope", "eastus=1")
            await c.set_limits(Limits(versions=5))

    run(go())
    return definition


def test_no_update_is_lost(published: Path) -> None:
    assert _in_processes(_increment, published) == ["ok"] * PROCS
    catalog = catalog_of(published)
    state = catalog.versions.plan_state(catalog.versions.find("G", "D", "1.0.0"))
    catalog.close()
    count = next(t.replica_count for t in state.targets if t.region == "eastus")
    assert count == 1 + PROCS * ROUNDS


def test_a_limit_is_never_exceeded(published: Path) -> None:
    """Versions per region is 5 and 1.0.0 is one: 4 of the 8 are created."""
    outcomes = _in_processes(_create_version, published)
    assert sorted(outcomes) == ["created"] * 4 + ["limit"] * 4
    catalog = catalog_of(published)
    names = [v.version.name for v in catalog.versions.all("G", "D")]
    catalog.close()
    assert len(names) == 5 and names[0] == "1.0.0"


def test_a_name_is_created_once(published: Path) -> None:
    outcomes = _in_processes(_create_gallery, published)
    assert sorted(outcomes) == ["created"] + ["exists"] * (PROCS - 1)
    catalog = catalog_of(published)
    names = [g.name for g in catalog.galleries.all()]
    catalog.close()
    assert sorted(n.lower() for n in names) == ["g", "shared"]

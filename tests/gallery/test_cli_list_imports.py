"""`imgrepl sig image-version list` runs in scripts, often in loops: it loads
the client and the catalog but not what only replication, delta copies or
bundles need (numpy alone costs more than the whole listing).  Its time on
1,000 versions is measured in benches/bench_cli_list.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers.gallery import OWNER, catalog_args, cli_env, publish, run
from imgrepl import Client

HEAVY = (
    "numpy",
    "zstandard",
    "xxhash",
    "imgrepl.manifest",
    "imgrepl.bundles.reader",
    "imgrepl.bundles.writer",
    "imgrepl.replication.replicator",
    "imgrepl.replication.delta",
    "imgrepl.gallery.planner",
    "imgrepl.gallery.cost",
    "imgrepl.cli.sig_share",  # the other sig groups' parsers are not even built
)


def test_version_list_loads_nothing_it_does_not_use(definition: Path, image: Path) -> None:
    async def go() -> None:
        async with Client(definition, principal=OWNER) as c:
            await publish(c, image, "westeurope", "eastus", replicate=False)

    run(go())
    argv = ["sig", "image-version", "list", "-r", "G", "-i", "D", "-o", "tsv",
            "--query", "[].name", "--home", str(definition), *catalog_args(definition)]  # fmt: skip
    code = (
        "import contextlib, io, json, sys\n"
        "from imgrepl.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    code = main({argv!r})\n"
        f"print(json.dumps([code, out.getvalue(), [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    status, listed, loaded = json.loads(proc.stdout)
    assert (status, listed) == (0, "1.0.0\n")
    assert loaded == [], f"image-version list imported {loaded}"

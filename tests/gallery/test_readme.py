"""The README's Python example of the gallery runs as printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_client_example_runs(tmp_path: Path) -> None:
    section = README.read_text().split("## The gallery", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, "the gallery section has a Python example"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", code.group(1)], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Completed"
    assert sorted(line.split()[:3] for line in lines[1:4]) == [
        ["eastus", "0", "Completed"],
        ["westeurope", "0", "Completed"],
        ["westeurope", "1", "Completed"],
    ]
    assert lines[4].startswith("True {'regions': [")

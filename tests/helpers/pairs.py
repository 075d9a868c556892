"""Image pairs for delta replication: version 2 of a golden image is
version 1 with a few changes.

- `ext4_pair`: a real filesystem image, `mkfs.ext4 -d` of a copy of part
  of this Python's standard library, then the same image with some files
  rewritten and some added in place by `debugfs` (as a patched image is);
- `synthetic_pair`: random chunks, exactly the listed chunks changed.
"""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

from helpers.files import noise

CHUNK = 4 << 20
STDLIB_PARTS = ("json", "email", "asyncio", "collections", "logging", "http")


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        raise RuntimeError(f"{name} not found: install e2fsprogs (scripts/test.sh does)")
    return found


def ext4_pair(work: Path, size_mib: int = 24) -> tuple[Path, Path]:
    """(v1.raw, v2.raw): a `size_mib` ext4 filesystem holding part of the
    standard library, and the same with every 7th .py file patched and 8
    files added."""
    tree = work / "tree"
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    skip = shutil.ignore_patterns("__pycache__", "test", "tests")
    for part in STDLIB_PARTS:
        shutil.copytree(stdlib / part, tree / part, ignore=skip)
    v1 = work / "v1.raw"
    mkfs = [_tool("mkfs.ext4"), "-q", "-F", "-E", "root_owner=0:0", "-d", str(tree), str(v1)]
    subprocess.run([*mkfs, f"{size_mib}M"], check=True, capture_output=True)
    v2 = work / "v2.raw"
    shutil.copyfile(v1, v2)
    patches = work / "patches"
    patches.mkdir()
    script = ["mkdir /added"]
    for i, path in enumerate(sorted(tree.rglob("*.py"))[::7]):
        new = patches / f"p{i}"
        new.write_text(path.read_text() + f"\n# patched {i}\n")
        inside = "/" + str(path.relative_to(tree))
        script += [f"rm {inside}", f"write {new} {inside}"]
    for i in range(8):
        new = patches / f"added{i}"
        new.write_text(f"new file {i}\n" * 4000)
        script.append(f"write {new} /added/file{i}.txt")
    (work / "debugfs.cmd").write_text("\n".join(script) + "\n")
    cmd = [_tool("debugfs"), "-w", "-f", str(work / "debugfs.cmd"), str(v2)]
    subprocess.run(cmd, check=True, capture_output=True)
    shutil.rmtree(tree)
    return v1, v2


def synthetic_pair(
    work: Path, chunks: int, changed: tuple[int, ...], seed: int = 7
) -> tuple[Path, Path]:
    """(v1.raw, v2.raw) of `chunks` random 4 MiB chunks, v2 differing from
    v1 in exactly the `changed` chunks (one byte at the start of each)."""
    data = bytearray(noise(seed, chunks * CHUNK))
    v1 = work / "syn1.raw"
    v1.write_bytes(data)
    for i in changed:
        data[i * CHUNK] ^= 0xFF
    v2 = work / "syn2.raw"
    v2.write_bytes(data)
    return v1, v2


def changed_chunks(a: Path, b: Path) -> list[int]:
    """Chunks whose bytes differ, read independently of imgrepl."""
    out = []
    with a.open("rb") as fa, b.open("rb") as fb:
        i = 0
        while True:
            ca, cb = fa.read(CHUNK), fb.read(CHUNK)
            if not ca and not cb:
                return out
            if ca != cb:
                out.append(i)
            i += 1

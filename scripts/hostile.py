"""Drives hostile inputs through every imgrepl command that takes them and
counts what happened, for issue 9's closing figures:

    PYTHONPATH=python python3 scripts/hostile.py [--keep DIR]

Each input runs as its own `python -m imgrepl` process with a timeout.
An input that must be refused counts as a clear error (non-zero exit, the
last stderr line `imgrepl ...: error: ...`, no traceback), a traceback, a
hang (no answer within the timeout) or wrongly accepted (exit 0).  Then
every replica of every version is verified against its manifest (a
Completed replica that does not match is counted), and the home's catalog
files, every output and every log are searched for the store secret."""

from __future__ import annotations

import argparse
import os
import socket
import stat
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

TIMEOUT = 30
SECRET = "hostile-secret-0x5EC12E7"
MiB = 1 << 20


def sh(home: Path, *args: str) -> tuple[str, subprocess.CompletedProcess[str] | None]:
    argv = [sys.executable, "-m", "imgrepl", *args]
    if args[0] in ("region", "sig", "disk", "configure") and "--home" not in args:
        argv += ["--home", str(home)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "hang", None
    if "Traceback" in done.stderr:
        return "traceback", done
    if done.returncode == 0:
        return "accepted", done
    last = (done.stderr.strip().splitlines() or [""])[-1]
    clear = last.startswith("imgrepl") and ": error: " in last
    return ("clear error" if clear else "unclear error"), done


def nodes(d: Path) -> dict[str, Path]:
    """Every kind of path that is no image file."""
    d.mkdir()
    os.mkfifo(d / "fifo")
    short = Path(tempfile.mkdtemp(dir="/tmp"))
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(short / "s"))
    os.rename(short / "s", d / "socket")
    short.rmdir()
    (d / "dir").mkdir()
    (d / "loop").symlink_to("loop")
    (d / "file").write_text("x")
    (d / "empty").write_bytes(b"")
    (d / "odd.raw").write_bytes(b"\1" * 1000)
    (d / "zeros.vhd").write_bytes(b"conectix" + bytes(504))
    found = {
        "FIFO": d / "fifo",
        "socket": d / "socket",
        "directory": d / "dir",
        "symlink loop": d / "loop",
        "under a file": d / "file" / "x",
        "name too long": d / ("n" * 300),
        "/proc file": Path("/proc/self/status"),
        "/dev/zero": Path("/dev/zero"),
        "empty file": d / "empty",
        "1000-byte raw": d / "odd.raw",
        "cut VHD footer": d / "zeros.vhd",
    }
    if os.geteuid() == 0:
        os.mknod(d / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        found["char device (1,3)"] = d / "null"
    return found


def cases(t: Path, image: Path, bad: dict[str, Path]) -> list[tuple[str, list[str]]]:
    v = ["-r", "G", "-i", "D"]
    reads = {
        "inspect": ["inspect", "{p}"],
        "copy SRC": ["copy", "{p}", str(t / "out.raw")],
        "verify": ["verify", "{p}"],
        "verify --manifest": ["verify", str(image), "--manifest", "{p}"],
        "create --os-vhd": ["sig", "image-version", "create", *v, "-e", "9.0.0", "-l", "l1",
                            "--os-vhd", "{p}"],
        "create --data-vhds": ["sig", "image-version", "create", *v, "-e", "9.0.0", "-l", "l1",
                               "--os-vhd", str(image), "--data-vhds", "0={p}"],
        "import --bundle": ["sig", "image-version", "import", *v, "-l", "l1", "--bundle", "{p}"],
        "--catalog": ["region", "list", "--catalog", "sqlite://{p}"],
    }  # fmt: skip
    writes = {
        "copy DST --overwrite": ["copy", str(image), "{p}", "--overwrite"],
        "export --out": ["sig", "image-version", "export", *v, "-e", "1.0.0", "--out", "{p}"],
        "disk create --out --overwrite": ["disk", "create", "--image", "G/D/1.0.0", "-l", "l1",
                                          "--out", "{p}", "--overwrite"],
    }  # fmt: skip
    out = []
    for group, kinds in (
        (reads, bad),
        (
            writes,
            {
                k: p
                for k, p in bad.items()
                if k
                not in ("/proc file", "/dev/zero", "empty file", "1000-byte raw", "cut VHD footer")
            },
        ),
    ):
        for arg, template in group.items():
            for kind, p in kinds.items():
                # regular files whose content is odd: inspect reports the first two with a
                # warning, copy copies bytes as they are, an empty file is a new catalog
                content = ("empty file", "1000-byte raw", "cut VHD footer")
                if arg == "copy SRC" and kind in content:
                    continue
                if arg in ("inspect", "--catalog") and kind in content[:2]:
                    continue
                out.append((f"{arg} <- {kind}", [a.replace("{p}", str(p)) for a in template]))
    store = str(t / "stores")
    out += [
        ("region add: shared store", ["region", "add", "l2", "--store", f"{store}/l1"]),
        ("region add: nested store", ["region", "add", "l2", "--store", f"{store}/l1/sub"]),
        ("region add: store via ..", ["region", "add", "l2", "--store", f"{store}/x/../l1/"]),
        ("region add: http scheme", ["region", "add", "l2", "--store", "http://x/y"]),
        ("region add: gs scheme", ["region", "add", "l2", "--store", "gs://b/p"]),
        ("region add: tab in name", ["region", "add", "l\t2", "--store", f"{store}/t"]),
        ("region add: newline in name", ["region", "add", "l\n2", "--store", f"{store}/n"]),
        ("region add: unreachable S3", ["region", "add", "s9", "--store", "s3://bucket/p",
                                        "--store-option", "endpoint=http://127.0.0.1:9",
                                        "--store-option", "allow_http=true",
                                        "--store-option", "access_key_id=id",
                                        "--store-option", f"secret_access_key={SECRET}x"]),
        ("create: replica count 0", ["sig", "image-version", "create", *v, "-e", "9.0.0",
                                     "-l", "l1", "--os-vhd", str(image), "--replica-count", "0"]),
        ("create: replica count 101", ["sig", "image-version", "create", *v, "-e", "9.0.0", "-l",
                                       "l1", "--os-vhd", str(image), "--replica-count", "101"]),
        ("create: bad version name", ["sig", "image-version", "create", *v, "-e", "1.0.x",
                                      "-l", "l1", "--os-vhd", str(image)]),
        ("create: version twice", ["sig", "image-version", "create", *v, "-e", "1.0.0",
                                   "-l", "l1", "--os-vhd", str(image)]),
        ("create: unknown region", ["sig", "image-version", "create", *v, "-e", "9.0.0", "-l",
                                    "l1", "--os-vhd", str(image), "--target-regions", "mars"]),
        ("update: remove home region", ["sig", "image-version", "update", *v, "-e", "1.0.0",
                                        "--remove-target-region", "l1"]),
        ("disk create: unknown version", ["disk", "create", "--image", "G/D/7.7.7", "-l", "l1",
                                          "--out", str(t / "d.raw")]),
    ]  # fmt: skip
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="work here and keep it (default: a temp dir)")
    a = ap.parse_args()
    t = a.keep or Path(tempfile.mkdtemp(prefix="imgrepl-hostile-"))
    t.mkdir(parents=True, exist_ok=True)
    home = t / "home"
    image = t / "os.raw"
    image.write_bytes(os.urandom(MiB) + bytes(MiB))
    setup = [
        ["region", "add", "l1", "--store", str(t / "stores" / "l1")],
        ["region", "add", "l3", "--store", str(t / "stores" / "l3")],
        ["region", "add", "s1", "--store", "s3://bucket/s1", "--no-check", "--store-option",
         "endpoint=http://127.0.0.1:9", "--store-option", "allow_http=true", "--store-option",
         "access_key_id=id", "--store-option", f"secret_access_key={SECRET}"],
        ["sig", "create", "-r", "G", "-l", "l1"],
        ["sig", "image-definition", "create", "-r", "G", "-i", "D", "--publisher", "p",
         "--offer", "o", "--sku", "s", "--os-type", "Linux"],
        ["sig", "image-version", "create", "-r", "G", "-i", "D", "-e", "1.0.0", "-l", "l1",
         "--os-vhd", str(image), "--target-regions", "l1=2", "l3"],
    ]  # fmt: skip
    outputs = []
    for argv in setup:
        outcome, done = sh(home, *argv)
        if outcome != "accepted" or done is None:
            print(f"setup failed ({outcome}): imgrepl {' '.join(argv)}", file=sys.stderr)
            print(done.stderr if done else "", file=sys.stderr)
            return 2
        outputs.append(done.stdout + done.stderr)

    tally: Counter[str] = Counter()
    for name, argv in cases(t, image, nodes(t / "nodes")):
        outcome, done = sh(home, *argv)
        tally[outcome] += 1
        if done is not None:
            outputs.append(done.stdout + done.stderr)
        if outcome != "clear error":
            print(f"{outcome:>14}: {name}: {done.stderr.strip()[-300:] if done else ''}")

    _, checked = sh(home, "sig", "image-version", "verify", "-r", "G", "-i", "D", "-e", "1.0.0",
                    "-o", "json")  # fmt: skip
    import json

    replicas = json.loads(checked.stdout) if checked and checked.stdout else []
    wrong = sum(1 for r in replicas if not r["ok"])
    at_rest = b"".join(p.read_bytes() for p in home.glob("catalog.db*"))
    logs = [p.read_text(errors="replace") for p in home.rglob("*.log")]
    print(f"inputs tried          {sum(tally.values())}")
    for outcome in ("clear error", "unclear error", "traceback", "hang", "accepted"):
        print(f"{outcome:<21} {tally[outcome]}")
    print(f"replicas verified     {len(replicas)}")
    print(f"wrongly Completed     {wrong}")
    print(f"secret in catalog     {int(SECRET.encode() in at_rest)}")
    print(f"secret in any output  {sum(SECRET in o for o in outputs + logs)}")
    bad = tally["clear error"] != sum(tally.values()) or wrong or SECRET.encode() in at_rest
    if a.keep is None:
        import shutil

        shutil.rmtree(t, ignore_errors=True)
    return 1 if bad or not replicas else 0


if __name__ == "__main__":
    sys.exit(main())

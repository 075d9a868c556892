"""Every path a command takes, given something hostile: a FIFO, a socket, a
device node, a directory, a symlink loop, a path under a regular file, a
name too long, a /proc file.  Each is refused at once with one
`imgrepl COMMAND: error: ...` line naming the path and exit status 1 (the
top-level handler of test_cli_errors), no traceback, no hang, and nothing
changes: not the catalog, not the node (a device stays a device).

Paths are handled the same whatever the catalog, so these run against one
SQLite home, set up once for the module (with a published version, for
the commands that read or write one)."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.gallery import OWNER, catalog_state, publish, run, setup_definition, vhd
from test_cli_errors import commands, run_main

V = ["-r", "G", "-i", "D"]
# what a command is given, with {p} the hostile path; {image} a good VHD,
# {damaged} a replica with one bad chunk, {tmp} a scratch directory
READS: dict[str, list[str]] = {
    "copy SRC": ["copy", "{p}", "{tmp}/out.raw"],
    "verify FILE": ["verify", "{p}"],
    "verify --manifest": ["verify", "{image}", "--manifest", "{p}"],
    "verify --repair-from": ["verify", "{damaged}", "--repair-from", "{p}"],
    "inspect FILE": ["inspect", "{p}"],
    "image-version create --os-vhd": ["sig", "image-version", "create", *V, "-e", "2.0.0",
                                      "-l", "westeurope", "--os-vhd", "{p}"],
    "image-version create --data-vhds": ["sig", "image-version", "create", *V, "-e", "2.0.0",
                                         "-l", "westeurope", "--os-vhd", "{image}",
                                         "--data-vhds", "0={p}"],
    "image-version import --bundle": ["sig", "image-version", "import", *V, "-l", "westeurope",
                                      "--bundle", "{p}"],
    "region add --store-option file:": ["region", "add", "s9", "--store", "s3://bucket/s9",
                                        "--store-option", "secret_access_key=file:{p}",
                                        "--no-check"],
    "--catalog sqlite:///": ["region", "list", "--catalog", "sqlite://{p}"],
}  # fmt: skip
WRITES: dict[str, list[str]] = {
    "copy DST --overwrite": ["copy", "{image}", "{p}", "--overwrite"],
    "image-version export --out": ["sig", "image-version", "export", *V, "-e", "1.0.0",
                                   "--out", "{p}"],
    "disk create --out": ["disk", "create", "--image", "G/D/1.0.0", "-l", "westeurope",
                          "--out", "{p}"],
    "disk create --out --overwrite": ["disk", "create", "--image", "G/D/1.0.0", "-l",
                                      "westeurope", "--out", "{p}", "--overwrite"],
}  # fmt: skip
DIRS: dict[str, list[str]] = {
    "demo --dir": ["demo", "--dir", "{p}"],
    "region add --store": ["region", "add", "r9", "--store", "{p}"],
    "--home": ["region", "list", "--home", "{p}"],
}

Maker = Callable[[Path], Path]


def fifo(d: Path) -> Path:
    os.mkfifo(d / "fifo")
    return d / "fifo"


def unix_socket(d: Path) -> Path:
    short = Path(tempfile.mkdtemp(prefix="s", dir="/tmp"))  # a socket path is <= 107 bytes
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(short / "s"))
    os.rename(short / "s", d / "socket")
    short.rmdir()
    return d / "socket"


def char_device(d: Path) -> Path:
    os.mknod(d / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    return d / "null"


def block_device(d: Path) -> Path:
    os.mknod(d / "blk", 0o600 | stat.S_IFBLK, os.makedev(7, 250))
    return d / "blk"


def directory(d: Path) -> Path:
    (d / "adir").mkdir()
    return d / "adir"


def loop(d: Path) -> Path:
    (d / "loop").symlink_to("loop")
    return d / "loop"


def under_a_file(d: Path) -> Path:
    (d / "plain").write_text("a regular file")
    return d / "plain" / "x"


def too_long(d: Path) -> Path:
    return d / ("n" * 300)


KINDS: dict[str, Maker] = {
    "FIFO": fifo,
    "socket": unix_socket,
    "character device": char_device,
    "block device": block_device,
    "directory": directory,
    "symlink loop": loop,
    "under a file": under_a_file,
    "name too long": too_long,
    "/proc file": lambda _: Path("/proc/self/status"),
}
ROOT = os.geteuid() == 0
NODES = {"character device", "block device"}  # mknod needs root


def cases() -> Iterator[object]:
    for group in (READS, WRITES, DIRS):
        for arg in group:
            for kind in KINDS:
                if group is DIRS and kind == "directory":
                    continue  # what these want
                if kind == "/proc file" and (group is not READS or "file:" in arg):
                    continue  # never written to; a secret may be read from any readable file
                marks = [pytest.mark.skipif(not ROOT, reason="mknod")] if kind in NODES else []
                yield pytest.param(arg, kind, id=f"{arg}-{kind}", marks=marks)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A home with G/D/1.0.0 in westeurope, a good image and a damaged copy."""
    from imgrepl import Client, copy

    root = tmp_path_factory.mktemp("published")
    home, image = root / "home", vhd(root / "os.vhd", 4)
    run(setup_definition(home, root / "stores"))

    async def go() -> None:
        async with Client(home, principal=OWNER) as c:
            await publish(c, image, "westeurope")

    run(go())
    damaged = root / "damaged.vhd"
    copy(str(image), [str(damaged)])
    with damaged.open("r+b") as f:
        f.write(b"\xff" * 16)
    return {"home": home, "image": image, "damaged": damaged}


def lstat(p: Path) -> os.stat_result | None:
    try:
        return p.lstat()
    except OSError:  # missing, under a file, too long
        return None


def with_home(argv: list[str], home: Path) -> list[str]:
    """The home and principal, for the commands that take them."""
    if argv[0] not in ("region", "sig", "disk"):
        return argv
    return [*argv, *([] if "--home" in argv else ["--home", str(home)]), "--as", OWNER]


@pytest.mark.timeout(30)  # a FIFO that is waited on fails here, not by hanging CI
@pytest.mark.parametrize(("arg", "kind"), list(cases()))
def test_a_hostile_path_is_one_line_and_changes_nothing(
    published: dict[str, Path], tmp_path: Path, arg: str, kind: str
) -> None:
    home = published["home"]
    (tmp_path / "scratch").mkdir()
    p = KINDS[kind](tmp_path)
    template = {**READS, **WRITES, **DIRS}[arg]
    values = {**published, "p": p, "tmp": tmp_path / "scratch"}
    argv = with_home([a.format(**values) for a in template], home)
    command = next(c for n in (3, 2, 1) if (c := " ".join(argv[:n])) in commands())
    before = catalog_state(home), lstat(p)
    damaged = published["damaged"].read_bytes()

    code, out, err = run_main(argv)
    assert code == 1, err
    assert err.count("\n") == 1 and err.startswith(f"imgrepl {command}: error: "), err
    assert "Traceback" not in err and "Errno" not in err
    assert out == "" or command == "copy"  # copy reports every destination on stdout
    assert str(p) in err or p.name in err, err  # names what was wrong
    after = catalog_state(home), lstat(p)
    assert after[0] == before[0]
    if before[1] is not None:  # the node is still what it was
        assert after[1] is not None
        assert (after[1].st_mode, after[1].st_rdev) == (before[1].st_mode, before[1].st_rdev)
    assert published["damaged"].read_bytes() == damaged
    assert list((tmp_path / "scratch").iterdir()) == []
    leftovers = [q.name for q in tmp_path.iterdir() if q.name.startswith(".")]
    assert leftovers == []  # no partial or temporary file beside it
    if before[1] is not None and stat.S_ISDIR(before[1].st_mode):
        assert list(p.iterdir()) == []


@pytest.mark.skipif(ROOT, reason="root reads a file whatever its mode")
@pytest.mark.parametrize("arg", list(READS))
def test_an_unreadable_path_is_one_line(
    published: dict[str, Path], tmp_path: Path, arg: str
) -> None:
    p = tmp_path / "secret.vhd"
    shutil.copy(published["image"], p)
    p.chmod(0)
    values = {**published, "p": p, "tmp": tmp_path}
    argv = with_home([a.format(**values) for a in READS[arg]], published["home"])
    code, _, err = run_main(argv)
    assert code == 1 and err.count("\n") == 1 and "ermission denied" in err, err


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", ["config", "secrets.json"])
def test_a_fifo_planted_in_the_home_is_refused_not_waited_on(tmp_path: Path, name: str) -> None:
    """A command given no --location reads the home's config file, and
    opening a home with secret store options reads its secrets file: a FIFO
    there (a home shared by mistake) is one line, not a hang."""
    home = tmp_path / "home"
    s3 = ["--store", "s3://bucket/s1", "--no-check", "--store-option", "allow_http=true",
          "--store-option", "endpoint=http://127.0.0.1:1", "--store-option", "access_key_id=i",
          "--store-option", "secret_access_key=s"]  # fmt: skip
    code, _, err = run_main(["region", "add", "s1", *s3, "--home", str(home), "--as", OWNER])
    assert code == 0, err
    (home / name).unlink(missing_ok=True)
    os.mkfifo(home / name, 0o600)
    command = ["sig", "create", "-r", "G"] if name == "config" else ["region", "list"]
    code, out, err = run_main([*command, "--home", str(home), "--as", OWNER])
    assert code == 1 and out == ""
    what = "config file " if name == "config" else ""
    assert err == (
        f"imgrepl {' '.join(command[:2])}: error: {what}{home / name}: "
        "not a regular file (a FIFO)\n"
    )

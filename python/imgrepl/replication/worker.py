"""Background replication for `--no-wait`: starts the detached process
(imgrepl.api.background) that runs `Client.replicate`, its output going to
`<home>/logs/`, and hands it the version's replication job."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from imgrepl.catalog import ENV_CATALOG, Catalog, VersionRef
from imgrepl.exceptions import ConflictError
from imgrepl.gallery.scope import DEFAULT_RESOURCE_GROUP
from imgrepl.home import ENV_DEFAULTS_PREFIX, ENV_PRINCIPAL, logs_dir, open_private

# the entry point, above this layer: named, never imported from here
WORKER_MODULE = "imgrepl.api.background"

# Detached workers' pids, kept so finished ones are reaped.  Plain pids, not
# Popen objects: a worker outlives the process that started it by design,
# and Popen warns at exit about a child still running.
_children: list[int] = []


def worker_argv(
    home: Path, ref: VersionRef, retry: bool, cap_mbps: float | None, delta: bool = True
) -> list[str]:
    argv = [sys.executable, "-m", WORKER_MODULE, str(home), ref.gallery]
    argv += [ref.definition, ref.name] + (["--retry-failed"] if retry else [])
    argv += [] if delta else ["--no-delta"]
    return argv + ([] if cap_mbps is None else ["--cap-mbps", repr(cap_mbps)])


def log_name(catalog: Catalog, ref: VersionRef) -> str:
    """`G-D-V.log`; outside the catalog's default subscription and resource
    group `S-RG-G-D-V.log`, so same-named versions of two groups never share one."""
    names = [ref.gallery, ref.definition, ref.name]
    default = (catalog.settings.default_subscription(), DEFAULT_RESOURCE_GROUP)
    if (ref.subscription, ref.resource_group.casefold()) != default:
        names = [ref.subscription, ref.resource_group, *names]
    return "-".join(names) + ".log"


def scope_env(ref: VersionRef) -> dict[str, str]:
    """The worker finds the version in the scope it was recorded in."""
    return {
        ENV_DEFAULTS_PREFIX + "SUBSCRIPTION": ref.subscription,
        ENV_DEFAULTS_PREFIX + "GROUP": ref.resource_group,
    }


def spawn(
    home: Path,
    catalog: Catalog,
    ref: VersionRef,
    principal: str,
    retry: bool,
    cap_mbps: float | None = None,
    delta: bool = True,
) -> int:
    """Starts the worker process; returns its pid."""
    logs = logs_dir(home)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)  # made here when the catalog is elsewhere
    logs.mkdir(mode=0o700, parents=True, exist_ok=True)
    log = open_private(logs / log_name(catalog, ref))
    env = {**os.environ, ENV_PRINCIPAL: principal, ENV_CATALOG: catalog.url} | scope_env(ref)
    argv = worker_argv(home, ref, retry, cap_mbps, delta)
    with log:
        io: list[tuple[object, ...]] = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)]
        io += [(os.POSIX_SPAWN_DUP2, log.fileno(), fd) for fd in (1, 2)]
        pid = os.posix_spawn(argv[0], argv, env, file_actions=io, setsid=True)
    _children[:] = [c for c in _children if _running(c)] + [pid]
    # hand it the job now so `wait` sees it at once; if another process is
    # replicating, the worker takes over when that one finishes
    with contextlib.suppress(ConflictError):
        catalog.jobs.claim(ref, pid)
    return pid


def _running(pid: int) -> bool:
    """Reaps the worker if it has ended."""
    with contextlib.suppress(ChildProcessError):
        return os.waitpid(pid, os.WNOHANG)[0] == 0
    return False

"""The load process that suite 3 kills: fetch from the replay server, load_fetch, publish.

`python -m tests.reliability.kill_child` starts a zygote: it imports the whole load path once, prints
`ready`, then for every JSON line on stdin forks one load process and prints `pid <pid>`. The load
prints `phase <name>` (flushed, on the same pipe) as it enters each phase, so the test can aim a
SIGKILL at a seeded moment inside any phase:

    fetch, transform, copy, merge, marts, checkpoint, fsync, rename, published, done

When the load ends the zygote prints `exit <pid> <signal or code>`. Forking from a zygote saves the
import time of every load; the forked process is a real, separate load process with its own flock.
The markers wrap production functions from the outside; the load path itself is unchanged. The page
clock is frozen (support.FROZEN_AT), so a completed load is bit-identical to the calibration run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sources.http
import warehouse.history
import warehouse.marts
import warehouse.publish
from pipeline import kolada as load_module
from settings.config import Paths
from sources.kolada.settings import KoladaSettings

from .support import FrozenDatetime, fetch, load


def emit(line: str) -> None:
    """One line to the test, flushed at once (a pipe write of a short line is atomic)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def mark(phase: str) -> None:
    """Tell the test which phase starts now."""
    emit(f"phase {phase}")


def _before(phase: str, func: Callable[..., Any]) -> Callable[..., Any]:
    seen = False  # per process: a forked load starts with the zygote's (untouched) flag

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal seen
        if not seen:
            seen = True
            mark(phase)
        return func(*args, **kwargs)

    return wrapper


def install_markers() -> None:
    """Wrap the functions at the phase boundaries of load_fetch and publish."""
    load_module.transform_fetch = _before("transform", load_module.transform_fetch)
    shutil.copyfile = _before("copy", shutil.copyfile)
    warehouse.history.merge_dimension = _before("merge", warehouse.history.merge_dimension)
    rebuild = warehouse.marts.rebuild

    def rebuild_then_checkpoint(*args: Any, **kwargs: Any) -> Any:
        mark("marts")
        rows = rebuild(*args, **kwargs)
        mark("checkpoint")  # next: finish_run, CHECKPOINT, close
        return rows

    warehouse.marts.rebuild = rebuild_then_checkpoint
    warehouse.publish._fsync_path = _before("fsync", warehouse.publish._fsync_path)
    replace = os.replace

    def marked_replace(src: Any, dst: Any) -> None:
        mark("rename")
        replace(src, dst)
        mark("published")

    os.replace = marked_replace


def run_load(args: dict[str, Any]) -> None:
    """Fetch and load as the arguments say, marking the phases."""
    root = Path(args["data_dir"])
    settings = KoladaSettings(base_url=args["base_url"], rate=5000.0)
    mark("fetch")
    kpis, years = args["kpis"], args["years"]
    fetched = fetch(
        settings,
        root,
        args["run_id"],
        kpis=kpis,
        years=years,
        entities=args["entities"],
        only_scope_kpis=True,
    )
    paths = Paths(root, root / "jamfor.duckdb")
    load(paths, fetched.fetch_dir, run_id=args["run_id"], step=args["step"], kpis=kpis, years=years)
    mark("done")


def _fork_load(args: dict[str, Any]) -> None:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            run_load(args)
        except BaseException as exc:  # noqa: BLE001 - reported to the test, which fails on it
            emit(f"error {type(exc).__name__}: {exc}".splitlines()[0])
            code = 1
        os._exit(code)
    emit(f"pid {pid}")
    _, status = os.waitpid(pid, 0)
    outcome = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"code {os.WEXITSTATUS(status)}"
    emit(f"exit {pid} {outcome}")


def main() -> int:
    """The zygote: one forked load per JSON line on stdin, until stdin closes."""
    sources.http.datetime = FrozenDatetime
    install_markers()
    emit("ready")
    for line in sys.stdin:
        if line.strip():
            _fork_load(json.loads(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

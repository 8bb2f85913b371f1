"""The test side of the kill -9 suite's zygote (tests/reliability/kill_child.py).

`Zygote` starts one kill_child process, feeds it load requests (one JSON line each), and reads its
`pid`, `phase`, `exit` and `error` lines through a thread, so the test can wait for a phase, kill the
forked load process with SIGKILL and learn how it ended. Every wait is bounded by CHILD_TIMEOUT.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from .support import REPO_ROOT

CHILD_TIMEOUT = 120.0
Words = list[str]


class Zygote:
    """A kill_child zygote: forks one load process per `start`, its lines read by a thread."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.kill_child"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[tuple[float, list[str]]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.pid: int | None = None
        self.exit: str | None = None
        self.last = "start"
        self.started = time.monotonic()
        self._next(lambda words: words == ["ready"], "ready")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line.split()))
        self.lines.put((time.monotonic(), ["eof"]))

    def _next(self, wanted: Callable[[Words], bool], what: str) -> tuple[float, Words]:
        """Consume lines (tracking pid, phase and exit) until `wanted(words)`; bounded in time."""
        deadline = time.monotonic() + CHILD_TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            try:
                at, words = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if words[:1] == ["eof"]:
                raise AssertionError(f"the zygote ended while waiting for {what}")
            if words[:1] == ["pid"]:
                self.pid = int(words[1])
            elif words[:1] == ["phase"]:
                self.last = words[1]
            elif words[:1] == ["exit"]:
                self.exit = " ".join(words[2:])
            elif words[:1] == ["error"]:
                raise AssertionError(f"the load failed by itself: {' '.join(words)}")
            if wanted(words):
                return at, words
        raise AssertionError(f"no {what} within {CHILD_TIMEOUT}s")

    def start(self, args: dict) -> None:
        """Fork a load process with these arguments."""
        self.pid, self.exit, self.last = None, None, "start"
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(args) + "\n")
        self.proc.stdin.flush()
        self.started = time.monotonic()

    def wait_for(self, phase: str) -> bool:
        """Block until the load enters `phase` (True) or ends first (False)."""
        _, words = self._next(lambda w: w[:2] == ["phase", phase] or w[:1] == ["exit"], f"phase {phase}")
        return words[0] == "phase"

    def kill(self) -> bool:
        """SIGKILL the load process; True if the signal is what ended it."""
        if self.exit is None:
            if self.pid is None:
                self._next(lambda w: w[:1] == ["pid"], "pid")
            assert self.pid is not None
            with contextlib.suppress(ProcessLookupError):  # it may have exited a moment ago
                os.kill(self.pid, signal.SIGKILL)
            self._next(lambda w: w[:1] == ["exit"], "exit")
        return self.exit == f"signal {signal.SIGKILL.value}"

    def finish(self) -> dict[str, float]:
        """Let the load run to its end; the start time of each phase relative to `start`."""
        times = {}
        while True:
            at, words = self._next(lambda w: w[:1] in (["phase"], ["exit"]), "end of the load")
            if words[0] == "exit":
                break
            times[words[1]] = at - self.started
        assert self.exit == "code 0", self.exit
        return times

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=CHILD_TIMEOUT)

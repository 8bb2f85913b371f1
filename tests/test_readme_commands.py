"""The README runs: every command line in its ```sh blocks is executed, or mapped to what covers it.

Lines run verbatim through bash, in README order, in a scratch directory laid out like a clone (with
`../shared/fixtures` beside it), against the local Kolada replay (JAMFOR_KOLADA_URL) and one Prefect
API for all of them (no temporary server per command). A README line not in COVERED_ELSEWHERE is run
as is, so a line that no longer works fails here; COVERED_ELSEWHERE must hold only lines still shown.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from fakes.kolada.server import ReplayServer
from sources.fixtures import REPO_ROOT, fixtures_dir

from .duckdb_cli import duckdb_cli

README = REPO_ROOT / "README.md"
BIN = REPO_ROOT / ".venv" / "bin"
COMMAND_TIMEOUT = 300
DEPLOY_ROUTE = (
    "tests/flows/test_prefect_server.py::test_prefect_deploy_from_the_checkout_without_a_hand_set_variable"
    ": a real server, `prefect work-pool create`, `prefect deploy --all` and a process worker started "
    "from another directory"
)

# Lines this test does not run, and what runs them instead.
COVERED_ELSEWHERE = {
    "make test": "CI itself: .ci/run is `make test`, and this test is part of it",
    "jamfor serve": "tests/flows/test_prefect_server.py::"
    "test_serve_registers_both_schedules_and_the_server_schedules_runs: a real `prefect server start`; "
    "`jamfor serve` is started, both deployments and their scheduled runs checked, and it is stopped",
    "prefect work-pool create jamfor-local --type process": DEPLOY_ROUTE,
    "prefect deploy --all": DEPLOY_ROUTE,
    "prefect worker start --pool jamfor-local": DEPLOY_ROUTE,
    # SCB's TAB638 is not in the fixtures and there is no internet here: the same command runs against a
    # local PxWeb serving SCB's real TAB6471 answers
    "jamfor load scb --years 2024": "tests/flows/test_discover_scb.py::"
    "test_load_scb_fetches_population_into_the_warehouse: `jamfor load scb --table TAB6471 "
    "--years 2026 --select ...` against the local PxWeb (fakes/scb/pxweb.py)",
}
# Lines run here, but not verbatim (how, in the function named).
RUN_SPECIALLY = {
    "make demo": "_make_demo: `make demo` in the repository with JAMFOR_DATA_DIR in the scratch directory",
    "jamfor replay --port 8765 [--faults 0.2]": "_replay: started on a free port with --faults 0.2, "
    "answers /kpi, stopped with Ctrl-C (SIGINT)",
}


def readme_commands() -> list[str]:
    """Every command line of the README's ```sh blocks, comments and comment-only lines dropped."""
    commands, in_sh = [], False
    for raw in README.read_text(encoding="utf-8").splitlines():
        if raw.startswith("```"):
            in_sh = raw.strip() == "```sh"
            continue
        line = re.sub(r"\s+#.*$", "", raw).strip()
        if in_sh and line and not line.startswith("#"):
            commands.append(" ".join(line.split()))
    return commands


def test_the_readme_has_commands_and_every_mapping_is_still_shown() -> None:
    commands = readme_commands()
    assert "jamfor load yearly" in commands and len(commands) > 15, commands
    stale = (set(COVERED_ELSEWHERE) | set(RUN_SPECIALLY)) - set(commands)
    assert stale == set(), f"mapped lines the README no longer shows: {sorted(stale)}"
    for line, covered_by in COVERED_ELSEWHERE.items():  # the named test must exist
        if covered_by.startswith("tests/"):
            path, name = covered_by.split(":", 3)[0], covered_by.split("::")[1].split(":")[0]
            assert f"def {name}(" in (REPO_ROOT / path).read_text(encoding="utf-8"), (line, covered_by)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A working directory like a fresh clone's: data/ inside, ../shared/fixtures beside it."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "fixtures").symlink_to(fixtures_dir())
    work = tmp_path / "jamfor"
    work.mkdir()
    return work


@pytest.fixture
def env(replay: ReplayServer, prefect_harness: None) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    cli = duckdb_cli()
    base = {k: v for k, v in os.environ.items() if not k.startswith("JAMFOR_")}
    return {
        **base,
        "PATH": f"{BIN}{os.pathsep}{cli.parent}{os.pathsep}{base.get('PATH', '')}",
        "JAMFOR_KOLADA_URL": replay.base_url,
        "JAMFOR_KOLADA_RATE": "5000",
        "JAMFOR_FIXTURES_DIR": str(fixtures_dir()),
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
    }


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    with ReplayServer(host="127.0.0.1", port=0) as server:
        yield server


def _run(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
    )
    assert done.returncode == 0, f"README line failed: {line}\n{done.stderr[-3000:]}"
    return done


def _make_demo(clone: Path, env: dict[str, str]) -> None:
    data = clone.parent / "demo-data"
    _run(f"make -C {REPO_ROOT} demo", clone, {**env, "JAMFOR_DATA_DIR": str(data)})
    assert (data / "jamfor.duckdb").is_file() and (data / "report-0561.html").is_file()


def _replay(clone: Path, env: dict[str, str]) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        ["jamfor", "replay", "--port", str(port), "--faults", "0.2"],
        cwd=clone,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        assert "replay Kolada v3 at" in proc.stderr.readline()
        # a fifth of the answers are faults by design: one good answer in a few tries
        codes = [requests.get(f"http://127.0.0.1:{port}/v3/kpi", timeout=30).status_code for _ in range(8)]
        assert 200 in codes, codes
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode in (0, 130, -signal.SIGINT)


def _check(line: str, out: str, clone: Path, err: str = "") -> None:
    """What a line must have done beyond exiting 0."""
    if re.match(r"jamfor load (yearly|monthly|backfill)", line):
        # one Prefect API for all lines: the load says it reuses it instead of starting its own
        assert "load on the Prefect server at http://127.0.0.1:" in err, err[-2000:]
    elif line == "jamfor status --format json":
        facts = json.loads(out)
        assert facts["warehouse"]["row_counts"]["mart.kpi_value"] > 0
    elif line.startswith("jamfor compare 0561") and "--format csv" in line:
        assert out.splitlines()[0].count(",") >= 3
    elif line.startswith("jamfor export parquet"):
        assert any((clone / "exports").glob("*.parquet"))
    elif line.startswith("duckdb -readonly"):
        assert "kpi_id" in out


def test_every_readme_command_runs(clone: Path, env: dict[str, str]) -> None:
    ran = []
    started = time.monotonic()
    for line in readme_commands():
        if line in COVERED_ELSEWHERE:
            continue
        if line == "make demo":
            _make_demo(clone, env)
        elif line.startswith("jamfor replay"):
            _replay(clone, env)
        else:
            done = _run(line, clone, env)
            _check(line, done.stdout, clone, done.stderr)
        ran.append(line)
    print(f"\nFIGURES README lines run: {len(ran)} in {time.monotonic() - started:.0f} s: {ran}")
    assert (clone / "data" / "jamfor.duckdb").is_file()

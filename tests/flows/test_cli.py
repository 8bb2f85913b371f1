"""The CLI's contract: usage errors are one line with exit code 2; help works."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flows.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["fetch", "--bogus"],
        ["fetch", "--kpi", "N31807,X12", "--years", "2015-2022"],
        ["fetch", "--kpi", "N31807", "--years", "20x1"],
        ["fetch", "--kpi", "N31807"],
        ["fetch", "--municipality", "180", "--years", "2020"],
        ["fetch", "--kpi", "N31807", "--years", "2020", "--from-date", "2020-13-01"],
        ["load", "weekly"],
        ["load", "backfill"],
        ["load", "yearly", "--years", "1800-1900"],
        ["load", "yearly", "--scope", "no-such-scope"],
        [],
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err and len(err.splitlines()) == 1, err


def test_console_script_help_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "flows.cli", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("fetch", "load", "status", "docs", "replay", "demo"):
        assert command in out.stdout


@pytest.mark.parametrize("command", ["status", "docs", "compare"])
def test_read_commands_import_neither_prefect_nor_the_report(command: str, tmp_path) -> None:
    """A read command loads only its own module: no Prefect, charting library or Pandera (start-up time)."""
    probe = (
        "import sys\n"
        "from flows.cli import main\n"
        f"main([{command!r}, *sys.argv[1:]])\n"
        "heavy = sorted(m for m in ('prefect', 'altair', 'vl_convert', 'pandera') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    extra = ["0561"] if command == "compare" else []
    done = subprocess.run(
        [sys.executable, "-c", probe, *extra, "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("api_url", [None, "http://127.0.0.1:4200/api"])
def test_a_load_says_which_prefect_server_it_records_to(api_url: str | None) -> None:
    """A configured PREFECT_API_URL is reused and named; without one the temporary server is said."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    done = subprocess.run(
        [sys.executable, "-c", "from flows.commands import prefect_target; print(prefect_target())"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    expected = f"on the Prefect server at {api_url}" if api_url else "on a temporary Prefect server"
    assert done.stdout.startswith(expected), done.stdout + done.stderr


def test_a_reader_that_stops_early_is_not_a_failure(tmp_path) -> None:
    """`jamfor docs | head -1`: the closed pipe ends the command quietly (status 1 as rich's tables and
    Python's convention give it), without a 'failed' line or a traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jamfor", "docs", "--warehouse", str(tmp_path / "none.duckdb")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    # closed before the command has printed anything (it is still importing): its first write meets
    # a closed pipe, as a reader such as `head` leaves it once it has its lines
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1, err
    assert "failed" not in err and "Traceback" not in err

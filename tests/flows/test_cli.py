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
    """A read command loads only its own module: no Prefect, no charting library (start-up time)."""
    probe = (
        "import sys\n"
        "from flows.cli import main\n"
        f"main([{command!r}, *sys.argv[1:]])\n"
        "heavy = sorted(m for m in ('prefect', 'altair', 'vl_convert') if m in sys.modules)\n"
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

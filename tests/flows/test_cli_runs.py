"""The CLI doing real work against the replay server: fetch, load, status, docs, and a failing load."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.kolada.server import ReplayServer
from flows.cli import main
from sources.kolada.rawstore import read_pages


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer(port=0) as server:
        yield server


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAMFOR_KOLADA_RATE", "200")


def test_fetch_writes_raw_pages_and_summary(
    replay: ReplayServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "fetch",
            "--kpi",
            "N31807,U21468",
            "--years",
            "2015-2022",
            "--kolada-url",
            replay.base_url,
            "--data-dir",
            str(tmp_path),
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "pages" in err and "retries" in err
    (fetch_dir,) = (tmp_path / "raw" / "kolada").iterdir()
    pages = read_pages(fetch_dir, "data")
    assert pages.height >= 1 and set(pages["status"].to_list()) == {200}


def test_fetch_warns_about_ids_that_came_back_empty(
    replay: ReplayServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "fetch",
            "--kpi",
            "N31807,N99999",
            "--years",
            "2020",
            "--kolada-url",
            replay.base_url,
            "--data-dir",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert "N99999" in capsys.readouterr().err


@pytest.mark.usefixtures("prefect_harness")
def test_load_status_docs(replay: ReplayServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--data-dir", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb")]
    assert (
        main(
            [
                "load",
                "yearly",
                "--scope",
                "demo",
                "--years",
                "2021-2022",
                "--kolada-url",
                replay.base_url,
                *common,
            ]
        )
        == 0
    )
    report = capsys.readouterr().out
    assert "Rows in" in report and "core.kpi_value_history" in report

    # the same month again: nothing changed, so nothing is published, but status shows the run
    monthly = ["load", "monthly", "--scope", "demo", "--years", "2021-2022", "--kolada-url", replay.base_url]
    assert main([*monthly, *common]) == 0
    assert "Nothing changed: not republished" in capsys.readouterr().out

    assert main(["status", *common]) == 0
    status = capsys.readouterr().out
    assert "kolada-yearly" in status and "mart.kpi_value" in status
    assert "kolada-monthly" in status and "nothing changed: not republished" in status

    assert main(["docs", *common]) == 0
    dictionary = capsys.readouterr().out
    assert "core.kpi_value_history" in dictionary and "one row per" in dictionary.lower()


@pytest.mark.usefixtures("prefect_harness")
def test_failed_load_is_one_line_and_nonzero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v3"
    monkeypatch.setenv("JAMFOR_KOLADA_RETRIES", "1")
    code = main(["load", "yearly", "--scope", "demo", "--kolada-url", dead, "--data-dir", str(tmp_path)])
    assert code == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("jamfor:")]
    assert lines[-1].startswith("jamfor: load failed:") and dead in lines[-1]
    assert not (tmp_path / "jamfor.duckdb").exists()

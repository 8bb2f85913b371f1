"""Suite 6 (CLI half): hostile text through every CLI command never becomes SQL nor writes anything.

Injection strings go through every command that takes text (fetch, load, load files, status, docs,
compare, report, export); path traversal through --scope, --warehouse, --data-dir, report --out and
export directories. Each run must end with its expected exit code and, when it fails, one stderr line;
the published warehouse must be unchanged, and files may only appear where the command is meant to
write (its data directory, report file or export directory, inside the sandbox). A scope file with a
hostile name and hostile selectors runs real loads.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fakes.kolada.server import ReplayServer
from flows.cli import main

from .hostile import INJECTIONS, Sandbox
from .support import files_under, hashes, query, sha256


def _commands(inj: str, box: Sandbox, url: str) -> list[tuple[list[str], int]]:
    """(argv, expected exit code) of every command that takes text, with `inj` in one argument."""
    wh = ["--warehouse", str(box.warehouse)]
    return [
        (["fetch", "--kpi", inj, "--years", "2020", "--kolada-url", url], 2),
        (["fetch", "--years", inj, "--kpi", "N31807", "--kolada-url", url], 2),
        (["fetch", "--municipality", inj, "--kpi", "N31807", "--kolada-url", url], 2),
        (["fetch", "--from-date", inj, "--kpi", "N31807", "--years", "2020", "--kolada-url", url], 2),
        (["load", "yearly", "--scope", inj, "--kolada-url", url, *wh], 2),
        (["load", "yearly", "--scope", "demo", "--kpi", inj, "--kolada-url", url, *wh], 2),
        (["load", "monthly", "--scope", "demo", "--years", inj, "--kolada-url", url, *wh], 2),
        (["load", "backfill", "--scope", "demo", "--years", inj, "--kolada-url", url, *wh], 2),
        (["status", "--warehouse", inj], 0),
        (["status", "--data-dir", inj], 0),
        (["docs", "--warehouse", inj], 0),
        (["compare", inj, *wh], 2),
        (["compare", "0180", "--area", inj, *wh], 2),
        (["compare", "0180", "--peers", inj, *wh], 2),
        (["compare", "0180", "--peers", f"network:{inj}", *wh], 2),
        (["compare", "0180", "--kpi", inj, *wh], 2),
        (["report", inj, *wh], 2),
        (["report", "0180", "--area", inj, *wh], 2),
        (["report", "0180", "--peers", inj, *wh], 2),
        (["report", "0180", "--peers", f"network:{inj}", *wh], 2),
        (["report", "0180", "--out", inj, *wh], 2),
        # a failed run is logged: the lock file and the run log in the data directory may change
        (["load", "files", inj, *wh], 1),
    ]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("inj", INJECTIONS)
def test_injection_through_every_text_argument(
    inj: str, sandbox: Sandbox, replay: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files_under(sandbox.root)
    core = hashes(sandbox.warehouse)
    for argv, expected in _commands(inj, sandbox, replay.base_url):
        code, err = _run(argv, capsys)
        assert code == expected, (argv, code, err)
        if code:
            assert len(err.strip().splitlines()) == 1 and err.startswith("jamfor"), (argv, err)
        after = files_under(sandbox.root)
        changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
        logged = {"data/jamfor.duckdb.lock", "data/runs.ndjson"} if argv[:2] == ["load", "files"] else set()
        assert changed <= logged, f"{argv} wrote {sorted(changed - logged)}"
    assert hashes(sandbox.warehouse) == core
    assert replay.request_log == [], "no rejected command may reach the API"


@pytest.mark.parametrize("inj", INJECTIONS)
def test_hostile_export_directory_stays_inside_it(
    inj: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files_under(sandbox.root)
    target = (sandbox.cwd / inj).resolve()
    code, err = _run(["export", "parquet", inj, "--warehouse", str(sandbox.warehouse)], capsys)
    assert code == 0, err
    after = files_under(sandbox.root)
    new = {(sandbox.root / p).resolve() for p in set(after) - set(before)}
    assert new and all(p.parent == target and p.suffix == ".parquet" for p in new)
    assert {p: h for p, h in after.items() if p in before} == before


@pytest.mark.parametrize("inj", INJECTIONS)
def test_hostile_report_file_lands_where_asked(
    inj: str, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files_under(sandbox.root)
    target = sandbox.cwd / f"{inj}.html"
    code, err = _run(
        ["report", "0180", "--out", f"{inj}.html", "--warehouse", str(sandbox.warehouse)], capsys
    )
    new = {(sandbox.root / p).resolve() for p in set(files_under(sandbox.root)) - set(before)}
    if target.resolve().parent.is_dir():
        assert code == 0 and new == {target.resolve()}, err
    else:  # ../../etc/passwd.html: its directory does not exist, and is not created
        assert code == 2 and "does not exist" in err and new == set()


def test_hostile_warehouse_file_name_is_a_parameter(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real warehouse under a name full of quotes: read commands work and change nothing."""
    hostile = sandbox.data / "it's'; DROP TABLE core.kpi; --.duckdb"
    shutil.copyfile(sandbox.warehouse, hostile)
    digest = sha256(hostile)
    for argv in (["status", "--warehouse", str(hostile)], ["docs", "--warehouse", str(hostile)]):
        code, err = _run(argv, capsys)
        assert code == 0, err
    code, err = _run(["compare", "Stockholm", "--warehouse", str(hostile)], capsys)
    assert code == 0, err
    assert sha256(hostile) == digest
    assert query(hostile, "SELECT count(*) AS n FROM core.kpi")["n"][0] > 0


@pytest.mark.usefixtures("prefect_harness")
def test_hostile_scope_file_loads_with_its_name_as_data(
    sandbox: Sandbox, replay: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A scope file with a hostile file name and hostile selectors: yearly, then monthly by its watermark."""
    scope = sandbox.root / "scopes" / "'; DROP TABLE core.kpi; --.yaml"
    scope.parent.mkdir()
    scope.write_text(
        "kpis: [N31807]\nyears: '2020'\noperating_areas: [\"x' OR '1'='1\"]\n"
        'kpi_groups: ["\'; DROP TABLE core.kpi_group; --"]\n',
        encoding="utf-8",
    )
    data = sandbox.root / "data dir '; DROP TABLE core.ou; --"
    before = files_under(sandbox.root)
    common = ["--scope", str(scope), "--kolada-url", replay.base_url, "--data-dir", str(data)]
    for mode in ("yearly", "monthly"):
        code, err = _run(["load", mode, *common], capsys)
        assert code == 0, err
    warehouse = data / "jamfor.duckdb"
    marks = query(warehouse, "SELECT scope_key FROM meta.watermark")["scope_key"].to_list()
    assert marks == ["'; DROP TABLE core.kpi; --"]
    counts = query(
        warehouse, "SELECT (SELECT count(*) FROM core.kpi) AS k, (SELECT count(*) FROM core.ou) AS o"
    )
    assert counts.row(0)[0] > 6000 and counts.row(0)[1] > 0
    after = files_under(sandbox.root)
    changed = [p for p in after if before.get(p) != after[p]]
    assert changed and all(Path(p).parts[0] == data.name for p in changed), (
        "a load wrote outside its data dir"
    )
    assert all(after[p] == h for p, h in before.items()), "a load changed a file outside its data dir"

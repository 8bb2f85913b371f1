"""`jamfor compare`'s side-by-side table on real data (tests/peer_versions_data: Åtvidaberg 0561, two
versions of its Liknande groups, values to 2022): one row per KPI, a column group per peer set, the
markers, output through a pipe that keeps every column and title whole, and the per-set fallback of a
terminal too narrow for it."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from flows.cli import main
from presentation.compare_table import KPI_COLUMNS, SET_COLUMNS, print_side_by_side
from presentation.csv_out import write_machine_readable
from settings.config import outdated_years
from tests import peer_versions_data as real
from warehouse.comparison_query import ComparisonFilter, compare, comparison_rows
from warehouse.publish import connect_readonly

GROUPS = ["Liknande", "skl-ifo", "Kommungrupp", "Län", "Riket"]  # the bundled networks.yaml: skl-ifo


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real.build(tmp_path_factory.mktemp("compare_table"))


def _compare(warehouse: Path, capsys, *args: str) -> str:
    code = main(["compare", real.ANCHOR, *args, "--warehouse", str(warehouse)])
    out = capsys.readouterr().out
    assert code == 0
    return out


def _rows(warehouse: Path, capsys) -> dict[tuple[str, str], dict]:
    """(kpi, peer set kind or network id) -> the comparison row, from `--format json`."""
    rows = json.loads(_compare(warehouse, capsys, "--format", "json"))
    return {(r["kpi_id"], r["peer_set_id"].removeprefix("network:") if r["peer_set_kind"] == "network"
             else r["peer_set_kind"]): r for r in rows}  # fmt: skip


def _line(out: str, kpi: str) -> str:
    [line] = [row for row in out.splitlines() if row.startswith(f" {kpi} ")]
    return line


def test_one_row_per_kpi_and_a_column_group_per_peer_set(warehouse: Path, capsys) -> None:
    out = _compare(warehouse, capsys)
    lines = out.splitlines()
    groups = next(line for line in lines if "Liknande" in line and "Riket" in line)
    assert re.findall(r"\S+", groups) == GROUPS  # the group row, in this order
    assert sum(1 for line in lines if re.match(r" [NU]\d{5} ", line)) == len(real.KPIS)
    rows = _rows(warehouse, capsys)
    kinds = {"Liknande": "liknande", "Kommungrupp": "kommungrupp", "Län": "lan", "Riket": "riket"}
    for kpi in real.KPIS:
        line = _line(out, kpi)
        # per group, in group order: "rank av n", the percentile and the peers' mean
        expected = []
        for group in GROUPS:
            r = rows[(kpi, kinds.get(group, group))]
            rank = "–" if r["rank_in_peers"] is None else f"{r['rank_in_peers']} av {r['n_ranked']}"
            pct = "–" if r["percentile_in_peers"] is None else f"{r['percentile_in_peers']:.0f}"
            expected.append(rf"{re.escape(rank)}\s+{re.escape(pct)}\s+\S.*?")
        assert re.search(r"\s+".join(expected), line), (kpi, line)
        ranked = [g for g in GROUPS if rows[(kpi, kinds.get(g, g))]["rank_in_peers"] is not None]
        assert len(re.findall(r"\d+ av \d+", line)) == len(ranked) >= 4
    riket = rows[("N30005", "riket")]
    assert riket["percentile_in_peers"] == pytest.approx(riket["national_percentile"])


def test_rank_rule_markers_and_the_liknande_version(warehouse: Path, capsys) -> None:
    out = _compare(warehouse, capsys)
    # N30005 (a cost, neutral): 2022 compared within the 2022 version: area only, no year beside it
    line = _line(out, "N30005")
    assert re.search(r"\s2022\s+4 547\s+högst värde\s+–\s", line) and "bäst" not in line
    assert re.search(r"\sIFO\s", line) and "IFO (" not in line
    # U23401 2018, U31402 2017, U33401 2014: more than 2 years older than the KPIs' newest year, 2022
    for kpi, year in (("U23401", 2018), ("U31402", 2017), ("U33401", 2014)):
        line = _line(out, kpi)
        assert re.search(rf"\s{year}\s+\S+\s+old: newest 2022\s+bäst\s", line), line
    # no IFO version of 2017 (or 2014) in the warehouse: the oldest later one (2022) is used and named
    assert "IFO (2022)" in _line(out, "U31402") and "IFO (2022)" in _line(out, "U33401")
    assert "old: the value is more than 2 years older than the KPI's newest year" in out
    assert "Liknande kommuner of another year" in out
    # the groups' full titles: each Liknande version shown, the network, the county
    [liknande] = [line for line in out.splitlines() if line.startswith("Liknande: ")]
    assert "Liknande kommuner IFO, Åtvidaberg, 2022" in liknande.split("; ")
    assert "skl-ifo: SKL:s jämförelsenätverk inom individ- och familjeomsorg (Åtvidaberg m.fl.)" in out
    assert "Län: Östergötlands läns kommuner" in out
    assert "Källa: Kolada" in out and "Egen bearbetning" in out


def test_outdated_follows_the_setting(warehouse: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    def outdated() -> dict[str, bool]:
        rows = json.loads(_compare(warehouse, capsys, "--peers", "riket", "--format", "json"))
        return {r["kpi_id"]: (r["year"], r["kpi_newest_year"], r["is_outdated"]) for r in rows}

    assert outdated() == {
        "N30005": (2022, 2022, False),
        "N31807": (2022, 2022, False),
        "U23401": (2018, 2022, True),
        "U31402": (2017, 2022, True),
        "U33401": (2014, 2022, True),
    }
    monkeypatch.setenv("JAMFOR_OUTDATED_YEARS", "5")  # 2017 is 5 years older: no longer "more than"
    assert {k for k, (_, _, old) in outdated().items() if old} == {"U33401"}
    monkeypatch.setenv("JAMFOR_OUTDATED_YEARS", "fem")
    assert main(["compare", real.ANCHOR, "--warehouse", str(warehouse)]) == 1
    assert "JAMFOR_OUTDATED_YEARS='fem' is not a whole number" in capsys.readouterr().err


def test_piped_output_keeps_every_column_and_title_whole(warehouse: Path) -> None:
    """Through a real pipe (not a terminal): no column is cut, no title shortened, no line wrapped."""
    env = {**os.environ, "COLUMNS": "80"}  # a narrow terminal width must not apply to a pipe
    done = subprocess.run(
        [sys.executable, "-m", "jamfor", "compare", real.ANCHOR, "--warehouse", str(warehouse)],
        capture_output=True,
        env=env,
        check=True,
        timeout=120,
    )
    out = done.stdout.decode("utf-8")
    assert real.LONG_TITLE in out and "…" not in out
    [header] = [line for line in out.splitlines() if line.lstrip().startswith("KPI ")]
    words = header.split()
    for column in (*KPI_COLUMNS, *SET_COLUMNS, "set"):
        assert column in words or column in header, column
    assert words.count("rank") == words.count("pct") == words.count("mean") == len(GROUPS)
    line = _line(out, "U23401")
    assert line.rstrip().endswith(tuple("0123456789"))  # the last group's mean, not cut off
    assert len(line) > 200  # wider than any terminal default: printed at the table's own width


def test_a_terminal_too_narrow_gets_one_table_per_set_and_says_why(warehouse: Path) -> None:
    code, name, rows = compare(warehouse, real.ANCHOR, ComparisonFilter())
    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system=None)
    print_side_by_side(console, name, code, rows, 2)
    text = console.file.getvalue()
    assert re.match(r"The side-by-side table needs \d{3} columns, this terminal has 120", text)
    assert "Åtvidaberg (0561) against Riket: alla kommuner (riket)" in text
    assert all(len(line) <= 120 for line in text.splitlines()[2:])
    assert re.search(r"U31402 .*\s2017 old\s", text)  # the per-set tables mark it too
    wide = Console(file=io.StringIO(), width=400, force_terminal=True, color_system=None)
    print_side_by_side(wide, name, code, rows, 2)
    assert "side-by-side table needs" not in wide.file.getvalue()


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_compare_imports_no_data_frame_library(warehouse: Path, fmt: str) -> None:
    """`jamfor compare` reads plain rows and writes them itself: neither Polars, Arrow nor NumPy is loaded
    (their imports are a third of a second of start-up, more than the whole answer may take), and the
    model catalogue's table files are not parsed."""
    probe = (
        "import sys\n"
        "from flows.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print('LOADED', code, sorted(m for m in ('polars', 'pyarrow', 'numpy') if m in sys.modules))\n"
        "from models.catalogue import load_catalogue\n"
        "print('TABLE MODELS READ', load_catalogue.cache_info().currsize)\n"
    )
    argv = ["compare", real.ANCHOR, "--format", fmt, "--warehouse", str(warehouse)]
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120)
    assert "N30005" in done.stdout, done.stdout + done.stderr
    assert "\nLOADED 0 []\n" in done.stdout, done.stdout[-500:] + done.stderr
    # only catalogue.yml's schema version is needed, not the ~40 table files (another 50 ms)
    assert done.stdout.rstrip().endswith("TABLE MODELS READ 0"), done.stdout[-500:] + done.stderr


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_are_the_bytes_polars_writes(warehouse: Path, capsys, fmt: str) -> None:
    """The plain rows are written byte for byte as a Polars frame of the same query writes them."""
    out = _compare(warehouse, capsys, "--format", fmt)
    con = connect_readonly(warehouse, current=True)
    try:
        frame = comparison_rows(con, real.ANCHOR, ComparisonFilter(outdated_years=outdated_years()))
    finally:
        con.close()
    assert write_machine_readable(frame, fmt)
    assert capsys.readouterr().out == out and frame.height > 20

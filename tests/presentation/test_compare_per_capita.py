"""`jamfor compare` shows count KPIs per 1000 invånare with SCB population (the "Per invånare" table).

The warehouse is tests/per_capita_data: real Kolada metadata and groups, real SCB population 2017
loaded by `jamfor load files`, SYNTHETIC values for the count KPI N21702.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from flows.cli import main
from presentation.compare_per_capita import print_per_capita
from tests import per_capita_data as data
from warehouse.per_capita_query import PER_CAPITA_COLUMNS, PerCapita

ANCHOR = "0561"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return data.build(tmp_path_factory.mktemp("per_capita_cli"))


def run(argv: list[str], capsys: pytest.CaptureFixture[str], width: int = 200) -> tuple[int, str]:
    # rich reads the terminal width from COLUMNS: wide enough that no set title is cut
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", str(width))
        code = main(argv)
    return code, capsys.readouterr().out


def _spaced(number: float) -> str:
    """A whole number as the table prints it: thousands separated by a space."""
    return f"{number:,.0f}".replace(",", " ")


def _line(text: str, label: str, cells: list[str]) -> bool:
    """Whether a table row with this (indented) label, year 2017 and these cells is in the text."""
    pattern = r"^\s+" + re.escape(label) + r"\s+2017\s+" + r"\s+".join(map(re.escape, cells)) + r"\s*$"
    return re.search(pattern, text, re.MULTILINE) is not None


def test_per_capita_table_with_figures_and_sources(warehouse: Path, capsys) -> None:
    code, out = run(
        ["compare", "Åtvidaberg", "--kpi", f"{data.COUNT_KPI},{data.RATE_KPI}", "--year", "2017",
         "--warehouse", str(warehouse)],
        capsys,
    )  # fmt: skip
    assert code == 0
    tables, per_capita = out.split("Per invånare: Åtvidaberg (0561) and its peers, count KPIs")
    assert "Liknande kommuner äldreomsorg, Åtvidaberg" in tables  # the peer tables come first
    _, people = data.scb_population()[ANCHOR]
    value = data.synthetic_value(ANCHOR, 2017)
    assert (value, people) == (82.0, 11631)
    assert _line(per_capita, "Åtvidaberg", [f"{value:.0f}", _spaced(people), f"{value / people * 1000:.2f}"])
    lan = data.expected_figures("lan", "lan:05", ANCHOR, 2017)
    n_lan = len(data.set_members("lan", "lan:05", ANCHOR))
    figures = [_spaced(lan["value"]), _spaced(lan["population"]), f"{lan['per_1000']:.2f}"]
    assert _line(per_capita, "lan: Östergötlands läns kommuner", [*figures, f"{lan['n_used']} av {n_lan}"])
    for kind in ("kommungrupp:", "lan:", "liknande:", "network:", "riket:"):
        assert f"  {kind} " in per_capita
    assert "Källa: Kolada" in per_capita and "Källa: SCB" in per_capita
    assert "Egen bearbetning (jamfor), ej Kolada" in per_capita
    assert data.RATE_KPI not in per_capita  # an andel (%) gets no per-capita figure


def test_missing_population_year_is_one_note_naming_load_files(warehouse: Path, capsys) -> None:
    code, out = run(
        ["compare", ANCHOR, "--kpi", data.COUNT_KPI, "--year", "2018", "--warehouse", str(warehouse)], capsys
    )
    assert code == 0
    notes = [line for line in out.splitlines() if line.startswith("Per invånare")]
    assert notes == [
        "Per invånare: no SCB population for 2018; load SCB's Folkmängd per kommun for 2018 with "
        "`jamfor load files FILE` (PxWeb json-stat2 or CSV)"
    ]
    assert "per 1000 inv" not in out  # no table of dashes


def test_no_count_kpi_is_one_note(warehouse: Path, capsys) -> None:
    code, out = run(
        ["compare", ANCHOR, "--kpi", data.RATE_KPI, "--year", "2017", "--warehouse", str(warehouse)], capsys
    )
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("Per invånare")] == [
        'Per invånare: none of the selected KPIs is a count (title ending ", antal")'
    ]


def test_csv_and_json_stay_the_comparison_rows(warehouse: Path, capsys) -> None:
    argv = ["compare", ANCHOR, "--kpi", data.COUNT_KPI, "--year", "2017", "--warehouse", str(warehouse)]
    for fmt in ("csv", "json"):
        code, out = run([*argv, "--format", fmt], capsys)
        assert code == 0 and "Per invånare" not in out and "value_per_1000_inv" not in out


def test_narrow_terminal_keeps_every_figure() -> None:
    """At 80 columns the labels are cut, never the figures (a display-only row, figures as in the build)."""
    rows = [
        dict(zip(PER_CAPITA_COLUMNS, (
            ANCHOR, data.COUNT_KPI, "Hemtjänsttagare 65+ i ordinärt boende, antal", 2017, "network",
            "network:skl-ifo", "SKL:s jämförelsenätverk inom individ- och familjeomsorg (Åtvidaberg m.fl.)",
            82.0, 11631, 7.050124667, 5, 4, 667.0, 37310, 17.877244706,
        ), strict=True))
    ]  # fmt: skip
    console = Console(file=io.StringIO(), width=80)
    print_per_capita(console, "Åtvidaberg", ANCHOR, PerCapita(rows))
    text = console.file.getvalue()
    assert all(len(line) <= 80 for line in text.splitlines())
    for figure in ("82", "11 631", "7.05", "667", "37 310", "17.88", "4 av 5"):
        assert figure in text


def test_the_per_capita_table_imports_no_data_frame_library(warehouse: Path) -> None:
    """The count KPIs' figures and table come from plain rows: neither Polars, Arrow nor NumPy is loaded
    (a third of a second of start-up; tests/presentation/test_compare_table.py checks the other formats)."""
    probe = (
        "import sys\n"
        "from flows.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print('LOADED', code, sorted(m for m in ('polars', 'pyarrow', 'numpy') if m in sys.modules))\n"
    )
    argv = ["compare", ANCHOR, "--kpi", data.COUNT_KPI, "--year", "2017", "--warehouse", str(warehouse)]
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=120)
    assert "Per invånare: Åtvidaberg (0561) and its peers" in done.stdout, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("LOADED 0 []"), done.stdout[-500:] + done.stderr

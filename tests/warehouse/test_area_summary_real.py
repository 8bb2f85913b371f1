"""Real data: ÖJ share positive for GKPI255 (Hemlöshet) recomputed by hand from the fixture rows.

The warehouse is loaded by the real pipeline from the replay server (U30446 bostadsmarknadsläge,
(Överskott=2, Balans=1, Underskott=0), and U30464 tar emot anvisade nyanlända, (Ja=1, Nej=0)); the
expected shares are counted here straight from the open-numbers CSV files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.reference import apply_reference
from settings.config import Paths
from sources.fixtures import fixtures_dir
from tests.replay_load import fetch_and_load
from warehouse import marts
from warehouse.publish import building, connect_readonly

KPIS = ["U30446", "U30464"]
YEARS = list(range(2013, 2023))
# 2022 answers (U30446, U30464): Åtvidaberg 0561 (0, 1), Hultsfred 0860 (0, 0), Eda 1730 (2, 1),
# Filipstad 1782 (2, 0), Upplands Väsby 0114 (1, 1: Balans is not the best answer), Nykvarn 0140 (U30446 only)
KOMMUNER = ["0561", "0860", "1730", "1782", "0114", "0140"]
# the best answer by its label: Överskott (code 2) and Ja (code 1) — not simply the largest code
POSITIVE = {"U30446": 2.0, "U30464": 1.0}


def fixture_answers() -> dict[tuple[str, str, int], float]:
    """(kpi, kommun, year) -> value read from the IFO folder's CSV files with the csv module."""
    folder = fixtures_dir() / "kolada" / "opennumbers_ddf_kolada_dump_ifo" / "datapoints--by--geo--year"
    out = {}
    for kpi in KPIS:
        path = folder / f"ddf--datapoints--{kpi.lower()}--by--geo--year.csv"
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                out[(kpi, row["geo"], int(row["year"]))] = float(row[kpi.lower()])
    return out


def by_hand(answers: dict[tuple[str, str, int], float], kommun: str, year: int) -> tuple[int, int, float]:
    """(answered, positive, share) of one kommun and year, counted from the fixture rows."""
    given = [(kpi, answers[(kpi, kommun, year)]) for kpi in KPIS if (kpi, kommun, year) in answers]
    positive = sum(value == POSITIVE[kpi] for kpi, value in given)
    return len(given), positive, positive / len(given)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("oj")
    paths = Paths(root, root / "jamfor.duckdb")
    fetch_and_load(paths, KPIS, YEARS, run_id="oj-load", as_of=datetime.now(UTC))
    with building(paths.warehouse, run_id="oj-reference") as con:
        apply_reference(con)
        marts.rebuild(con)
    yield paths.warehouse


def test_gkpi255_share_positive_matches_the_fixture_rows(warehouse: Path) -> None:
    answers = fixture_answers()
    con = connect_readonly(warehouse)
    try:
        rows = {
            (m, y): (n, p, s)
            for m, y, n, p, s in con.execute(
                "SELECT municipality_id, year, n_answered, n_positive, share_positive FROM mart.area_summary "
                "WHERE oj_group_id = 'GKPI255' AND year IN (2021, 2022)"
            ).fetchall()
        }
        n_factors = con.execute(
            "SELECT DISTINCT n_factors FROM mart.area_summary WHERE oj_group_id = 'GKPI255' AND year = 2022"
        ).fetchall()
        off = con.execute("SELECT sum(n_off_coding) FROM mart.area_summary").fetchall()
    finally:
        con.close()
    assert n_factors == [(2,)] and off == [(0,)]
    shares = set()
    for kommun in KOMMUNER:
        assert rows[(kommun, 2022)] == pytest.approx(by_hand(answers, kommun, 2022)), kommun
        # 2021: only U30446 was asked (U30464 starts in 2022); a kommun that did not answer has no row
        if any((kpi, kommun, 2021) in answers for kpi in KPIS):
            assert rows[(kommun, 2021)] == pytest.approx(by_hand(answers, kommun, 2021)), kommun
        else:
            assert (kommun, 2021) not in rows
        shares.add(rows[(kommun, 2022)][2])
    assert shares == {0.0, 0.5, 1.0}  # the chosen kommuner answer differently: the test can tell them apart
    # Åtvidaberg 2022: Underskott (0) and Ja (1) → 1 of 2
    assert rows[("0561", 2022)] == (2, 1, 0.5)
    assert (rows[("1730", 2022)], rows[("0860", 2022)], rows[("0140", 2022)][0]) == (
        (2, 2, 1.0),
        (2, 0, 0.0),
        1,
    )
    # every kommun with an answer has a row, and none counts a value outside its coding
    assert sum(1 for (_, y) in rows if y == 2022) == len({m for (k, m, y) in answers if y == 2022})


def test_compare_area_shows_share_positive_with_the_year_before(warehouse: Path, capsys) -> None:
    code = main(["compare", "Åtvidaberg", "--area", "GKPI255", "--warehouse", str(warehouse)])
    out = capsys.readouterr().out
    assert code == 0
    line = next(
        row for row in out.splitlines() if "(GKPI255)" in row or ("Hemlöshet" in row and "2022" in row)
    )
    assert "2022" in line and "1 av 2" in line and "50 %" in line and "2021" in line and "0 %" in line
    assert "+50 pp" in line
    # the factor KPIs themselves are compared too: --area accepts the ÖJ group id
    assert "U30446" in out and "U30464" in out


def test_report_shows_the_oj_section(warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    assert main(["report", "0561", "--warehouse", str(warehouse), "--out", str(target)]) == 0
    page = target.read_text(encoding="utf-8")
    assert "Hemlöshet och utestängning från bostadsmarknaden" in page and "Ingen ÖJ-faktordata" not in page


def test_unknown_area_lists_the_oj_areas(warehouse: Path, capsys) -> None:
    assert main(["compare", "0561", "--area", "GKPI999", "--warehouse", str(warehouse)]) == 2
    err = capsys.readouterr().err
    assert "no area 'GKPI999'" in err and "GKPI255" in err and err.count("\n") == 1

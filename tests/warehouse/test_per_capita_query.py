"""Per-capita figures of count KPIs (warehouse.per_capita_query.per_capita_rows) with SCB population.

The warehouse is tests/per_capita_data: real Kolada metadata and groups, real SCB population 2017
loaded by `jamfor load files`, SYNTHETIC values for the count KPI N21702. Every expected figure is
worked out from the fixture files, independently of the warehouse.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests import per_capita_data as data
from tests.kolada_pages import fixture_records
from warehouse.comparison_query import (
    ComparisonFilter,
    compare_per_capita,
    comparison_records,
    comparison_rows,
)
from warehouse.per_capita_query import PER_CAPITA_COLUMNS, is_count_kpi, per_capita_rows
from warehouse.publish import connect_readonly

ANCHOR = "0561"  # Åtvidaberg: in the skl-ifo network, so every peer set kind is there
KINDS = {"liknande", "kommungrupp", "lan", "riket", "network"}
PER_CAPITA_SCHEMA = pl.Schema(
    {
        name: {str: pl.String, int: pl.Int64, float: pl.Float64}[kind]
        for name, kind in PER_CAPITA_COLUMNS.items()
    }
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return data.build(tmp_path_factory.mktemp("per_capita"))


@pytest.fixture
def copy(warehouse: Path, tmp_path: Path) -> Path:
    """A writable copy of the published warehouse, for the cases that break it on purpose."""
    target = tmp_path / "copy.duckdb"
    shutil.copyfile(warehouse, target)
    return target


def _frame(rows: list[dict]) -> pl.DataFrame:
    """The per-capita rows as a frame, once each is checked to hold exactly PER_CAPITA_COLUMNS, in order,
    with values of their types (or None)."""
    for row in rows:
        assert list(row) == list(PER_CAPITA_COLUMNS), row
        assert all(v is None or type(v) is PER_CAPITA_COLUMNS[k] for k, v in row.items()), row
    return pl.DataFrame(rows, schema=PER_CAPITA_SCHEMA, orient="row")


def _per_capita(path: Path, year: int, kpis: list[str] | None = None) -> tuple[pl.DataFrame, tuple[str, ...]]:
    wanted = ComparisonFilter(kpis=kpis or [data.COUNT_KPI, data.RATE_KPI], year=year)
    _, _, _, result = compare_per_capita(path, ANCHOR, wanted)
    return _frame(result.rows), result.notes


def test_count_rule_on_real_kolada_titles() -> None:
    titles = {k["id"]: k["title"] for k in fixture_records("kpi")}
    counts = {
        "N21702",
        "N01951",
        "N01928",
    }  # hemtjänsttagare; invånare totalt; a discontinued "antal (-2023)"
    ratios_and_rates = {
        "N21701",  # andel (%)
        "N21009",  # kr/inv 65+
        "N01993",  # antal/1000 inv
        "N15033",  # Elever/lärare ..., antal
        "N11701",  # Barn per barngrupp ..., antal
        "N23580",  # Belagda bostäder ... per en omsorgspersonal ..., antal
    }
    ids = sorted(counts | ratios_and_rates)
    flagged = {i for i in ids if is_count_kpi(titles[i])}
    assert flagged == counts
    # the rule is no accident of these few: most "..., antal" titles of the catalogue are counts
    assert 650 < sum(is_count_kpi(title) for title in titles.values()) < 746


def test_kommun_and_peer_figures_equal_the_fixture_files(warehouse: Path) -> None:
    rows, notes = _per_capita(warehouse, 2017)
    assert notes == ()
    assert set(rows["kpi_id"]) == {data.COUNT_KPI}  # N21701 is an andel, not a count
    assert set(rows["peer_set_kind"]) == KINDS
    name, people = data.scb_population()[ANCHOR]
    value = data.synthetic_value(ANCHOR, 2017)
    assert (name, people, value) == ("Åtvidaberg", 11631, 82.0)
    for row in rows.iter_rows(named=True):
        assert (row["value"], row["population"]) == (value, people)
        assert row["value_per_1000_inv"] == pytest.approx(value / people * 1000, rel=1e-12)
        want = data.expected_figures(row["peer_set_kind"], row["peer_set_id"], ANCHOR, 2017)
        got = (row["n_peers_used"], row["peers_value"], row["peers_population"])
        assert got == (want["n_used"], want["value"], want["population"]), row["peer_set_id"]
        assert row["peers_per_1000_inv"] == pytest.approx(want["per_1000"], rel=1e-12)
        assert row["n_peers"] == len(data.set_members(row["peer_set_kind"], row["peer_set_id"], ANCHOR))
    riket = rows.filter(pl.col("peer_set_kind") == "riket").row(0, named=True)
    # 289 peers; the synthetic NULLs (every 13th code) are not used
    missing = sum(data.synthetic_value(c, 2017) is None for c in data.scb_population() if c != ANCHOR)
    assert (riket["n_peers"], riket["n_peers_used"]) == (289, 289 - missing) and missing > 0


def test_peer_counts_agree_with_the_comparison_mart(warehouse: Path) -> None:
    """Every peer has a population in 2017, so the peers used are the mart's peers with a value."""
    con = connect_readonly(warehouse)
    try:
        wanted = ComparisonFilter(kpis=[data.COUNT_KPI], year=2017)
        rows = comparison_rows(con, ANCHOR, wanted)
        result = per_capita_rows(con, ANCHOR, comparison_records(con, ANCHOR, wanted))
    finally:
        con.close()
    joined = _frame(result.rows).join(rows, on=["kpi_id", "year", "peer_set_id"], suffix="_mart")
    assert joined.height == rows.height == len(KINDS)
    assert joined["n_peers_used"].to_list() == joined["n_peers_with_value"].to_list()
    assert joined["n_peers"].to_list() == joined["n_peers_mart"].to_list()


def test_a_year_without_population_gives_null_figures_and_says_what_to_load(warehouse: Path) -> None:
    rows, notes = _per_capita(warehouse, 2018)
    assert rows.height == len(KINDS)
    assert rows["value"].to_list() == [data.synthetic_value(ANCHOR, 2018)] * len(KINDS)
    assert rows["population"].null_count() == rows["value_per_1000_inv"].null_count() == rows.height
    assert rows["peers_per_1000_inv"].null_count() == rows.height
    assert set(rows["n_peers_used"]) == {0}
    assert notes == (
        "no SCB population for 2018; load SCB's Folkmängd per kommun for 2018 with "
        "`jamfor load files FILE` (PxWeb json-stat2 or CSV)",
    )


def test_no_count_kpi_selected_is_a_note(warehouse: Path) -> None:
    rows, notes = _per_capita(warehouse, 2017, [data.RATE_KPI])
    assert rows.height == 0 and rows.schema == PER_CAPITA_SCHEMA
    assert notes == ('none of the selected KPIs is a count (title ending ", antal")',)


def test_other_genders_are_refused_with_a_note(warehouse: Path) -> None:
    con = connect_readonly(warehouse)
    try:
        rows = comparison_records(con, ANCHOR, ComparisonFilter(kpis=[data.COUNT_KPI], year=2017))
        result = per_capita_rows(con, ANCHOR, rows, gender="K")
    finally:
        con.close()
    assert _frame(result.rows).height == 0
    assert result.notes == ("per-capita figures are for gender T only (SCB population of both sexes), not K",)


def test_a_warehouse_without_the_population_mart_does_not_crash(copy: Path) -> None:
    con = duckdb.connect(str(copy))
    con.execute("DROP TABLE mart.population_year")
    con.close()
    rows, notes = _per_capita(copy, 2017)
    assert rows.schema == PER_CAPITA_SCHEMA and set(rows["peer_set_kind"]) == KINDS
    assert rows["value"].to_list() == [82.0] * len(KINDS)
    assert rows["population"].null_count() == rows["peers_per_1000_inv"].null_count() == rows.height
    assert len(notes) == 1 and notes[0].startswith("this warehouse has no mart.population_year")


def test_peers_without_population_are_left_out_and_counted(copy: Path) -> None:
    liknande = _per_capita(copy, 2017)[0].filter(pl.col("peer_set_kind") == "liknande").row(0, named=True)
    peers = data.set_members("liknande", liknande["peer_set_id"], ANCHOR)
    dropped = next(p for p in peers if data.synthetic_value(p, 2017) is not None)
    con = duckdb.connect(str(copy))
    con.execute("DELETE FROM mart.population_year WHERE municipality_id IN (?, ?)", [dropped, ANCHOR])
    con.close()
    rows, notes = _per_capita(copy, 2017)
    after = rows.filter(pl.col("peer_set_kind") == "liknande").row(0, named=True)
    population = data.scb_population()
    assert after["n_peers_used"] == liknande["n_peers_used"] - 1
    assert after["peers_value"] == liknande["peers_value"] - data.synthetic_value(dropped, 2017)
    assert after["peers_population"] == liknande["peers_population"] - population[dropped][1]
    assert after["population"] is None and after["value_per_1000_inv"] is None
    assert notes == (f"no SCB population for kommun {ANCHOR} in 2017",)

"""Liknande kommuner by group version on real data (tests/peer_versions_data): a year's values are
compared within that year's version where the warehouse has one, else within the nearest, which the row
then names (peer_set_vintage <> year); a SYNTHETIC case checks "newest earlier, else oldest later"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from statistics import mean

import duckdb
import polars as pl
import pytest

from models.catalogue import SCHEMA_VERSION
from tests import comparison_data as data
from tests import peer_versions_data as real
from warehouse import history, marts
from warehouse.comparison_query import ComparisonFilter, comparison_rows
from warehouse.ddl import ensure_schema
from warehouse.discover_query import peer_sets
from warehouse.publish import connect_readonly
from warehouse.report_query import trend_rows

IFO = "G36722"  # Liknande kommuner IFO, Åtvidaberg: "…, 2022" in 2024-01, "…, 2024" in 2026-03
EKB = "G176178"  # Liknande kommuner ekonomiskt bistånd, Åtvidaberg: 2022, then 2023


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real.build(tmp_path_factory.mktemp("peer_versions"))


def _liknande(path: Path, kpi: str) -> pl.DataFrame:
    con = connect_readonly(path)
    try:
        return con.sql(
            "SELECT year, peer_set_id, peer_set_vintage, peer_set_title, n_peers, n_peers_with_value, "
            "peer_mean, peer_mean_delta_prev_year FROM mart.municipality_comparison "
            "WHERE municipality_id = $m AND kpi_id = $k AND gender = 'T' AND peer_set_kind = 'liknande' "
            "ORDER BY year",
            params={"m": real.ANCHOR, "k": kpi},
        ).pl()
    finally:
        con.close()


def _peer_mean(kpi: str, members: list[str], year: int) -> float:
    values = real.kommun_values(kpi)
    return mean(values[(m, year)] for m in members if (m, year) in values)


def test_core_keeps_both_versions_of_a_group(warehouse: Path) -> None:
    con = connect_readonly(warehouse)
    try:
        titles = con.execute(
            "SELECT title, valid_to IS NULL FROM core.municipality_group WHERE group_id = ? "
            "ORDER BY valid_from",
            [IFO],
        ).fetchall()
    finally:
        con.close()
    assert titles == [
        ("Liknande kommuner IFO, Åtvidaberg, 2022", False),
        ("Liknande kommuner IFO, Åtvidaberg, 2024", True),
    ]


def test_the_data_years_version_is_used_where_it_exists(warehouse: Path) -> None:
    title, members = real.group_members("municipality_groups_v2", IFO)
    assert title == "Liknande kommuner IFO, Åtvidaberg, 2022"
    _, current = real.group_members("municipality_groups", IFO)
    assert members != current  # Kolada replaced the peers, not only the year
    row = _liknande(warehouse, "N30005").filter(pl.col("year") == 2022).row(0, named=True)
    assert (row["peer_set_id"], row["peer_set_vintage"]) == (f"{IFO}:2022", 2022)
    assert row["peer_set_title"] == title
    assert (row["n_peers"], row["n_peers_with_value"]) == (7, 7)
    assert row["peer_mean"] == pytest.approx(_peer_mean("N30005", members, 2022), rel=1e-12)
    # Δ peer mean: the same seven kommuner a year earlier, not last year's version
    delta = _peer_mean("N30005", members, 2022) - _peer_mean("N30005", members, 2021)
    assert row["peer_mean_delta_prev_year"] == pytest.approx(delta, rel=1e-9)
    # ekonomiskt bistånd: its 2022 version, although the current one is titled 2023
    _, ekb = real.group_members("municipality_groups_v2", EKB)
    row = _liknande(warehouse, "N31807").filter(pl.col("year") == 2022).row(0, named=True)
    assert (row["peer_set_id"], row["peer_set_vintage"]) == (f"{EKB}:2022", 2022)
    assert row["peer_mean"] == pytest.approx(_peer_mean("N31807", ekb, 2022), rel=1e-12)


def test_a_year_without_its_version_uses_the_nearest_and_names_its_year(warehouse: Path) -> None:
    _, members = real.group_members("municipality_groups_v2", IFO)
    rows = _liknande(warehouse, "N30005")
    older = rows.filter(pl.col("year") < 2022)
    assert older.height >= 10
    # no version before 2022 exists: the oldest later one (2022) is used, and the row says so
    assert set(older["peer_set_id"]) == {f"{IFO}:2022"}
    assert (older["peer_set_vintage"] != older["year"]).all()
    row = older.filter(pl.col("year") == 2015).row(0, named=True)
    assert row["peer_mean"] == pytest.approx(_peer_mean("N30005", members, 2015), rel=1e-12)
    # the current version (2024) is no data year's own: none of these years is compared within it
    assert f"{IFO}:2024" not in set(rows["peer_set_id"])


def test_peers_lists_every_version_with_its_members(warehouse: Path) -> None:
    con = connect_readonly(warehouse)
    try:
        _, _, sets = peer_sets(con, real.ANCHOR)
    finally:
        con.close()
    ifo = sets.filter(pl.col("peer_set_id").str.starts_with(f"{IFO}:"))
    assert ifo["peer_set_id"].to_list() == [f"{IFO}:2022", f"{IFO}:2024"]
    assert ifo["vintage"].to_list() == [2022, 2024]
    snapshots = ("municipality_groups_v2", "municipality_groups")
    for snapshot, listed in zip(snapshots, ifo["members"], strict=True):
        _, members = real.group_members(snapshot, IFO)
        assert sorted(m[-5:-1] for m in listed) == members


@pytest.fixture
def two_versions(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The SYNTHETIC warehouse whose Liknande group G100 was first published as "…, 2016" with B, C, E
    (then "…, 2024" with B, C, D, as tests/comparison_data has it)."""
    con = duckdb.connect(":memory:")
    ensure_schema(con)
    old = pl.DataFrame(
        [("G100", "Liknande kommuner IFO, Aby, 2016", "liknande", "IFO", "0101", 2016)],
        schema=["group_id", "title", "family", "area", "anchor_municipality_id", "vintage_year"],
        orient="row",
    ).cast({"vintage_year": pl.Int32})
    members = pl.DataFrame({"group_id": ["G100"] * 3, "member_id": ["0102", "0103", "0105"]})
    earlier = data.AS_OF - timedelta(days=365)
    history.merge_dimension(
        con, "core.municipality_group", old, key_cols=("group_id",), run_id="old", as_of=earlier
    )
    history.merge_dimension(
        con,
        "core.municipality_group_member",
        members.with_columns(member_title=pl.col("member_id")),
        key_cols=("group_id", "member_id"),
        run_id="old",
        as_of=earlier,
    )
    # and a 2024 value of Aby and Dby, the later version's year
    values = [*data.VALUES, (data.K1, "0101", 2024, "T", 60.0), (data.K1, "0104", 2024, "T", 20.0)]
    data.build(con, data.reference_files(tmp_path), values)
    yield con
    con.close()


def test_newest_earlier_version_wins_over_a_nearer_later_one(two_versions) -> None:
    rows = two_versions.execute(
        "SELECT year, peer_set_id, peer_set_vintage, n_peers, n_peers_with_value, peer_mean, rank_in_peers, "
        "n_ranked, peer_mean_delta_prev_year FROM mart.municipality_comparison "
        "WHERE municipality_id = '0101' AND kpi_id = ? AND gender = 'T' AND peer_set_kind = 'liknande' "
        "ORDER BY year",
        [data.K1],
    ).fetchall()
    # K1: A 35 (2017); 40 against B 60, C 50 (2019); 50 against B 70, C 50, E NULL (2020); 55 (2021);
    # 60 against D 20 (2024, its own version B, C, D). 2021 lies 5 years after the 2016 version and 3
    # before the 2024 one: the earlier one still wins
    assert rows == [
        (2017, "G100:2016", 2016, 3, 0, None, 1, 1, None),
        (2019, "G100:2016", 2016, 3, 2, 55.0, 3, 3, None),
        (2020, "G100:2016", 2016, 3, 2, 60.0, 2, 3, 5.0),
        (2021, "G100:2016", 2016, 3, 0, None, 1, 1, None),
        (2024, "G100:2024", 2024, 3, 1, 20.0, 1, 2, None),
    ]


def test_the_report_trend_follows_the_area_through_the_versions(two_versions) -> None:
    rows = comparison_rows(two_versions, "0101", ComparisonFilter(kpis=[data.K1], peer_kind="liknande"))
    assert rows.select("year", "peer_set_id").rows() == [(2024, "G100:2024")]
    trend = trend_rows(two_versions, "0101", rows, "T")
    assert trend.select("year", "peer_set_id", "peer_mean").rows() == [
        (2017, "G100:2016", None),
        (2019, "G100:2016", 55.0),
        (2020, "G100:2016", 60.0),
        (2021, "G100:2016", None),
        (2024, "G100:2024", 20.0),
    ]


def test_a_version_2_file_rebuilds_the_comparison_whole(tmp_path: Path) -> None:
    """Version 3 names Liknande sets by version: an older file's mart (ids without the year) is dropped
    on the next build, so that load builds it whole instead of patching a few KPIs' rows beside it."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    try:
        ensure_schema(con)
        data.build(con, data.reference_files(tmp_path))
        con.execute(
            "UPDATE mart.municipality_comparison SET peer_set_id = 'G100' WHERE peer_set_id = 'G100:2024'"
        )
        con.execute("UPDATE meta.schema_version SET version = 2")
    finally:
        con.close()
    con = duckdb.connect(str(path))
    try:
        ensure_schema(con)
        assert [m.table for m in marts.missing(con)] == ["mart.municipality_comparison"]
        marts.rebuild(con, marts.missing(con))
        ids = con.execute(
            "SELECT DISTINCT peer_set_id FROM mart.municipality_comparison WHERE peer_set_kind = 'liknande'"
        ).fetchall()
        assert ids == [("G100:2024",)]
        assert con.execute("SELECT max(version) FROM meta.schema_version").fetchall() == [(SCHEMA_VERSION,)]
    finally:
        con.close()


def test_reads_of_an_older_file_say_how_to_migrate_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the next load migrates it, compare/report/peers on a version-2 file fail in one line that
    names both versions and the fix (not a missing-column error); status still describes the file."""
    from flows.cli import main

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    try:
        ensure_schema(con)
        data.build(con, data.reference_files(tmp_path))
        con.execute("UPDATE meta.schema_version SET version = 2")
    finally:
        con.close()
    common = ["--warehouse", str(path), "--data-dir", str(tmp_path)]
    for argv in (["compare", "0101"], ["report", "0101"], ["peers", "0101"]):
        assert main([*argv, *common]) == 1
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "schema v2, this jamfor reads v" in err, err
        assert "run a load" in err
    assert main(["status", *common]) == 0
    assert "(schema v2)" in capsys.readouterr().out

"""mart.municipality_comparison and mart.area_summary on the SYNTHETIC warehouse of tests/comparison_data.

Every expected number below is worked out by hand from the invented values listed there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from models.catalogue import table
from tests import comparison_data as data
from warehouse.comparison_query import ComparisonFilter, comparison_rows
from warehouse.ddl import ensure_schema

A, B, E, G = "0101", "0102", "0105", "0202"


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    ensure_schema(connection)
    data.build(connection, data.reference_files(tmp_path_factory.mktemp("reference")))
    yield connection
    connection.close()


def row(
    con: duckdb.DuckDBPyConnection, municipality: str, kpi: str, year: int, set_id: str, gender: str = "T"
):
    rows = con.sql(
        "SELECT * FROM mart.municipality_comparison WHERE municipality_id = ? AND kpi_id = ? AND year = ? "
        "AND peer_set_id = ? AND gender = ?",
        params=[municipality, kpi, year, set_id, gender],
    ).pl()
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def stats(r: dict, *names: str) -> tuple:
    return tuple(r[n] for n in names)


PEERS = ("n_peers", "n_peers_with_value", "peer_mean", "peer_median", "rank_in_peers", "n_ranked")


def test_liknande_peers_exclude_the_anchor_and_ties_share_the_best_rank(con) -> None:
    # A = 50 against B 70, C 50, D 30: C ties with A, only B is better
    r = row(con, A, data.K1, 2020, "G100:2024")
    assert stats(r, *PEERS) == (3, 3, 50.0, 50.0, 2, 4)
    assert (r["peer_set_kind"], r["peer_set_vintage"], r["peer_area"]) == ("liknande", 2024, "IFO")
    assert r["peer_set_title"] == "Liknande kommuner IFO, Aby, 2024"


def test_member_sets_exclude_the_kommun_itself(con) -> None:
    # network trio = A, B, E: peers B 70 and E (NULL value)
    assert stats(row(con, A, data.K1, 2020, "network:trio"), *PEERS) == (2, 1, 70.0, 70.0, 2, 2)
    # län 01 = A..E: peers B 70, C 50, D 30, E NULL
    assert stats(row(con, A, data.K1, 2020, "lan:01"), *PEERS) == (4, 3, 50.0, 50.0, 2, 4)
    # kommungrupp G1 = A, B, C, F: peers 70, 50, 90
    assert stats(row(con, A, data.K1, 2020, "G1"), *PEERS) == (3, 3, 70.0, 70.0, 3, 4)


def test_riket_counts_absent_kommuner_as_peers_without_value(con) -> None:
    # 6 other kommuner; E is NULL and G has no row in 2020: 4 values 70, 50, 30, 90
    r = row(con, A, data.K1, 2020, "riket")
    assert stats(r, *PEERS) == (6, 4, 60.0, 60.0, 3, 5)


def test_national_figures_use_kommuner_only_and_keep_koladas_riket_value(con) -> None:
    r = row(con, A, data.K1, 2020, "riket")
    # the region's 1000 and the group's value are not kommuner; 0000 is Kolada's own 55
    assert r["national_value"] == 55.0
    assert stats(r, "national_kommun_median", "national_rank", "n_national") == (50.0, 3, 5)
    assert r["national_percentile"] == pytest.approx(50.0)


def test_missing_riket_gives_null_national_value_and_a_kommun_median(con) -> None:
    r = row(con, A, data.K2, 2020, "riket")
    assert r["national_value"] is None
    assert r["national_kommun_median"] == 12.5  # median of 10, 20, 10, 5, 40, 15


def test_direction_lower_ranks_the_smallest_first(con) -> None:
    # K2 (lower): D 5 is best, A and C tie on 10
    assert stats(row(con, A, data.K2, 2020, "G100:2024"), *PEERS) == (3, 3, pytest.approx(35 / 3), 10.0, 2, 4)
    r = row(con, A, data.K2, 2020, "riket")
    assert stats(r, "national_rank", "n_national") == (2, 6)
    assert r["national_percentile"] == pytest.approx(80.0)
    assert row(con, "0104", data.K2, 2020, "riket")["colour_band"] == "green"
    assert row(con, E, data.K2, 2020, "riket")["colour_band"] == "red"


def test_colour_bands_by_direction(con) -> None:
    # K1 2020 kommun values 30, 50, 50, 70, 90: p25 = 50, p75 = 70; values on a cut-off are yellow
    colours = dict(
        con.execute(
            "SELECT municipality_id, colour_band FROM mart.municipality_comparison "
            "WHERE kpi_id = ? AND year = 2020 AND gender = 'T' AND peer_set_id = 'riket'",
            [data.K1],
        ).fetchall()
    )
    assert colours == {A: "yellow", B: "yellow", "0103": "yellow", "0104": "red", E: "grey", "0201": "green"}
    neutral = row(con, A, data.K3, 2020, "riket")
    assert (neutral["direction"], neutral["colour_band"]) == ("neutral", "neutral")
    assert row(con, "0103", data.K3, 2020, "riket")["colour_band"] == "grey"


def test_neutral_rank_puts_the_highest_first(con) -> None:
    assert stats(row(con, A, data.K3, 2020, "riket"), "rank_in_peers", "n_ranked", "national_rank") == (
        2,
        2,
        2,
    )


def test_null_value_is_not_ranked_but_still_gets_peer_figures(con) -> None:
    r = row(con, E, data.K1, 2020, "lan:01")
    assert r["value"] is None and r["rank_in_peers"] is None and r["national_rank"] is None
    assert stats(r, "n_peers", "n_peers_with_value", "peer_mean", "n_ranked") == (4, 4, 50.0, 4)
    assert r["national_percentile"] is None


def test_genders_are_compared_separately(con) -> None:
    # K values: A 45, B 65 only
    assert stats(row(con, A, data.K1, 2020, "G100:2024", gender="K"), *PEERS) == (3, 1, 65.0, 65.0, 2, 2)


def test_absent_years_give_no_rows_and_no_delta(con) -> None:
    assert con.execute(
        "SELECT count(*) FROM mart.municipality_comparison WHERE municipality_id = ? AND year = 2019", [G]
    ).fetchall() == [(0,)]
    # 2018 is absent for A, so 2019 has no previous year (2017 does not count)
    assert row(con, A, data.K1, 2019, "G100:2024")["delta_prev_year"] is None
    r = row(con, A, data.K1, 2020, "G100:2024")
    assert r["delta_prev_year"] == 10.0
    assert r["peer_mean_delta_prev_year"] == pytest.approx(50 - 140 / 3)


def test_percentile_in_the_set_and_the_kpis_newest_year(con) -> None:
    # A 50 ranks 2 of 4 in G100 (70, 50, 50, 30): 2 of the 3 others are not better
    r = row(con, A, data.K1, 2020, "G100:2024")
    assert r["percentile_in_peers"] == pytest.approx(100 * 2 / 3)
    riket = row(con, A, data.K1, 2020, "riket")
    assert riket["percentile_in_peers"] == riket["national_percentile"] == pytest.approx(50.0)
    # one ranked (A alone in 2017): no percentile; K1's newest year with a kommun value is 2021
    assert row(con, A, data.K1, 2017, "riket")["percentile_in_peers"] is None
    assert {r["kpi_newest_year"] for r in (row(con, A, data.K1, 2017, "riket"), r)} == {2021}
    assert row(con, E, data.K2, 2020, "riket")["kpi_newest_year"] == 2020


def test_outdated_is_more_than_the_setting_older_than_the_newest_year(con) -> None:
    def outdated(years: int) -> dict[int, bool]:
        wanted = ComparisonFilter(kpis=[data.K1], peer_kind="riket", outdated_years=years)
        shown = {y: comparison_rows(con, A, replace(wanted, year=y)) for y in (2017, 2019, 2021)}
        return {y: rows["is_outdated"].item() for y, rows in shown.items()}

    # K1's newest year is 2021: 2017 is 4 years older, 2019 exactly 2 (not more than 2)
    assert outdated(2) == {2017: True, 2019: False, 2021: False}
    assert outdated(3) == {2017: True, 2019: False, 2021: False}
    assert outdated(4) == {2017: False, 2019: False, 2021: False}
    assert outdated(1) == {2017: True, 2019: True, 2021: False}


def test_grain_attribution_and_preliminary_flag(con) -> None:
    key = ", ".join(table("mart.municipality_comparison").key)
    assert con.execute(
        f"SELECT count(*) FROM (SELECT {key} FROM mart.municipality_comparison "
        "GROUP BY ALL HAVING count(*) > 1)"
    ).fetchall() == [(0,)]
    kinds = con.execute("SELECT DISTINCT municipality_id FROM mart.municipality_comparison").fetchall()
    assert {k for (k,) in kinds} <= {m[0] for m in data.MUNICIPALITIES if m[3] == "kommun"}
    r = row(con, A, data.K1, 2021, "riket")
    assert r["is_preliminary"] is True and "Källa: Kolada" in r["source_note"]
    comments = dict(
        con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'municipality_comparison'"
        ).fetchall()
    )
    assert "Källa: Kolada" in comments["value"] and "Källa: Kolada" in comments["national_value"]
    for column in ("peer_mean", "rank_in_peers", "colour_band", "national_kommun_median", "delta_prev_year"):
        assert comments[column].startswith("Egen bearbetning"), column


def test_area_summary_counts_each_coding(con) -> None:
    rows = {
        (m, y): (f, a, p, s)
        for m, y, f, a, p, s in con.execute(
            "SELECT municipality_id, year, n_factors, n_answered, n_positive, share_positive "
            "FROM mart.area_summary"
        ).fetchall()
    }
    # A 2020: Ja=1 (1) yes, "Ja, men inte för alla" (1 of 2) no, Ja=2 (2) yes, U35537 inom 3 dagar (3) yes
    assert rows[(A, 2020)] == (4, 4, 3, 0.75)
    # B 2020: Nej (0), U90002 NULL, Delvis (1 of 2); no U35537 row
    assert rows[(B, 2020)] == (4, 2, 0, 0.0)
    assert rows[(A, 2021)] == (1, 1, 1, 1.0)
    assert len(rows) == 3


def test_area_summary_positive_threshold_is_configurable(tmp_path: Path) -> None:
    con = duckdb.connect(":memory:")
    ensure_schema(con)
    oj = "groups: [GKPI900]\npositive_min_code: {U90002: 1, U35537: 2}\n"
    data.build(con, data.reference_files(tmp_path, oj_areas=oj))
    assert con.execute(
        "SELECT n_positive FROM mart.area_summary WHERE municipality_id = ? AND year = 2020", [A]
    ).fetchall() == [(4,)]
    assert con.execute(
        "SELECT positive_basis FROM core.ref_oj_factor WHERE kpi_id = 'U90002'"
    ).fetchall() == [("configured",)]

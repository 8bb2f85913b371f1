"""mart.area_summary against codings that change by year, a (Ja=1, Nej=2) coding and off-coding values.

SYNTHETIC warehouse of tests/comparison_data with one factor title changed in core.kpi (the current
catalogue is where codings are read), so the expected counts can be worked out by hand.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline.reference import apply_reference
from tests import comparison_data as data
from warehouse import marts
from warehouse.ddl import ensure_schema

A, B, C = "0101", "0102", "0103"
# U90003's coding changed in 2020: Ja=2 (best) until 2019, then Ja=1 with Nej=2 (the largest code)
CHANGED = "Syntetisk rutin Z, (-2019 Ja=2, Delvis=1, Nej=0. 2020- Ja=1, Nej=2)"
EXTRA = [
    ("U90003", A, 2019, "T", 2.0),  # 2019: Ja (2) is positive
    ("U90003", C, 2020, "T", 5.0),  # 2020: 5 is no code of (Ja=1, Nej=2): not an answer
]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("codings")
    connection = duckdb.connect(":memory:")
    ensure_schema(connection)
    files = data.reference_files(root)
    data.build(connection, files, [*data.VALUES, *EXTRA])
    # the catalogue's current title changes (a dimension attribute), then reference and marts follow
    connection.execute(
        "UPDATE core.kpi SET title = ? WHERE kpi_id = 'U90003' AND valid_to IS NULL", [CHANGED]
    )
    apply_reference(connection, files)
    marts.rebuild(connection)
    return connection


def _summary(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], tuple]:
    rows = con.execute(
        "SELECT municipality_id, year, n_factors, n_answered, n_positive, share_positive, n_off_coding "
        "FROM mart.area_summary"
    ).fetchall()
    return {(m, y): tuple(rest) for m, y, *rest in rows}


def test_each_year_is_read_with_its_own_coding(con: duckdb.DuckDBPyConnection) -> None:
    rows = _summary(con)
    # A 2020: Ja=1 yes, "Ja, men inte för alla" no, U90003 = 2 is now Nej (not Ja), U35537 yes
    assert rows[(A, 2020)] == (4, 4, 2, 0.5, 0)
    # B 2020: Nej (0), U90002 NULL, U90003 = 1 is now Ja → 1 of 2
    assert rows[(B, 2020)] == (4, 2, 1, 0.5, 0)
    # A 2019: U90003 = 2 under the old coding is Ja
    assert rows[(A, 2019)] == (1, 1, 1, 1.0, 0)
    # C 2020: 5 is no answer code of the 2020 coding: not answered, counted as off coding
    assert rows[(C, 2020)] == (4, 0, 0, None, 1)


def test_the_coding_rows_say_which_years_and_which_answer_is_best(con: duckdb.DuckDBPyConnection) -> None:
    factors = con.execute(
        "SELECT year_from, year_to, coding, best_label, top_code, positive_min_code FROM core.ref_oj_factor "
        "WHERE kpi_id = 'U90003' ORDER BY year_from NULLS FIRST"
    ).fetchall()
    assert factors == [
        (None, 2019, "Ja=2, Delvis=1, Nej=0", "Ja", 2, 2),
        (2020, None, "Ja=1, Nej=2", "Ja", 2, 1),
    ]
    answers = con.execute(
        "SELECT code, label, is_positive FROM core.ref_oj_answer "
        "WHERE kpi_id = 'U90003' AND year_from = 2020 ORDER BY code"
    ).fetchall()
    assert answers == [(1, "Ja", True), (2, "Nej", False)]


def test_an_unreadable_coding_is_listed_and_not_counted(tmp_path: Path) -> None:
    connection = duckdb.connect(":memory:")
    ensure_schema(connection)
    files = data.reference_files(tmp_path)
    data.build(connection, files)
    connection.execute(
        "UPDATE core.kpi SET title = 'Syntetisk rutin X, (vänster=1, borgerlig=2)' "
        "WHERE kpi_id = 'U90001' AND valid_to IS NULL"
    )
    apply_reference(connection, files)
    marts.rebuild(connection)
    [(status, reason)] = connection.execute(
        "SELECT coding_status, reason FROM core.ref_oj_factor WHERE kpi_id = 'U90001'"
    ).fetchall()
    assert status == "unreadable" and "no known scale" in reason and "vänster, borgerlig" in reason
    # A 2021 answered only U90001, which no longer counts: no row; A 2020 has 3 factors left
    assert connection.execute(
        "SELECT year, n_factors, n_answered FROM mart.area_summary WHERE municipality_id = ? ORDER BY year",
        [A],
    ).fetchall() == [(2020, 3, 3)]

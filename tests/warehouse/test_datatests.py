"""The build's data tests: a broken build is not published, and each kind of test catches its problem."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from models.catalogue import Column, DataTest, Table, table
from warehouse import datatests, marts
from warehouse.ddl import transaction
from warehouse.history import merge_values
from warehouse.publish import building

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def published(tmp_path: Path, small_values) -> Path:
    path = tmp_path / "jamfor.duckdb"
    with building(path, run_id="run-1") as con, transaction(con):
        merge_values(con, small_values, run_id="run-1", as_of=T0, scope=None)
        marts.rebuild(con)
    return path


def _leftovers(path: Path) -> list[str]:
    return sorted(
        p.name for p in path.parent.iterdir() if p.name != path.name and not p.name.endswith(".lock")
    )


def test_a_clean_build_passes_every_data_test(published: Path) -> None:
    assert _leftovers(published) == []


def test_a_duplicated_key_fails_the_build_and_leaves_the_published_file(published: Path) -> None:
    before = _sha(published)
    with pytest.raises(datatests.DataTestError) as info, building(published, run_id="run-2") as con:
        con.execute("INSERT INTO mart.kpi_value SELECT * FROM mart.kpi_value LIMIT 3")
    message = str(info.value)
    assert "\n" not in message
    assert "mart.kpi_value has 3 offending rows in data test unique_key" in message
    assert _sha(published) == before and _leftovers(published) == []


def test_a_null_in_a_not_null_column_fails_the_build_and_leaves_the_published_file(published: Path) -> None:
    before = _sha(published)
    with pytest.raises(datatests.DataTestError) as info, building(published, run_id="run-2") as con:
        # what a column added by a migration looks like: declared not null, no constraint in the file
        con.execute("ALTER TABLE core.ou ALTER COLUMN ou_id DROP NOT NULL")
        con.execute(
            "INSERT INTO core.ou (ou_id, valid_from, is_deleted, load_run_id) VALUES (NULL, $t, false, 'x')",
            {"t": T0},
        )
    assert "core.ou has 1 offending rows in data test not_null_ou_id" in str(info.value)
    assert _sha(published) == before and _leftovers(published) == []


def test_checks_and_model_tests_count_their_offending_rows(con, small_values) -> None:
    merge_values(con, small_values, run_id="r1", as_of=T0, scope=None)
    marts.rebuild(con)
    kpi_value = table("mart.kpi_value")
    probe = Table(
        "mart",
        "kpi_value",
        "probe",
        (Column("year", "INTEGER", "y", check="year < 2000"), Column("gender", "VARCHAR", "g")),
        "mart",
        tests=(DataTest("no_t", "SELECT * FROM mart.kpi_value WHERE gender = 'T'", "totals"),),
    )
    failures = {f.test: f.rows for f in datatests.run_data_tests(con, [probe])}
    expected_check = con.execute("SELECT count(*) FROM mart.kpi_value WHERE year >= 2000").fetchall()[0][0]
    expected_t = con.execute("SELECT count(*) FROM mart.kpi_value WHERE gender = 'T'").fetchall()[0][0]
    assert failures == {"check_year": expected_check, "no_t": expected_t}
    assert datatests.run_data_tests(con, [kpi_value]) == []


def test_every_model_gets_its_key_and_not_null_tests() -> None:
    for spec in (table("core.kpi"), table("mart.kpi_value"), table("meta.quarantine")):
        names = {t.name for t in datatests.row_tests(spec)} | set(datatests.column_tests(spec))
        if spec.kind == "scd2":
            assert {"one_current_version", "valid_to_after_valid_from", "versions_contiguous"} <= names
        elif spec.key:
            assert "unique_key" in names
        assert {f"not_null_{c.name}" for c in spec.columns if c.not_null} <= names
    assert {"no_orphan_rows", "no_missing_rows"} <= {t.name for t in table("mart.kpi_value").tests}


def test_a_mart_row_without_history_and_a_history_row_without_mart_row_are_both_caught(
    published: Path,
) -> None:
    with building(published, run_id="run-2") as con:
        con.execute(
            "UPDATE mart.kpi_value SET year = year + 100 "
            "WHERE rowid IN (SELECT min(rowid) FROM mart.kpi_value)"
        )
        con.execute("DELETE FROM mart.kpi_value WHERE rowid IN (SELECT max(rowid) FROM mart.kpi_value)")
        failures = {f.test: f.rows for f in datatests.run_data_tests(con, [table("mart.kpi_value")])}
        assert failures == {"no_orphan_rows": 1, "no_missing_rows": 2}
        marts.rebuild(con)  # so the build publishes


def _offenders(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> dict[tuple[str, str], int]:
    return {(f.model, f.test): f.rows for f in datatests.run_data_tests(con, [table(t) for t in tables])}


@pytest.fixture
def corrupt(published: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable copy of the published file in which N31807 and N21701 each have a duplicated, an orphan
    and a missing mart row, and U30452 a second current history version and a negative count."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(published, copy)
    con = duckdb.connect(str(copy))
    for kpi in ("N31807", "N21701"):
        con.execute(
            "UPDATE mart.kpi_value SET year = year + 100 WHERE rowid IN "
            "(SELECT max(rowid) FROM mart.kpi_value WHERE kpi_id = $k)",
            {"k": kpi},
        )
        con.execute(
            "INSERT INTO mart.kpi_value SELECT * FROM mart.kpi_value "
            "WHERE kpi_id = $k AND year < 2100 LIMIT 2",
            {"k": kpi},
        )
    con.execute(
        "INSERT INTO core.kpi_value_history SELECT * FROM core.kpi_value_history "
        "WHERE kpi_id = 'U30452' AND valid_to IS NULL LIMIT 3"
    )
    con.execute("UPDATE core.kpi_value_history SET count = -1 WHERE kpi_id = 'U30452'")
    yield con
    con.close()


TABLES = ("core.kpi_value_history", "mart.kpi_value")


def test_limit_to_kpis_tests_only_those_kpis_rows_of_the_tables_it_names(
    corrupt: duckdb.DuckDBPyConnection,
) -> None:
    whole = _offenders(corrupt, TABLES)
    assert whole[("core.kpi_value_history", "one_current_version")] == 3
    assert whole[("core.kpi_value_history", "check_count")] > 0
    datatests.limit_to_kpis(corrupt, ["mart.kpi_value"], ["N31807"])
    assert datatests.limited_tables(corrupt) == {"mart.kpi_value"}
    limited = _offenders(corrupt, TABLES)
    # the mart's rows of N21701 are not tested; the history, not named, is tested whole
    for test in ("unique_key", "no_orphan_rows", "no_missing_rows"):
        assert whole[("mart.kpi_value", test)] == 2 * limited[("mart.kpi_value", test)] > 0
    assert {k: n for k, n in limited.items() if k[0] != "mart.kpi_value"} == {
        k: n for k, n in whole.items() if k[0] != "mart.kpi_value"
    }


def test_limit_to_kpis_limits_the_scd2_and_column_tests_of_the_history_too(
    corrupt: duckdb.DuckDBPyConnection,
) -> None:
    whole = _offenders(corrupt, ("core.kpi_value_history",))
    datatests.limit_to_kpis(corrupt, TABLES, ["N31807", "N21701"])
    assert _offenders(corrupt, ("core.kpi_value_history",)) == {}
    datatests.limit_to_kpis(corrupt, TABLES, ["U30452"])
    assert _offenders(corrupt, ("core.kpi_value_history",)) == whole != {}


def test_a_connection_without_limit_to_kpis_tests_every_row(published: Path) -> None:
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert datatests.limited_tables(con) == set()
    finally:
        con.close()

"""The build's data tests: every model's tests from the catalogue, run set-based on the build copy.

A model's tests are derived from its declaration (models/<schema>/<table>.yml): its key is unique (for
an SCD2 table: one current version per key, valid_to after valid_from and no gap between versions),
its not-null columns hold no NULL, each column `check` holds, and each `tests:` query returns no rows.
`warehouse.publish` runs them after the marts are rebuilt and before the copy replaces the published
file; a failure stops the publish with one line naming the model, the test and the offending rows.

A load that rewrote only some KPIs' rows of some tables (a monthly run patching the by-KPI marts) says so
with `limit_to_kpis`: those tables' tests then read only those KPIs' rows, since every other row is as it
was published, when it passed them. Every other table is tested whole. (A test added to a model reaches
the rows a patch did not write at the next load that rebuilds the table whole.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb

from models.catalogue import TABLES, DataTest, Table
from warehouse.ddl import present_tables, qualified, quote, scalar

# temp tables of a build connection (gone when it closes): the tables limited to some KPIs, and the KPIs
SCOPE_TABLES = "datatest_scope_table"
SCOPE_KPIS = "datatest_scope_kpi"


@dataclass(frozen=True)
class Failure:
    """One failed data test: the model, the test and how many rows offend."""

    model: str
    test: str
    rows: int
    description: str = ""

    def __str__(self) -> str:
        what = f": {self.description}" if self.description else ""
        return f"{self.model} has {self.rows} offending rows in data test {self.test}{what}"


class DataTestError(RuntimeError):
    """Data tests failed on the build copy; the published warehouse was left as it was."""

    def __init__(self, failures: list[Failure]) -> None:
        self.failures = failures
        more = f" (and {len(failures) - 1} more failed tests)" if len(failures) > 1 else ""
        super().__init__(f"data test failed, not publishing: {failures[0]}{more}")


def _history_tests(spec: Table, source: str) -> list[DataTest]:
    """The SCD2 invariants (one current version per key, ordered and contiguous versions) over `source`."""
    keys = ", ".join(quote(k) for k in spec.key)
    return [
        DataTest(
            "one_current_version",
            f"SELECT {keys} FROM {source} WHERE valid_to IS NULL GROUP BY {keys} HAVING count(*) > 1",
            "keys with more than one current version",
        ),
        DataTest(
            "valid_to_after_valid_from",
            f"SELECT * FROM {source} WHERE valid_to < valid_from",
            "versions with valid_to < valid_from",
        ),
        DataTest(
            "versions_contiguous",
            f"SELECT * FROM (SELECT valid_to, lead(valid_from) OVER (PARTITION BY {keys} "
            f"ORDER BY valid_from, valid_to NULLS LAST) AS next_from FROM {source}) "
            "WHERE valid_to IS NOT NULL AND next_from IS DISTINCT FROM valid_to",
            "closed versions not followed by a version starting at their valid_to",
        ),
    ]


def row_tests(spec: Table, source: str | None = None) -> list[DataTest]:
    """The tests that need a query of their own: key uniqueness, SCD2 invariants, the model's `tests:`.
    The generated ones read `source` (default: the whole table)."""
    source = source or qualified(spec)
    tests: list[DataTest] = []
    if spec.kind == "scd2":
        tests += _history_tests(spec, source)
    elif spec.key:
        keys = ", ".join(quote(k) for k in spec.key)
        tests.append(
            DataTest(
                "unique_key",
                f"SELECT {keys} FROM {source} GROUP BY {keys} HAVING count(*) > 1",
                f"duplicate keys ({', '.join(spec.key)})",
            )
        )
    return tests + list(spec.tests)


def column_tests(spec: Table) -> dict[str, str]:
    """Test name -> the predicate an offending row satisfies, for not-null columns and column checks."""
    tests = {f"not_null_{c.name}": f"{quote(c.name)} IS NULL" for c in spec.columns if c.not_null}
    # like a CHECK constraint, a predicate that is NULL passes
    tests |= {f"check_{c.name}": f"NOT ({c.check})" for c in spec.columns if c.check}
    return tests


def _column_failures(con: duckdb.DuckDBPyConnection, spec: Table, source: str) -> list[Failure]:
    """All column tests of one model in a single scan of `source` (a count per test)."""
    tests = column_tests(spec)
    if not tests:
        return []
    counts = ", ".join(f"count(*) FILTER (WHERE {predicate})" for predicate in tests.values())
    [row] = con.execute(f"SELECT {counts} FROM {source}").fetchall()
    return [
        Failure(spec.qualified, name, int(n), "NULL in a not-null column" if name.startswith("not_") else "")
        for name, n in zip(tests, row, strict=True)
        if n
    ]


def limit_to_kpis(con: duckdb.DuckDBPyConnection, tables: Iterable[str], kpis: Sequence[str]) -> None:
    """This build rewrote only the rows of `kpis` in `tables` (`schema.table`, each with a kpi_id column):
    their data tests on this connection read just those rows."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {SCOPE_TABLES} AS SELECT unnest($t::VARCHAR[]) AS table_name",
        {"t": list(tables)},
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {SCOPE_KPIS} AS SELECT unnest($k::VARCHAR[]) AS kpi_id",
        {"k": list(kpis)},
    )


def limited_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables `limit_to_kpis` limited on this connection (none when it was not called)."""
    if not con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [SCOPE_TABLES]
    ).fetchall()[0][0]:
        return set()
    return {name for (name,) in con.execute(f"SELECT table_name FROM temp.main.{SCOPE_TABLES}").fetchall()}


def _scoped(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """A model's own test limited to the build's KPIs when its rows carry a kpi_id; else as it is."""
    columns = {name for (name, *_) in con.execute(f"DESCRIBE {sql}").fetchall()}
    if "kpi_id" not in columns:
        return sql
    return f"SELECT * FROM ({sql}) WHERE kpi_id IN (SELECT kpi_id FROM temp.main.{SCOPE_KPIS})"


def run_data_tests(con: duckdb.DuckDBPyConnection, tables: Iterable[Table] = TABLES) -> list[Failure]:
    """Run every data test of the given models (all by default) that exist in `con`; return the failures.
    A table `limit_to_kpis` named is tested on the rows of those KPIs only."""
    present = present_tables(con)
    limited = limited_tables(con)
    failures: list[Failure] = []
    for spec in tables:
        if spec.qualified not in present:
            continue  # a mart a migration dropped: the next load rebuilds it
        scoped = spec.qualified in limited
        source = (
            f"(SELECT * FROM {qualified(spec)} WHERE kpi_id IN (SELECT kpi_id FROM temp.main.{SCOPE_KPIS}))"
            if scoped
            else qualified(spec)
        )
        failures += _column_failures(con, spec, source)
        own = {test.name for test in spec.tests}
        for test in row_tests(spec, source):
            sql = _scoped(con, test.sql) if scoped and test.name in own else test.sql
            n = int(scalar(con, f"SELECT count(*) FROM ({sql})") or 0)
            if n:
                failures.append(Failure(spec.qualified, test.name, n, test.description))
    return failures


def check_build(con: duckdb.DuckDBPyConnection) -> None:
    """Raise DataTestError naming the first failure when any data test fails."""
    failures = run_data_tests(con)
    if failures:
        raise DataTestError(failures)

"""The build's data tests: every model's tests from the catalogue, run set-based on the build copy.

A model's tests are derived from its declaration (models/<schema>/<table>.yml): its key is unique (for
an SCD2 table: one current version per key, valid_to after valid_from and no gap between versions),
its not-null columns hold no NULL, each column `check` holds, and each `tests:` query returns no rows.
`warehouse.publish` runs them after the marts are rebuilt and before the copy replaces the published
file; a failure stops the publish with one line naming the model, the test and the offending rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from models.catalogue import TABLES, DataTest, Table
from warehouse.ddl import present_tables, qualified, quote, scalar


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


def _history_tests(spec: Table) -> list[DataTest]:
    """The SCD2 invariants (one current version per key, ordered and contiguous versions)."""
    keys = ", ".join(quote(k) for k in spec.key)
    return [
        DataTest(
            "one_current_version",
            f"SELECT {keys} FROM {qualified(spec)} WHERE valid_to IS NULL "
            f"GROUP BY {keys} HAVING count(*) > 1",
            "keys with more than one current version",
        ),
        DataTest(
            "valid_to_after_valid_from",
            f"SELECT * FROM {qualified(spec)} WHERE valid_to < valid_from",
            "versions with valid_to < valid_from",
        ),
        DataTest(
            "versions_contiguous",
            f"SELECT * FROM (SELECT valid_to, lead(valid_from) OVER (PARTITION BY {keys} "
            f"ORDER BY valid_from, valid_to NULLS LAST) AS next_from FROM {qualified(spec)}) "
            "WHERE valid_to IS NOT NULL AND next_from IS DISTINCT FROM valid_to",
            "closed versions not followed by a version starting at their valid_to",
        ),
    ]


def row_tests(spec: Table) -> list[DataTest]:
    """The tests that need a query of their own: key uniqueness, SCD2 invariants, the model's `tests:`."""
    tests: list[DataTest] = []
    if spec.kind == "scd2":
        tests += _history_tests(spec)
    elif spec.key:
        keys = ", ".join(quote(k) for k in spec.key)
        tests.append(
            DataTest(
                "unique_key",
                f"SELECT {keys} FROM {qualified(spec)} GROUP BY {keys} HAVING count(*) > 1",
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


def _column_failures(con: duckdb.DuckDBPyConnection, spec: Table) -> list[Failure]:
    """All column tests of one model in a single scan (a count per test)."""
    tests = column_tests(spec)
    if not tests:
        return []
    counts = ", ".join(f"count(*) FILTER (WHERE {predicate})" for predicate in tests.values())
    [row] = con.execute(f"SELECT {counts} FROM {qualified(spec)}").fetchall()
    return [
        Failure(spec.qualified, name, int(n), "NULL in a not-null column" if name.startswith("not_") else "")
        for name, n in zip(tests, row, strict=True)
        if n
    ]


def run_data_tests(con: duckdb.DuckDBPyConnection, tables: Iterable[Table] = TABLES) -> list[Failure]:
    """Run every data test of the given models (all by default) that exist in `con`; return the failures."""
    present = present_tables(con)
    failures: list[Failure] = []
    for spec in tables:
        if spec.qualified not in present:
            continue  # a mart a migration dropped: the next load rebuilds it
        failures += _column_failures(con, spec)
        for test in row_tests(spec):
            n = int(scalar(con, f"SELECT count(*) FROM ({test.sql})") or 0)
            if n:
                failures.append(Failure(spec.qualified, test.name, n, test.description))
    return failures


def check_build(con: duckdb.DuckDBPyConnection) -> None:
    """Raise DataTestError naming the first failure when any data test fails."""
    failures = run_data_tests(con)
    if failures:
        raise DataTestError(failures)

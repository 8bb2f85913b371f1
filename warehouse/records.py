"""Query results as plain Python rows, for the read commands that must answer at once.

A few dozen rows need no data frame: fetching tuples keeps Polars, Arrow and NumPy (a third of a second
of imports) out of `jamfor status` and `jamfor compare`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import duckdb


class Records(list[dict[str, Any]]):
    """Rows as dicts in the query's column order; `columns` names them even when there is no row."""

    def __init__(self, columns: Sequence[str], rows: Iterable[Sequence[Any]] = ()) -> None:
        super().__init__(dict(zip(columns, row, strict=True)) for row in rows)
        self.columns = tuple(columns)


def fetch_records(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> Records:
    """The rows of one query (parameters only, never formatted text), read to the end with fetchall().

    DuckDB 2.0 refuses other work on a connection whose result was only partly fetched, hence no fetchone.
    """
    result = con.execute(sql) if params is None else con.execute(sql, params)
    columns = [column[0] for column in result.description or []]
    return Records(columns, result.fetchall())

"""Read-only queries of mart.monthly_comparison behind `jamfor compare --monthly` and the report's
monthly trend (user values only as parameters)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from warehouse.comparison_query import LookupProblem, resolve_municipality
from warehouse.ddl import present_tables
from warehouse.publish import connect_readonly

MONTHLY_KINDS = ("lan", "riket", "network")
DEFAULT_MONTHS = 12  # without --year: the newest 12 months of each measure
NO_DATA = (
    "no monthly figures for {name} ({code}) in mart.monthly_comparison: load Socialstyrelsen's monthly "
    "tables or a network file with months (jamfor load files)"
)


def _has_mart(con: duckdb.DuckDBPyConnection) -> bool:
    return "mart.monthly_comparison" in present_tables(con)


def monthly_rows(
    con: duckdb.DuckDBPyConnection,
    code: str,
    name: str,
    *,
    peer_kind: str | None = None,
    network: str | None = None,
    year: int | None = None,
) -> pl.DataFrame:
    """The kommun's rows: the given year, else each measure's newest DEFAULT_MONTHS months.

    LookupProblem (one line) when the kommun has no monthly rows at all, or the filter leaves none.
    """
    if peer_kind is not None and peer_kind not in MONTHLY_KINDS:
        raise LookupProblem(
            f"monthly figures have the peer sets {', '.join(MONTHLY_KINDS)} (or network:NAME)"
        )
    if (
        not _has_mart(con)
        or not con.execute(
            "SELECT 1 FROM mart.monthly_comparison WHERE municipality_id = ? LIMIT 1", [code]
        ).fetchall()
    ):
        raise LookupProblem(NO_DATA.format(name=name, code=code))
    rows = con.sql(
        """
        SELECT * FROM mart.monthly_comparison
        WHERE municipality_id = $m AND ($kind IS NULL OR peer_set_kind = $kind)
          AND ($network IS NULL OR lower(peer_set_id) = 'network:' || lower($network))
          AND ($year IS NULL OR year = $year)
        QUALIFY $year IS NOT NULL OR year * 12 + month
            > max(year * 12 + month) OVER (PARTITION BY source, measure_id) - $months
        ORDER BY source, measure_id, breakdown, peer_set_kind, peer_set_id, period
        """,
        params={"m": code, "kind": peer_kind, "network": network, "year": year, "months": DEFAULT_MONTHS},
    ).pl()
    if rows.height == 0:
        asked = ", ".join(
            text
            for text in (
                f"peer set {peer_kind}" if peer_kind else "",
                f"network {network}" if network else "",
                f"year {year}" if year else "",
            )
            if text
        )
        raise LookupProblem(f"no monthly figures for {name} ({code}) with {asked}")
    return rows


def compare_monthly(
    warehouse_path: Path,
    municipality: str,
    *,
    peer_kind: str | None = None,
    network: str | None = None,
    year: int | None = None,
) -> tuple[str, str, pl.DataFrame]:
    """(code, name, rows) for `jamfor compare KOMMUN --monthly`, read from the published file."""
    con = connect_readonly(warehouse_path, current=True)
    try:
        code, name = resolve_municipality(con, municipality)
        rows = monthly_rows(con, code, name, peer_kind=peer_kind, network=network, year=year)
        return code, name, rows
    finally:
        con.close()


def monthly_trend(warehouse_path: Path, code: str) -> pl.DataFrame:
    """The report's monthly trend: every month of the kommun's rows, all peer sets (empty if none)."""
    con = connect_readonly(warehouse_path, current=True)
    try:
        if not _has_mart(con):
            return pl.DataFrame()
        return con.sql(
            "SELECT * FROM mart.monthly_comparison WHERE municipality_id = $m "
            "ORDER BY source, measure_id, breakdown, peer_set_kind, peer_set_id, period",
            params={"m": code},
        ).pl()
    finally:
        con.close()

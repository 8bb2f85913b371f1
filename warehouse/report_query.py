"""Read-only queries behind `jamfor report`: one kommun's comparison rows, its peers' values, its trend,
its Öppna jämförelser area summary and the data's load date (user values only as parameters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from warehouse.comparison_query import ComparisonFilter, comparison_rows, resolve_municipality
from warehouse.publish import connect_readonly


@dataclass(frozen=True)
class ReportData:
    """Everything one report page shows, as frames; `rows` has one row per KPI and peer set."""

    code: str
    name: str
    rows: pl.DataFrame  # mart.municipality_comparison rows: per KPI the chosen or latest year
    peers: pl.DataFrame  # per (peer_set_id, kpi_id): the kommun's and its peers' values that year
    trend: pl.DataFrame  # the kommun's comparison rows of every year up to the shown one
    areas: pl.DataFrame  # mart.area_summary: per ÖJ area the shown year and the year before
    loaded_at: datetime | None  # finish of the latest completed load run (meta.load_run)
    fetched_at: datetime | None  # newest fetched_at of the kommun's values (mart.kpi_value)


def _selection(rows: pl.DataFrame) -> dict[str, list]:
    """The shown (kpi, year, peer set) triples as parallel lists, zipped again by unnest in SQL."""
    return {
        "kpi": rows["kpi_id"].to_list(),
        "yr": rows["year"].to_list(),
        "set": rows["peer_set_id"].to_list(),
    }


def peer_values(con: duckdb.DuckDBPyConnection, code: str, rows: pl.DataFrame, gender: str) -> pl.DataFrame:
    """Values of the kommun and every member of each shown peer set, for the shown KPI and year.

    The members are the mart's own (mart.peer_set_member), so the report's peers are the compared ones."""
    return con.sql(
        """
        WITH sel AS (SELECT unnest($kpi) AS kpi_id, unnest($yr)::INTEGER AS year, unnest($set) AS set_key),
        member AS (
            SELECT peer_set_id AS set_key, municipality_id AS member_id FROM mart.peer_set_member
            WHERE peer_set_id IN (SELECT set_key FROM sel)
            UNION SELECT set_key, $m FROM sel
        )
        SELECT s.set_key AS peer_set_id, s.kpi_id, s.year, v.municipality_id, v.municipality_title,
               v.value, v.is_preliminary, v.municipality_id = $m AS is_selected
        FROM sel AS s
        JOIN member AS m ON m.set_key = s.set_key
        JOIN mart.kpi_value AS v ON v.municipality_id = m.member_id AND v.kpi_id = s.kpi_id
                                AND v.year = s.year AND v.gender = $gender
        UNION ALL
        -- a network's own measure is not in mart.kpi_value: its members' values come from the
        -- network's current rows of its members, exactly those the mart compared
        SELECT s.set_key, s.kpi_id, s.year, nm.municipality_id, d.municipality_title, nm.value, FALSE,
               nm.municipality_id = $m
        FROM sel AS s
        JOIN core.network_measure AS nm ON 'network:' || nm.network = s.set_key
             AND nm.measure_id = s.kpi_id AND nm.year = s.year
        JOIN mart.peer_set_member AS d ON d.peer_set_id = s.set_key AND d.municipality_id = nm.municipality_id
        WHERE nm.valid_to IS NULL AND NOT nm.is_deleted AND nm.month IS NULL AND $gender = 'T'
          AND s.kpi_id NOT IN (SELECT kpi_id FROM mart.kpi_value WHERE municipality_id = $m)
        ORDER BY peer_set_id, kpi_id, municipality_id
        """,
        params={**_selection(rows), "m": code, "gender": gender},
    ).pl()


def trend_rows(con: duckdb.DuckDBPyConnection, code: str, rows: pl.DataFrame, gender: str) -> pl.DataFrame:
    """The kommun's comparison rows for the shown KPIs and peer sets, every year up to the shown one.

    A Liknande set follows its area back through the group's versions (each year's own version)."""
    return con.sql(
        """
        WITH sel AS (SELECT unnest($kpi) AS kpi_id, unnest($yr)::INTEGER AS year, unnest($set) AS set_key,
                            unnest($kind) AS kind, unnest($area) AS area)
        SELECT c.kpi_id, c.year, c.peer_set_id, c.peer_set_kind, c.peer_set_title, c.value, c.peer_mean,
               c.national_value, c.is_preliminary
        FROM mart.municipality_comparison AS c
        JOIN sel AS s ON s.kpi_id = c.kpi_id AND c.year <= s.year AND (s.set_key = c.peer_set_id
             OR s.kind = 'liknande' AND c.peer_set_kind = 'liknande' AND c.peer_area = s.area)
        WHERE c.municipality_id = $m AND c.gender = $gender
        ORDER BY c.kpi_id, c.peer_set_id, c.year
        """,
        params={
            **_selection(rows),
            "kind": rows["peer_set_kind"].to_list(),
            "area": rows["peer_area"].to_list(),
            "m": code,
            "gender": gender,
        },
    ).pl()


def area_rows(
    con: duckdb.DuckDBPyConnection, code: str, year: int | None, area: str | None = None
) -> pl.DataFrame:
    """mart.area_summary of the kommun: per ÖJ area the chosen (else latest) year and the year before.

    `area` keeps the ÖJ areas named by it (title or group id) or with a factor KPI in that area
    (the KPI's Liknande area or operating area, as `compare --area` filters KPIs).
    """
    return con.sql(
        """
        WITH wanted AS (
            SELECT f.kpi_group_id FROM core.ref_oj_factor AS f
            LEFT JOIN core.ref_kpi_peer_area AS a ON a.kpi_id = f.kpi_id
            WHERE f.coding_status = 'parsed' AND lower($area) IN (
                lower(f.oj_area), lower(f.kpi_group_id), lower(a.peer_area), lower(a.operating_area))
        )
        SELECT oj_group_id, oj_area, year, n_factors, n_answered, n_positive, share_positive,
               year = shown AS is_current
        FROM (SELECT *, coalesce($year, max(year) OVER (PARTITION BY oj_group_id)) AS shown
              FROM mart.area_summary WHERE municipality_id = $m
                AND ($area IS NULL OR oj_group_id IN (SELECT kpi_group_id FROM wanted)))
        WHERE year IN (shown, shown - 1)
        ORDER BY oj_area, oj_group_id, year
        """,
        params={"m": code, "year": year, "area": area},
    ).pl()


def area_summary(
    warehouse_path: Path, municipality: str, wanted: ComparisonFilter
) -> tuple[str, str, pl.DataFrame]:
    """(code, name, area_rows) for `jamfor compare --area` and the demo, read from the published file."""
    con = connect_readonly(warehouse_path, current=True)
    try:
        code, name = resolve_municipality(con, municipality)
        return code, name, area_rows(con, code, wanted.year, wanted.area)
    finally:
        con.close()


def load_dates(con: duckdb.DuckDBPyConnection, code: str) -> tuple[datetime | None, datetime | None]:
    """(finish of the latest completed load run, newest fetched_at among the kommun's values)."""
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open and refuses the next query
    [(loaded, fetched)] = con.execute(
        """
        SELECT (SELECT max(finished_at) FROM meta.load_run WHERE status = 'completed'),
               (SELECT max(fetched_at) FROM mart.kpi_value WHERE municipality_id = $m)
        """,
        {"m": code},
    ).fetchall()
    return loaded, fetched


def report_data(warehouse_path: Path, municipality: str, wanted: ComparisonFilter) -> ReportData:
    """Everything `jamfor report` shows for one kommun, read from the published file in one snapshot.

    Raises warehouse.comparison_query.LookupProblem (one line) for an unknown kommun, area or peer set.
    """
    con = connect_readonly(warehouse_path, current=True)
    try:
        code, name = resolve_municipality(con, municipality)
        rows = comparison_rows(con, code, wanted)
        loaded_at, fetched_at = load_dates(con, code)
        return ReportData(
            code=code,
            name=name,
            rows=rows,
            peers=peer_values(con, code, rows, wanted.gender),
            trend=trend_rows(con, code, rows, wanted.gender),
            areas=area_rows(con, code, wanted.year, wanted.area),
            loaded_at=loaded_at,
            fetched_at=fetched_at,
        )
    finally:
        con.close()
